"""In front of /graphql: who is calling (401), how big the body is (413), how often (429).

Runs before the response cache, so a stored response is only ever served to an authenticated
caller who may see the same companies (`scope["state"]["principal"].cache_scope`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import ipaddress
import logging
from asyncio import Task
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson
from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage as TransportErrorMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage, StartMessage

from gateway.edge.asgi import read_body, respond_json
from gateway.edge.auth import AuthenticationError, Authenticator
from gateway.edge.disconnect import until_disconnect, writes
from gateway.edge.nesting import MAX_JSON_NESTING, lone_surrogate, too_deep
from gateway.edge.ratelimit import RateLimits, retry_after
from gateway.reads.work import RequestWork, within
from gateway.tenancy import ANONYMOUS, Principal

log = logging.getLogger("gateway.edge.guard")


def error_body(message: str, code: str, **extensions: object) -> bytes:
    return orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    )


@dataclass(frozen=True, kw_only=True)
class GuardConfig:
    path: str
    auth: bool
    authenticator: Authenticator
    max_body_bytes: int
    max_upload_bytes: int
    """Multipart requests (file uploads) may be this large instead."""
    limits: RateLimits | None
    """Operations per caller and failed authentications per address (gateway/edge/ratelimit.py)."""


class GraphQLGuard:
    """ASGI middleware for the GraphQL path (HTTP only; WebSockets authenticate on
    `connection_init`, see gateway/edge/http.py)."""

    def __init__(self, app: ASGIApp, *, config: GuardConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self.config
        if scope["type"] != "http" or scope["path"].rstrip("/") != config.path:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET" and not scope.get("query_string"):
            await self.app(scope, receive, send)  # the GraphiQL page: no data behind it
            return
        principal = ANONYMOUS
        if config.auth:
            address = client_address(scope)
            if config.limits is not None:
                wait = await config.limits.auth_blocked(address)
                if wait > 0:
                    await _too_many(send, wait, "too many failed authentications")
                    return
            try:
                principal = await self._authenticate(scope)
            except AuthenticationError as exc:
                if config.limits is not None:
                    await config.limits.auth_failed(address)
                body = error_body(str(exc), "UNAUTHENTICATED")
                await respond_json(
                    send, 401, body, [(b"www-authenticate", b'Bearer realm="graphql"')]
                )
                return
        scope.setdefault("state", {})["principal"] = principal
        limit = config.max_upload_bytes if _multipart(scope) else config.max_body_bytes
        read = await read_body(scope, receive, limit)
        if read is None:
            message = f"the request body exceeds {limit} bytes"
            await respond_json(send, 413, error_body(message, "PAYLOAD_TOO_LARGE"))
            return
        body = read
        if _nests_too_deep(scope, body):
            message = f"the request nests arrays and objects deeper than {MAX_JSON_NESTING} levels"
            await respond_json(send, 400, error_body(message, "BAD_USER_INPUT"))
            return
        if not _multipart(scope) and lone_surrogate(body):
            message = "the request body escapes a lone UTF-16 surrogate: strings must be Unicode"
            await respond_json(send, 400, error_body(message, "BAD_USER_INPUT"))
            return
        if config.limits is not None and principal is not ANONYMOUS:
            wait = await config.limits.take(principal.identity, _operations(body))
            if wait > 0:
                await _too_many(send, wait, "too many operations")
                return
        cancellable = not writes(scope, body)
        await until_disconnect(self.app, scope, body, receive, send, cancellable=cancellable)

    async def _authenticate(self, scope: Scope) -> Principal:
        if not self.config.authenticator.configured:
            raise AuthenticationError("no client credentials are configured on this gateway")
        authorization = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        return await self.config.authenticator.authenticate(authorization)


async def _too_many(send: Send, wait: float, why: str) -> None:
    seconds = retry_after(wait)
    body = error_body(f"{why}; retry in {seconds} s", "RATE_LIMITED", retryAfter=seconds)
    await respond_json(send, 429, body, [(b"retry-after", str(seconds).encode())])


def client_address(scope: Scope) -> str:
    """The peer's address (behind a proxy: the proxy's, unless uvicorn's --proxy-headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _nests_too_deep(scope: Scope, body: bytes) -> bool:
    """A JSON body, or a GET's query-string values (`variables`, `extensions`), nested deeper
    than MAX_JSON_NESTING: refused before any recursive parser or walker sees it."""
    if not _multipart(scope) and too_deep(body):
        return True
    query_string: bytes = scope.get("query_string") or b""
    values = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return any(too_deep(value) for _, value in values)


def _multipart(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bool(value.split(b";")[0].strip().lower() == b"multipart/form-data")
    return False


def _operations(body: bytes) -> int:
    """How many operations a request body carries (a JSON list is a batch)."""
    if body[:1] != b"[":
        return 1
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return 1
    return max(1, len(parsed)) if isinstance(parsed, list) else 1


class AdminAccess:
    """Who may read the operator's endpoints (metrics, readiness details, cache stats).

    With `GATEWAY_ADMIN_TOKEN` set: a request bearing it, from anywhere. Unset: only a client
    on the loopback interface (a scraper or operator on the same machine or pod).
    """

    def __init__(self, token: str | None) -> None:
        self._token = token

    def allows(self, request: Request) -> bool:
        if self._token is not None:
            header = request.headers.get("authorization", "")
            scheme, _, given = header.partition(" ")
            return scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), self._token.encode()
            )
        host = request.client.host if request.client is not None else ""
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def __call__(self, request: Request) -> None:
        """A FastAPI dependency: 401 unless the caller is an administrator."""
        if not self.allows(request):
            raise HTTPException(
                401, "administrator token required", headers={"WWW-Authenticate": "Bearer"}
            )


