"""CSRF guard for GraphQL multipart uploads.

A `multipart/form-data` POST is a "simple" request a browser sends cross-site without a CORS
preflight, so with uploads enabled a forged form could run a mutation with the victim's cookies.
As Strawberry's docs advise (and Apollo does), such requests must carry a header a form cannot
set: `Apollo-Require-Preflight`, `X-Apollo-Operation-Name` or `GraphQL-Preflight` (any value).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

PREFLIGHT_HEADERS = frozenset(
    {b"apollo-require-preflight", b"x-apollo-operation-name", b"graphql-preflight"}
)


class UploadGuard:
    """Refuses (400) multipart POSTs to `path` that lack a preflight-forcing header."""

    def __init__(self, app: ASGIApp, *, path: str) -> None:
        self.app = app
        self.path = path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"].rstrip("/") != self.path
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"multipart/form-data" or any(
            headers.get(name) for name in PREFLIGHT_HEADERS
        ):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "errors": [
                    {
                        "message": "multipart requests must carry an Apollo-Require-Preflight "
                        "(or GraphQL-Preflight) header",
                        "extensions": {"code": "BAD_REQUEST"},
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
