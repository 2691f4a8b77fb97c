"""The one mapping from gateway errors to GraphQL errors with an `extensions.code`.

    code                    raised as
    BAD_USER_INPUT          UserInputError (filters, page sizes, ids), CodatQueryError,
                            CursorError, CodatBadRequest (Codat refused the query)
    NOT_FOUND               NotFoundError (asked for by id and absent), CodatNotFound,
                            CompanyNotAllowedError (another tenant's company looks absent)
    QUERY_TOO_COSTLY        the operation's estimated upstream calls exceed the budget
                            (+ cost, budget; raised by schema/cost.py before execution)
    DATA_NOT_READY          CodatDataNotReady (+ dataType)
    UPSTREAM_RATE_LIMITED   CodatRateLimited (+ retryAfter, in seconds)
    UPSTREAM_UNAVAILABLE    CodatServerError, CodatUnavailable, CodatTransportError
    UPSTREAM_INVALID_RESPONSE  CodatInvalidResponse: a record breaking Codat's spec (+ dataType,
                            record, field) or a paging envelope contradicting itself (+ dataType,
                            page)
    UPSTREAM_TOO_MANY_PAGES CodatTooManyPages: a whole list needs more pages than
                            CODAT_MAX_PAGES_PER_LIST (+ dataType, pages, maxPages)
    UPSTREAM_DEADLINE_EXCEEDED  CodatDeadlineExceeded: a walk through pages outlived the
                            operation's CODAT_WALK_DEADLINE_SECONDS (+ dataType, deadlineSeconds)
    GRAPHQL_PARSE_FAILED    a document that does not parse
    GRAPHQL_VALIDATION_FAILED  a document that does not fit the schema
    BAD_USER_INPUT          also: variables that do not fit their types
    SUBSCRIBER_TOO_SLOW     SubscriberTooSlowError (a subscription fell too far behind: dropped)
    INTERNAL_SERVER_ERROR   anything else, with a generic message and a `correlationId` (the
                            request id when there is one); the traceback is logged at ERROR
                            with the same id

Every error from Codat adds `correlationId` (when Codat sent one) and `companyId` (when known).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.relay import GlobalIDValueError
from strawberry.types import ExecutionContext, ExecutionResult

from gateway.codat.errors import (
    CodatBadRequest,
    CodatDataNotReady,
    CodatDeadlineExceeded,
    CodatError,
    CodatHTTPError,
    CodatInconsistentPaging,
    CodatInvalidRecord,
    CodatInvalidResponse,
    CodatNotFound,
    CodatQueryError,
    CodatRateLimited,
    CodatServerError,
    CodatTooManyPages,
    CodatTransportError,
)
from gateway.edge.correlation import current_request_id
from gateway.errors import NoLinkedConnectionError
from gateway.reads.pagination import CursorError
from gateway.tenancy import CompanyNotAllowedError
from gateway.writes.pushwatch import SubscriberTooSlowError
from schema.fanout import PerResultHooks

INTERNAL_MESSAGE = "Internal server error."

log = logging.getLogger("gateway.errors")


class UserInputError(ValueError):
    """Input the schema refuses before asking Codat: a filter, page size, cursor or id."""


class NotFoundError(LookupError):
    """A company or record asked for by id does not exist."""


def error_extensions(error: BaseException | None) -> tuple[str, dict[str, Any]]:
    """The message to show and the extensions (with `code`) for an error raised in a resolver."""
    if isinstance(error, UserInputError | CursorError | GlobalIDValueError):
        return str(error), {"code": "BAD_USER_INPUT"}
    if isinstance(error, CodatQueryError):
        return f"invalid query: {error.message}", {"code": "BAD_USER_INPUT"}
    if isinstance(error, NotFoundError | CompanyNotAllowedError):
        return str(error), {"code": "NOT_FOUND"}
    if isinstance(error, SubscriberTooSlowError):
        return str(error), {"code": "SUBSCRIBER_TOO_SLOW", "queueSize": error.queue_size}
    if isinstance(error, NoLinkedConnectionError):
        return str(error), {"code": "NOT_FOUND", "companyId": error.company_id}
    if isinstance(error, CodatError):
        message, extensions = _codat(error)
        if isinstance(error, CodatHTTPError) and error.correlation_id:
            extensions["correlationId"] = error.correlation_id
        if error.company_id:
            extensions["companyId"] = error.company_id
        return message, extensions
    return INTERNAL_MESSAGE, {"code": "INTERNAL_SERVER_ERROR"}


def _codat(error: CodatError) -> tuple[str, dict[str, Any]]:
    if isinstance(error, CodatBadRequest):
        return f"Codat refused the request: {error.message}", {"code": "BAD_USER_INPUT"}
    if isinstance(error, CodatNotFound):
        return f"not found in Codat: {error.message}", {"code": "NOT_FOUND"}
    if isinstance(error, CodatDataNotReady):
        what = error.data_type or "this data type"
        return (
            f"Codat has not finished syncing {what} for this company yet",
            {"code": "DATA_NOT_READY", "dataType": error.data_type},
        )
    if isinstance(error, CodatRateLimited):
        return (
            "Codat's rate limit was reached; retry later",
            {"code": "UPSTREAM_RATE_LIMITED", "retryAfter": error.retry_after},
        )
    if isinstance(error, CodatServerError | CodatTransportError):
        return "Codat is unavailable; retry later", {"code": "UPSTREAM_UNAVAILABLE"}
    if isinstance(error, CodatInvalidResponse | CodatTooManyPages | CodatDeadlineExceeded):
        return error.message, _bounded_read(error)
    # 401/402/403/409/422 on a read are the gateway's problem, not the client's.
    return INTERNAL_MESSAGE, {"code": "INTERNAL_SERVER_ERROR"}


def _bounded_read(
    error: CodatInvalidResponse | CodatTooManyPages | CodatDeadlineExceeded,
) -> dict[str, Any]:
    """The extensions of a read that broke the spec or a bound (gateway/codat/paging.py)."""
    if isinstance(error, CodatTooManyPages):
        return {
            "code": "UPSTREAM_TOO_MANY_PAGES",
            "dataType": error.data_type,
            "pages": error.pages,
            "maxPages": error.max_pages,
        }
    if isinstance(error, CodatDeadlineExceeded):
        return {
            "code": "UPSTREAM_DEADLINE_EXCEEDED",
            "dataType": error.data_type,
            "deadlineSeconds": error.seconds,
        }
    extensions: dict[str, Any] = {"code": "UPSTREAM_INVALID_RESPONSE", "dataType": error.data_type}
    if isinstance(error, CodatInvalidRecord):
        extensions.update(record=error.record, field=error.field)
    if isinstance(error, CodatInconsistentPaging):
        extensions["page"] = error.page
    return extensions


_GATEWAY_ERRORS = (
    NotFoundError,
    CompanyNotAllowedError,
    NoLinkedConnectionError,
    CodatError,
    UserInputError,
    SubscriberTooSlowError,  # raised by a subscription's source between events (no path)
)


def to_graphql_error(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: a code always, and no exception text it should not see."""
    if error.extensions and "code" in error.extensions:
        return error
    original = error.original_error
    if error.path is None:
        # Raised before execution: the document or the variables; graphql-core's text is for
        # the client (it names the variable and what was wrong with it).
        if isinstance(original, _GATEWAY_ERRORS):
            # A subscription's source raised before its first event (no path): map it as a
            # resolver's error.
            message, extensions = error_extensions(original)
        elif isinstance(error, GraphQLSyntaxError):
            message, extensions = error.message, {"code": "GRAPHQL_PARSE_FAILED"}
        elif original is not None:
            message, extensions = error.message, {"code": "BAD_USER_INPUT"}
        else:
            message, extensions = error.message, {"code": "GRAPHQL_VALIDATION_FAILED"}
    elif original is None or isinstance(original, GraphQLError):
        message, extensions = error.message, {"code": "INTERNAL_SERVER_ERROR"}
    else:
        message, extensions = error_extensions(original)
    if extensions["code"] == "INTERNAL_SERVER_ERROR":
        message = INTERNAL_MESSAGE
        extensions["correlationId"] = _correlation_id(error)
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions={**(error.extensions or {}), **extensions},
    )


