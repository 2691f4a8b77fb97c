"""In front of the GraphQL router: persisted queries, then a response cache kept honest by webhooks.

A cache hit is answered here with the stored bytes: no parsing, validation or execution of GraphQL
happens. A miss runs the router with a recorder of the (company, data type) scopes the response
read; a query answered without errors is stored under its operation, variables and the caller's
scope, and dropped as soon as any of those scopes is invalidated (on every replica, through the
event bus). Mutations, subscriptions, error responses and requests that opt out
(`Cache-Control: no-cache`) are never stored.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from graphql import OperationType
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.edge.asgi import read_body, replay, respond_json
from gateway.edge.documents import DocumentScan, scan_document, too_many_tokens_message
from gateway.edge.documents import operation_type as scanned_operation_type
from gateway.edge.persisted import PersistedQueries, Refusal
from gateway.reads.cache import ResponseCache
from gateway.tenancy import ANONYMOUS

log = logging.getLogger("gateway.edge.responses")


def operation_type(
    query: str, operation_name: str | None, max_tokens: int = 3000
) -> OperationType | None:
    """The type of the operation the request runs, or None if a bounded scan cannot tell (a
    document over `max_tokens`, or one that does not lex). Never parses the whole document."""
    scan = scan_document(query, max_tokens)
    if scan.too_many or not scan.lexable:
        return None
    return scanned_operation_type(scan, operation_name)


def caller_scope(scope: Scope, auth_required: bool) -> str | None:
    """Who may share this response: the companies the authenticated caller may use.

    Keyed by the effective company set, not by who the caller is: a token narrowed to fewer
    companies (same subject) never reads what a wider one stored, and a token whose access was
    revoked is refused by the guard before this runs. With authentication required and no
    principal on the request, nothing may be shared, so the response cache is bypassed (None).
    """
    principal = (scope.get("state") or {}).get("principal")
    if principal is not None:
        return str(principal.cache_scope)
    return None if auth_required else ANONYMOUS.cache_scope


class _Request:
    """A GraphQL HTTP request as the router will see it: query, variables, extensions."""

    def __init__(self, method: str, payload: dict[str, Any]) -> None:
        self.method = method
        self.payload = payload

    @property
    def query(self) -> str | None:
        query = self.payload.get("query")
        return query if isinstance(query, str) else None

    @property
    def operation_name(self) -> str | None:
        name = self.payload.get("operationName")
        return name if isinstance(name, str) else None

    def extensions(self) -> Mapping[str, Any] | None:
        raw = self.payload.get("extensions")
        if isinstance(raw, str):  # GET carries JSON in the query string
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
        return raw if isinstance(raw, Mapping) else None

    def variables(self) -> Any:
        raw = self.payload.get("variables")
        if isinstance(raw, str):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                return raw
        return raw

    def cache_key(self, caller: str) -> str:
        material = [caller, self.query, self.operation_name, self.variables()]
        return hashlib.sha256(orjson.dumps(material, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def _answer(send: Send, status: int, body: bytes, cache_state: str) -> None:
    await respond_json(send, status, body, [(b"x-gateway-cache", cache_state.encode())])


class GraphQLFront:
    """ASGI middleware for one path: resolves persisted queries, serves and fills the cache."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        auth_required: bool,
        persisted: PersistedQueries,
        responses: ResponseCache | None,
        max_tokens: int = 3000,
        max_document_bytes: int = 100_000,
    ) -> None:
        self.app = app
        self.path = path
        self.persisted = persisted
        self.responses = responses
        self.auth_required = auth_required
        self.max_tokens = max_tokens
        """Documents with more tokens are refused here, counted without parsing."""
        self.max_document_bytes = max_document_bytes
        """Longer documents are refused here without being lexed at all."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST":
            body = await read_body(scope, receive) or b""
            try:
                payload = orjson.loads(body)
            except orjson.JSONDecodeError:
                payload = None
            if not isinstance(payload, dict):  # batches and bad JSON: the router answers
                await self.app(scope, replay(body), send)
                return
        elif scope["method"] == "GET":
            payload = dict(parse_qsl(scope.get("query_string", b"").decode()))
            if "query" not in payload and "extensions" not in payload:  # GraphiQL page
                await self.app(scope, receive, send)
                return
            body = b""
        else:
            await self.app(scope, receive, send)
            return
        request = _Request(scope["method"], payload)
        persisted, responses = self.persisted, self.responses

        refusal = self._oversized(request.query)
        if refusal is not None:
            # Refused before anything parses it (or registers it as a persisted query).
            await _answer(send, 200, orjson.dumps({"data": None, "errors": [refusal]}), "bypass")
            return
        scan = None if request.query is None else scan_document(request.query, self.max_tokens)
        if scan is not None and scan.too_many:
            error = {
                "message": too_many_tokens_message(self.max_tokens),
                "extensions": {"code": "GRAPHQL_PARSE_FAILED", "maxTokens": self.max_tokens},
            }
            await _answer(send, 200, orjson.dumps({"data": None, "errors": [error]}), "bypass")
            return
        resolved = await persisted.resolve(request.query, request.extensions())
        if isinstance(resolved, Refusal):
            await _answer(send, resolved.status, orjson.dumps(resolved.body()), "bypass")
            return
        if resolved is not None and resolved != request.query:
            payload["query"] = resolved
            scope, body = self._rewritten(scope, payload)
            scan = scan_document(resolved, self.max_tokens)
        await self._serve(scope, _Request(scope["method"], payload), body, send, responses, scan)

    def _oversized(self, query: str | None) -> dict[str, Any] | None:
        """An error for a document longer than `max_document_bytes` characters: even lexing
        it (a long comment or string is read a character at a time) would hold the loop."""
        if query is None or len(query) <= self.max_document_bytes:
            return None
        return {
            "message": f"Syntax Error: the document is {len(query)} characters long, more than "
            f"{self.max_document_bytes}. Parsing aborted.",
            "extensions": {"code": "GRAPHQL_PARSE_FAILED", "maxBytes": self.max_document_bytes},
        }

    def _rewritten(self, scope: Scope, payload: dict[str, Any]) -> tuple[Scope, bytes]:
        if scope["method"] == "POST":
            return scope, orjson.dumps(payload)
        query_string = urlencode({k: v for k, v in payload.items() if isinstance(v, str)})
        return {**scope, "query_string": query_string.encode()}, b""

    async def _serve(
        self,
        scope: Scope,
        request: _Request,
        body: bytes,
        send: Send,
        responses: ResponseCache | None,
        scan: DocumentScan | None,
    ) -> None:
        caller = caller_scope(scope, self.auth_required)
        cacheable = (
            responses is not None
            and caller is not None
            and scan is not None
            and scan.lexable
            and scanned_operation_type(scan, request.operation_name) is OperationType.QUERY
            and not _opted_out(scope)
        )
        if not cacheable or responses is None or caller is None:
            await self.app(scope, replay(body), _with_cache_state(send, b"bypass"))
            return
        key = request.cache_key(caller)
        cached = responses.get(key)
        if cached is not None:
            await _answer(send, 200, cached, "hit")
            return
        since = responses.version
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        with responses.recording() as dependencies:
            await self.app(scope, replay(body), capture)
        start = next(m for m in captured if m["type"] == "http.response.start")
        response_body = b"".join(
            m.get("body", b"") for m in captured if m["type"] == "http.response.body"
        )
        stored = False
        if start["status"] == 200 and _without_errors(response_body):
            stored = responses.store(key, response_body, dependencies, since)
        headers = [
            *start.get("headers", []),
            (b"x-gateway-cache", b"miss" if stored else b"bypass"),
        ]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": response_body})


def _with_cache_state(send: Send, state: bytes) -> Send:
    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), (b"x-gateway-cache", state)]
            message = {**message, "headers": headers}
        await send(message)

    return sender


def _opted_out(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"cache-control" and (b"no-cache" in value or b"no-store" in value):
            return True
    return False


def _without_errors(body: bytes) -> bool:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(parsed, dict) or "errors" in parsed or "data" not in parsed:
        return False
    extensions = parsed.get("extensions")
    # An answer with warnings (old data served while Codat refuses) is not worth keeping.
    return not (isinstance(extensions, dict) and "warnings" in extensions)
