"""One error shape for /graphql: every non-2xx answer is a GraphQL response a client can parse.

Whoever refused the request (Strawberry's router: a body that is not JSON, no query, a content
type it does not read, a mutation sent by GET; FastAPI: a method /graphql does not serve; the
guard, the persisted-query and upload checks in front), the client gets

    {"errors": [{"message": "...", "extensions": {"code": "...", "requestId": "..."}}]}

with the status that says why, as `application/graphql-response+json` when the request's Accept
names it and `application/json` otherwise (the GraphQL-over-HTTP spec's media types). Answers
that already have the shape keep their message and extensions and gain what they lack.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.edge.correlation import current_request_id

log = logging.getLogger("gateway.errors")

GRAPHQL_RESPONSE = b"application/graphql-response+json"
JSON = b"application/json"

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "BAD_USER_INPUT",
    429: "RATE_LIMITED",
}
"""`extensions.code` of a refusal that came without one, by status (5xx: INTERNAL_SERVER_ERROR)."""

_RESTATED: dict[str, tuple[int, str]] = {
    "Unsupported content type": (
        415,
        "unsupported content type: send the operation as application/json "
        "(or multipart/form-data for file uploads)",
    ),
    "Unable to parse request body as JSON": (400, "the request body is not valid JSON"),
    "No GraphQL query found in the request": (
        400,
        'no GraphQL query in the request: send {"query": "..."} (or a persisted query\'s hash)',
    ),
}
"""Strawberry's plain-text refusals, with the status and message a client should see."""


def code_for(status: int) -> str:
    return CODES.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "BAD_REQUEST")


def media_type(scope: Scope) -> bytes:
    """`application/graphql-response+json` when the client accepts it, else JSON."""
    for name, value in scope.get("headers", ()):
        if name == b"accept" and GRAPHQL_RESPONSE in value.lower():
            return GRAPHQL_RESPONSE
    return JSON


def error_document(
    status: int, content_type: bytes, body: bytes
) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
    """The status, GraphQL error document and extra headers for a non-2xx answer."""
    rid = current_request_id()
    headers: list[tuple[bytes, bytes]] = []
    parsed: Any = None
    if b"json" in content_type:
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("errors"), list) and parsed["errors"]:
        document = parsed
    else:
        if isinstance(parsed, dict) and isinstance(parsed.get("detail"), str):
            message = parsed["detail"]  # FastAPI's HTTPException
        else:
            message = body.decode("utf-8", "replace").strip() or "request refused"
        if message in _RESTATED:
            status, message = _RESTATED[message]
        elif "not allowed when using GET" in message:
            status, message = 405, f"{message}: send it with POST"
        if status == 405:
            headers.append((b"allow", b"GET, POST"))
        document = {"errors": [{"message": message}]}
    for error in document["errors"]:
        if not isinstance(error, dict):
            continue
        extensions = error.get("extensions")
        if not isinstance(extensions, dict):
            extensions = error["extensions"] = {}
        extensions.setdefault("code", code_for(status))
        if rid is not None:
            extensions.setdefault("requestId", rid)
    return status, document, headers


class GraphQLErrorShape:
    """ASGI middleware for the GraphQL path: rewrites every non-2xx answer into the shape."""

    def __init__(self, app: ASGIApp, *, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        wanted = media_type(scope)
        start: Message | None = None
        chunks: list[bytes] = []
        answered = False

        async def shaping(message: Message) -> None:
            nonlocal start, answered
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if 200 <= status < 300:
                    answered = True
                    await send(message)
                else:
                    start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered = True
                await self._answer(send, start, b"".join(chunks), wanted)

        try:
            await self.app(scope, receive, shaping)
        except Exception:
            if answered:
                raise
            log.exception("unhandled error answering %s %s", scope["method"], scope["path"])
            body = b"Internal server error."
            start = {"type": "http.response.start", "status": 500, "headers": []}
            await self._answer(send, start, body, wanted)

    @staticmethod
    async def _answer(send: Send, start: Message, body: bytes, wanted: bytes) -> None:
        content_type = b""
        kept: list[tuple[bytes, bytes]] = []
        for name, value in start.get("headers", []):
            if name.lower() == b"content-type":
                content_type = value.lower()
            elif name.lower() not in (b"content-length", b"content-encoding", b"allow"):
                kept.append((name, value))
        status, document, extra = error_document(int(start["status"]), content_type, body)
        encoded = orjson.dumps(document)
        headers = [
            *kept,
            *extra,
            (b"content-type", wanted + b"; charset=utf-8"),
            (b"content-length", str(len(encoded)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": encoded})
