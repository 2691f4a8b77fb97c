"""Contract checks: httpx requests, responses and webhook bodies against Codat's OpenAPI specs."""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any
from urllib.parse import parse_qs

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V31WebhookRequestBodyValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.specs import SPEC_DIR

PAYABLES_V1 = SPEC_DIR / "sync-for-payables-v1.json"
PLATFORM = SPEC_DIR / "platform-api.json"
LEGACY_CATALOGUE = SPEC_DIR / "webhooks-event-catalogue-2024-10.yaml"

# Codat's only declared server. Requests to a local sandbox are matched as if they went there.
CODAT_HOST = "https://api.codat.io"


@functools.cache
def _payables_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(PAYABLES_V1.read_text())
    return document


@functools.cache
def payables_spec() -> OpenAPI:
    """The Sync for Payables v1 spec, loaded once per process, with one known defect corrected.

    Spec defect (codat-notes §4): the `pageSize` query parameter allows up to 5000 and Codat's
    paging docs say 5000, but `PagingInfo.pageSize` in the response schema says `maximum: 2000`,
    so every valid pageSize=2001..5000 response would fail. Only that one keyword is changed.
    """
    spec = copy.deepcopy(_payables_document())
    paging = spec["components"]["schemas"]["PagingInfo"]["properties"]["pageSize"]
    assert paging.get("maximum") == 2000, "the PagingInfo defect is gone; drop this workaround"
    paging["maximum"] = 5000
    spec["paths"].update(_bank_account_paths(spec))
    return OpenAPI.from_dict(spec)


BANK_ACCOUNTS_PATH = "/companies/{companyId}/connections/{connectionId}/data/bankAccounts"


def _bank_account_paths(spec: dict[str, Any]) -> dict[str, Any]:
    """The Accounting API's bank-account reads, which v1 lacks, described with v1's own parts.

    Codat serves `GET .../connections/{connectionId}/data/bankAccounts[/{accountId}]` (its
    Accounting API, same key and base URL; codat-notes §3.2), whose spec is not in the stored
    copy; their records are v1's `BankAccount` schema, lists the `Accounts` envelope shape
    (`results` + `PagingInfo`), and errors v1's `ErrorMessage` responses, all taken from the
    v1 document so nothing here invents a field.
    """
    accounts = spec["paths"]["/companies/{companyId}/data/accounts"]["get"]
    one_item = spec["paths"]["/companies/{companyId}/data/accounts/{accountId}"]
    one = {**one_item["get"], "parameters": one_item["parameters"]}
    errors = {code: body for code, body in accounts["responses"].items() if code != "200"}
    connection = {"$ref": "#/components/parameters/connectionId"}
    listed = {
        "allOf": [
            {
                "type": "object",
                "properties": {
                    "results": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/BankAccount"},
                    }
                },
            },
            {"$ref": "#/components/schemas/PagingInfo"},
        ]
    }

    def ok(schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": "OK", "content": {"application/json": {"schema": schema}}}

    return {
        BANK_ACCOUNTS_PATH: {
            "get": {
                "operationId": "list-bank-accounts",
                "parameters": [*accounts["parameters"], connection],
                "responses": {"200": ok(listed), **errors},
            }
        },
        BANK_ACCOUNTS_PATH + "/{accountId}": {
            "get": {
                "operationId": "get-bank-account",
                "parameters": [*one["parameters"], connection],
                "responses": {
                    "200": ok({"$ref": "#/components/schemas/BankAccount"}),
                    **{c: b for c, b in one["responses"].items() if c != "200"},
                },
            }
        },
    }


@functools.cache
def platform_spec() -> OpenAPI:
    """The Platform API spec (webhook payloads live here), loaded once per process."""
    return OpenAPI.from_file_path(str(PLATFORM))


@functools.cache
def legacy_catalogue_spec() -> OpenAPI:
    """Codat's webhook event catalogue (2024-10): its `webhooks:` hold the legacy payloads."""
    return OpenAPI.from_file_path(str(LEGACY_CATALOGUE))


class _OpenAPIRequest:
    """An httpx.Request seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        query = parse_qs(request.url.query.decode("ascii"), keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict({}),
        )

    @property
    def host_url(self) -> str:
        return CODAT_HOST

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        try:
            content = self._request.content
        except httpx.RequestNotRead:  # multipart uploads are streamed; their stream re-reads
            content = self._request.read()
        return content or None

    @property
    def content_type(self) -> str:
        return str(self._request.headers.get("content-type", "")).lower()


class _OpenAPIResponse:
    """An httpx.Response seen through openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return str(self._response.headers.get("content-type", "")).lower()

    @property
    def headers(self) -> Headers:
        return Headers(dict(self._response.headers))

    @property
    def data(self) -> bytes | None:
        return self._response.content or None


class _WebhookRequest:
    """A webhook body as openapi-core's WebhookRequest (named by the spec's `webhooks:` key)."""

    def __init__(self, name: str, body: bytes) -> None:
        self.name = name
        self.body = body
        self.method = "post"
        self.content_type = "application/json"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict({}),
            header=Headers({"content-type": "application/json"}),
            cookie=ImmutableMultiDict({}),
        )