class ConnectingContext(Protocol):
    """What a WebSocket's GraphQL context offers to authenticate its `connection_init`."""

    @property
    def connected(self) -> bool: ...

    async def connect(self, payload: Mapping[str, Any]) -> None: ...

    async def credential_ends(self) -> str | None: ...


UNAUTHORIZED_CLOSE = 4401
FORBIDDEN_CLOSE = 4403


class ClosableSocket(Protocol):
    async def close(self, code: int, reason: str) -> None: ...


def close_when_credential_ends(context: ConnectingContext, websocket: ClosableSocket) -> Task[None]:
    """A task that closes `websocket` (4401, with the reason) when the credential it connected
    with expires or is revoked; the handler cancels it when the socket ends first."""

    async def watch() -> None:
        reason = await context.credential_ends()
        if reason is None:
            return
        log.info("closing a WebSocket: %s", reason)
        with contextlib.suppress(Exception):
            await websocket.close(code=UNAUTHORIZED_CLOSE, reason=reason[:120])

    return asyncio.create_task(watch())


class AuthenticatingTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws: checks the `connection_init` payload's bearer token before the ack;
    on failure the socket closes with 4401 (no credentials) or 4403 (refused) and the reason."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        context: ConnectingContext = self.context
        payload = message.get("payload") or {}
        if not self.connection_init_received and isinstance(payload, dict):
            limits, address = _socket_limits(self.view), _socket_address(self.websocket)
            try:
                if not context.connected and limits is not None:
                    wait = await limits.auth_blocked(address)
                    if wait > 0:
                        raise _ThrottledError(wait)
                await context.connect(payload)
            except (AuthenticationError, _ThrottledError) as exc:
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                self.connection_init_received = True
                if isinstance(exc, _ThrottledError):
                    code = TOO_MANY_CLOSE
                else:
                    if limits is not None:
                        await limits.auth_failed(address)
                    code = UNAUTHORIZED_CLOSE if "missing" in str(exc) else FORBIDDEN_CLOSE
                await self.websocket.close(code=code, reason=str(exc)[:120])
                return
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.credential_watch is None:
            self.credential_watch = close_when_credential_ends(context, self.websocket)

    credential_watch: Task[None] | None = None

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            wait = await _operation_wait(self.view, self.context)
            if wait > 0:
                error: Any = rate_limited_error(wait)
                await self.send_message(
                    TransportErrorMessage(id=message["id"], type="error", payload=[error])
                )
                return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        if self.credential_watch is not None:
            self.credential_watch.cancel()
        await super().shutdown()


class AuthenticatingWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """The legacy graphql-ws protocol: `connection_init` is checked in the router's
    `on_ws_connect` (`authenticate_legacy_connection`); here the socket closes when the
    credential ends."""

    credential_watch: Task[None] | None = None

    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            wait = await _operation_wait(self.view, self.context)
            if wait > 0:
                payload: Any = rate_limited_error(wait)
                await self.send_message(
                    ErrorMessage(type="error", id=message["id"], payload=payload)
                )
                return
        with within(self.work):
            await super().handle_start(message)

    @functools.cached_property
    def work(self) -> RequestWork:
        return RequestWork()

    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.credential_watch is None:
            self.credential_watch = close_when_credential_ends(self.context, self.websocket)

    async def cleanup(self) -> None:
        if self.credential_watch is not None:
            self.credential_watch.cancel()
        await super().cleanup()
        self.work.cancel()


async def authenticate_legacy_connection(
    context: ConnectingContext,
    payload: Any,
    limits: RateLimits | None = None,
    address: str = "unknown",
) -> None:
    """The older graphql-ws protocol: refuse with a `connection_error` carrying the reason."""
    if context.connected:
        return
    if limits is not None:
        wait = await limits.auth_blocked(address)
        if wait > 0:
            raise ConnectionRejectionError({"message": str(_ThrottledError(wait))})
    try:
        await context.connect(payload if isinstance(payload, dict) else {})
    except AuthenticationError as exc:
        if limits is not None:
            await limits.auth_failed(address)
        raise ConnectionRejectionError({"message": str(exc)}) from None


TOO_MANY_CLOSE = 4429
"""graphql-transport-ws' close code for too many initialisation requests."""


class _ThrottledError(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"too many failed authentications; retry in {retry_after(wait)} s")


def rate_limited_error(wait: float) -> dict[str, Any]:
    """A GraphQL error (as sent over a WebSocket) for an operation over its caller's limit."""
    seconds = retry_after(wait)
    return {
        "message": f"too many operations; retry in {seconds} s",
        "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds},
    }


def _socket_limits(view: Any) -> RateLimits | None:
    limits = getattr(view, "rate_limits", None)
    return limits if isinstance(limits, RateLimits) else None


def _socket_address(websocket: Any) -> str:
    """The peer of a Strawberry WebSocket adapter (its Starlette WebSocket is `ws`)."""
    socket = getattr(websocket, "ws", None)
    return client_address(socket.scope) if socket is not None else "unknown"


async def _operation_wait(view: Any, context: Any) -> float:
    """0 if the socket's caller may send one more operation, else the seconds to wait."""
    limits = _socket_limits(view)
    principal = getattr(context, "principal", ANONYMOUS)
    if limits is None or principal is ANONYMOUS or not isinstance(principal, Principal):
        return 0.0
    return await limits.take(principal.identity)
