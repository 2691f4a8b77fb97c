"""The GraphQL HTTP endpoint: Strawberry's FastAPI router, encoding responses with orjson."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from gateway.edge.correlation import current_request_id
from gateway.edge.error_shape import GRAPHQL_RESPONSE, media_type
from gateway.edge.guard import (
    AuthenticatingTransportWSHandler,
    AuthenticatingWSHandler,
    authenticate_legacy_connection,
    client_address,
)
from gateway.edge.ratelimit import RateLimits
from gateway.edge.static import GraphiQLAssets


class SharedData(dict[str, Any]):
    """A result's data that many subscribers receive (schema/fanout.py): its payload's JSON is
    written once, for all of them (`encode_message`)."""

    __slots__ = ("_payload",)

    def payload_json(self) -> bytes:
        """`{"data": ...}`, encoded on first use."""
        try:
            return self._payload
        except AttributeError:
            self._payload: bytes = orjson.dumps({"data": self})
            return self._payload


def encode_message(message: Mapping[str, object]) -> bytes:
    """A GraphQL-over-WebSocket message as JSON; a payload of only `SharedData` is spliced in
    from its one encoding rather than encoded again for every subscriber."""
    payload = message.get("payload")
    if isinstance(payload, dict) and len(payload) == 1 and len(message) > 1:
        data = payload.get("data")
        if isinstance(data, SharedData):
            envelope = orjson.dumps({k: v for k, v in message.items() if k != "payload"})
            return b'%s,"payload":%s}' % (envelope[:-1], data.payload_json())
    return orjson.dumps(message)


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends every GraphQL-over-WebSocket message as a text frame, as both protocols require.

    Strawberry sends bytes from `encode_json` as binary frames, which clients (gql) refuse.
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(encode_message(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GatewayGraphQLRouter(GraphQLRouter[Any, Any]):
    """Strawberry's router; only the JSON encoding differs.

    A dashboard response is large (hundreds of records), and the standard library's encoder was
    a visible share of the warm request (bench/results/dashboard.md); orjson writes the same JSON
    an order of magnitude faster. Decimals reach it as strings (the Decimal scalar serialises).
    """

    websocket_adapter_class = TextWebSocketAdapter

    graphql_transport_ws_handler_class = AuthenticatingTransportWSHandler
    """Authenticates `connection_init` (gateway/edge/guard.py)."""

    graphql_ws_handler_class = AuthenticatingWSHandler
    """Closes a legacy graphql-ws socket when its credential ends (gateway/edge/guard.py)."""

    rate_limits: RateLimits | None = None
    """Operations per caller over WebSockets, failed connection_inits per address (set by
    gateway/app.py; the handlers read it as their `view`'s)."""

    executions = 0
    """Operations this router has executed (the response cache answers without it)."""

    graphiql_assets: GraphiQLAssets | None = None
    """Where GraphiQL's scripts and styles come from (gateway/edge/static.py); None: the CDN."""

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        html = self.graphql_ide_html
        if self.graphiql_assets is not None:
            html = self.graphiql_assets.page(html)
        return HTMLResponse(html)

    async def get_sub_response(self, request: Request) -> Response:
        """FastAPI's response of this request, kept where `process_result` can set its status."""
        sub_response = await super().get_sub_response(request)
        request.state.sub_response = sub_response
        return sub_response

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Every error of an HTTP response carries the request's id (`extensions.requestId`),
        those raised before execution too (QUERY_TOO_COSTLY, validation, parsing).

        A request error (nothing executed: the document did not parse or validate, its variables
        did not coerce, a limit refused it) is a 400 without `data` for a client that accepts
        `application/graphql-response+json`, as the GraphQL-over-HTTP spec says; a client of
        plain JSON keeps the 200 that spec allows it.
        """
        response = await super().process_result(request, result)
        rid = current_request_id()
        for error in response.get("errors") or ():
            if rid is not None and isinstance(error, dict):
                extensions = error.setdefault("extensions", {})
                if isinstance(extensions, dict):
                    extensions.setdefault("requestId", rid)
        if (
            result.data is None
            and result.errors
            and all(error.path is None for error in result.errors)
            and media_type(request.scope) == GRAPHQL_RESPONSE
        ):
            response.pop("data", None)
            request.state.sub_response.status_code = 400
        return response

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        self.executions += 1
        return await super().execute_operation(*args, **kwargs)

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        # The transport handler has authenticated already; the legacy graphql-ws protocol has not.
        socket = getattr(context, "request", None)
        await authenticate_legacy_connection(
            context,
            getattr(context, "connection_params", {}),
            self.rate_limits,
            client_address(socket.scope) if socket is not None else "unknown",
        )
        return await super().on_ws_connect(context)