def _describe(exc: BaseException) -> str:
    """Flatten openapi-core's nested schema errors into readable lines."""
    headline = str(exc)
    lines = [f"{type(exc).__name__}: {headline[:300]}{'...' if len(headline) > 300 else ''}"]
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        nested = getattr(current, "schema_errors", None) or []
        for error in nested:
            location = "/".join(str(part) for part in getattr(error, "absolute_path", []))
            lines.append(f"  at /{location}: {str(getattr(error, 'message', error))[:300]}")
        cause = current.__cause__
        if cause is not None:
            lines.append(f"  caused by {type(cause).__name__}: {str(cause)[:300]}")
            pending.append(cause)
    return "\n".join(lines)


def _fail(what: str, request: httpx.Request, exc: Exception) -> AssertionError:
    return AssertionError(
        f"{what} {request.method} {request.url} breaks the spec:\n{_describe(exc)}"
    )


def spec_for(path: str) -> OpenAPI:
    """The v1 spec, which covers every sandbox path (companies and connections included)."""
    del path
    return payables_spec()


def check_request(request: httpx.Request) -> None:
    """Raise AssertionError listing the schema errors if `request` is not a valid v1 request."""
    try:
        spec_for(request.url.path).validate_request(_OpenAPIRequest(request))
    except Exception as exc:
        raise _fail("request", request, exc) from exc


def _declared_binary(request: httpx.Request, response: httpx.Response) -> bool:
    """Whether the v1 operation declares this status with an application/octet-stream body."""
    for template, item in _payables_document()["paths"].items():
        pattern = "^" + re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, request.url.path):
            operation = item.get(request.method.lower(), {})
            declared = operation.get("responses", {}).get(str(response.status_code), {})
            if "application/octet-stream" in declared.get("content", {}):
                return True
    return False


IDEMPOTENCY_STATUSES = {409, 422}
_ERROR_MESSAGE_TYPES: dict[str, type] = {
    "statusCode": int,
    "service": str,
    "error": str,
    "correlationId": str,
    "canBeRetried": str,
    "detailedErrorCode": int,
}


def _check_error_message(request: httpx.Request, response: httpx.Response) -> None:
    body = response.json()
    problems = [
        f"{name} should be {kind.__name__}"
        for name, kind in _ERROR_MESSAGE_TYPES.items()
        if not isinstance(body.get(name), kind)
    ]
    if body.get("statusCode") != response.status_code:
        problems.append("statusCode differs from the HTTP status")
    if set(body) - {*_ERROR_MESSAGE_TYPES, "validation"}:
        problems.append(f"unexpected properties {sorted(set(body) - set(_ERROR_MESSAGE_TYPES))}")
    if problems:
        raise AssertionError(f"{request.method} {request.url}: ErrorMessage body: {problems}")


def check_response(request: httpx.Request, response: httpx.Response) -> None:
    """Raise AssertionError listing the schema errors if `response` does not match the v1 spec."""
    if response.headers.get("content-type") == "application/octet-stream":
        # openapi-core 0.23 validates a 3.1 `type: string, format: binary` body as a text string
        # and rejects every bytes payload, so binary downloads are checked here instead: the
        # operation must declare this status with an octet-stream body (any bytes satisfy it).
        if not _declared_binary(request, response):
            raise AssertionError(f"{request.method} {request.url}: undeclared binary response")
        return
    if response.status_code in IDEMPOTENCY_STATUSES and "idempotency-key" in request.headers:
        # Spec gap (codat-notes §9): Codat documents Idempotency-Key on writes (409 while the
        # first request is in flight, 422 for a different body), but v1 declares neither the
        # header nor these statuses. Only such responses skip the lookup; their body must
        # still be an exact ErrorMessage.
        _check_error_message(request, response)
        return
    try:
        spec_for(request.url.path).validate_response(
            _OpenAPIRequest(request), _OpenAPIResponse(response)
        )
    except Exception as exc:
        raise _fail(f"response {response.status_code} to", request, exc) from exc


def check_webhook(event_name: str, body: bytes | dict[str, Any]) -> None:
    """Raise AssertionError if a webhook body breaks the Platform API's `webhooks.<event_name>`."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        # The body validator, not the full request validator: the Platform spec's top-level
        # `security` (Codat's API key) would otherwise be demanded of Codat's own webhooks.
        V31WebhookRequestBodyValidator(platform_spec().spec).validate(
            _WebhookRequest(event_name, raw)
        )
    except Exception as exc:
        raise AssertionError(f"webhook {event_name} breaks the spec:\n{_describe(exc)}") from exc


def check_legacy_webhook(event_name: str, body: bytes | dict[str, Any]) -> None:
    """Raise AssertionError if a legacy body breaks the catalogue's `webhooks.<event_name>`
    (e.g. `ClientRateLimitReached`, `DataSyncStatusChangedToError`)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        V31WebhookRequestBodyValidator(legacy_catalogue_spec().spec).validate(
            _WebhookRequest(event_name, raw)
        )
    except Exception as exc:
        raise AssertionError(
            f"legacy webhook {event_name} breaks the catalogue:\n{_describe(exc)}"
        ) from exc