def _map_errors(result: Any) -> None:
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = [to_graphql_error(error) for error in errors]


async def _mapped(results: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
    async with aclosing(results):
        async for result in results:
            _map_errors(result)
            yield result


def is_unexpected(error: GraphQLError) -> bool:
    """Whether the error is a fault of the gateway (worth a traceback in the log)."""
    return (to_graphql_error(error).extensions or {}).get("code") == "INTERNAL_SERVER_ERROR"


class GatewayErrors(SchemaExtension):
    """Rewrites every error of a result into `to_graphql_error`'s shape, once, at the end."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [to_graphql_error(error) for error in errors]


class GatewaySchema(strawberry.Schema):
    """Logs only the unexpected errors: a bad filter or a 429 is an answer, not a fault."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return PerResultHooks(execution_context, extensions)

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """Every result of a subscription (WebSocket) gets the same error mapping as a query."""
        result = await super().stream(*args, **kwargs)
        if isinstance(result, ExecutionResult):
            _map_errors(result)
            return result
        return _mapped(result)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_unexpected(error):
                correlation_id = _correlation_id(error)
                original = error.original_error
                log.error(
                    "unexpected error (correlation id %s) at %s: %s",
                    correlation_id,
                    ".".join(str(part) for part in error.path or ()) or "(operation)",
                    type(original or error).__name__,
                    exc_info=(type(original), original, original.__traceback__)
                    if original is not None
                    else None,
                    extra={"correlation_id": correlation_id},
                )


def _correlation_id(error: GraphQLError) -> str:
    """The id shown to the client and logged with the cause: the request id, else a new one."""
    extensions = error.extensions if error.extensions is not None else {}
    existing = extensions.get("correlationId")
    if isinstance(existing, str):
        return existing
    correlation_id = current_request_id() or uuid.uuid4().hex
    error.extensions = {**extensions, "correlationId": correlation_id}
    return correlation_id


class ReportingParserCache(ParserCache):
    """`ParserCache` that leaves a document that does not parse to Strawberry's own parse.

    Raised from the cache's hook, a syntax error escapes the operation hooks (so it would reach
    the client without a code); parsed again by Strawberry it becomes an ordinary result error.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLSyntaxError:
            context.graphql_document = None
        yield
