"""WebSockets: credentials from the upgrade request's Authorization header (clients configured
with headers, e.g. gql's `headers=`) as well as from `connection_init`; a subscription to a
company that does not exist is an error at once; pushOperation starts with the current status."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.app import create_app
from tests.conftest import gateway_settings
from tests.e2e.paying import PAY_BILL, payables, ws_url
from tests.servers import running

KEY = "websocket-client-key-0123456789"
PUSHES = "subscription P($c: ID!) { companyPushOperations(companyId: $c) { status } }"
PUSH = """subscription Push($c: ID!, $k: String!) {
  pushOperation(companyId: $c, key: $k) { pushOperationKey status } }"""
CHANGED = "subscription C($c: ID!) { companyDataChanged(companyId: $c) { companyId } }"


@pytest.fixture
def gateway(sandbox_url: str) -> Iterator[str]:
    keys = [{"name": "c", "sha256": hashlib.sha256(KEY.encode()).hexdigest(), "companies": "*"}]
    settings = gateway_settings(sandbox_url, GATEWAY_AUTH="on", GATEWAY_API_KEYS=json.dumps(keys))
    with running(create_app(settings)) as server:
        yield server.url


async def _init(url: str, headers: dict[str, str], payload: dict[str, Any]) -> Any:
    socket = await connect(
        ws_url(url),
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=headers,
    )
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    return socket


async def test_the_upgrade_requests_authorization_header_authenticates_the_socket(
    gateway: str,
) -> None:
    socket = await _init(gateway, {"Authorization": f"Bearer {KEY}"}, {})
    reply = json.loads(await socket.recv())
    await socket.close()
    assert reply == {"type": "connection_ack"}


async def test_a_wrong_upgrade_header_is_refused_with_4403(gateway: str) -> None:
    socket = await _init(gateway, {"Authorization": "Bearer not-a-key"}, {})
    with pytest.raises(ConnectionClosed):
        await socket.recv()
    assert socket.close_code == 4403


async def test_gql_configured_with_headers_is_answered_at_once(gateway: str) -> None:
    # given: a client configured with headers only (no connection_init payload)
    transport = WebsocketsTransport(
        url=ws_url(gateway),
        subprotocols=["graphql-transport-ws"],
        headers={"Authorization": f"Bearer {KEY}"},
        close_timeout=0.2,
    )
    # when: it subscribes to the pushes of a company that does not exist
    async with Client(transport=transport) as session:
        request = GraphQLRequest(gql(PUSHES), variable_values={"c": "no-such-company"})
        # then: it is let in, and the subscription fails at once instead of waiting forever
        with pytest.raises(TransportQueryError, match="no company with id no-such-company"):
            await asyncio.wait_for(_drain(session, request), timeout=5)


async def _drain(session: Any, request: GraphQLRequest) -> None:
    async for _ in session.subscribe(request):
        pass


@pytest.mark.parametrize("document", [PUSHES, CHANGED, PUSH])
async def test_every_subscription_to_an_unknown_company_errors_at_once(
    gateway: str, document: str
) -> None:
    socket = await _init(gateway, {"Authorization": f"Bearer {KEY}"}, {})
    assert json.loads(await socket.recv()) == {"type": "connection_ack"}
    variables = {"c": "no-such-company", "k": "no-such-key"}
    message = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": document, "variables": variables},
    }
    await socket.send(json.dumps(message))
    async with asyncio.timeout(5):
        answer = json.loads(await socket.recv())
    await socket.close()
    errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["NOT_FOUND"]


async def test_push_operation_sends_the_current_status_first_then_each_change(
    sandbox_url: str, gateway: str
) -> None:
    # given: a bill paid (its push operation Pending in the sandbox)
    payable = payables(sandbox_url)[0]
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{gateway}/graphql",
            json={
                "query": PAY_BILL,
                "variables": {
                    "input": {
                        "companyId": payable.company_id,
                        "billId": payable.bill["id"],
                        "accountId": payable.bank_account_id,
                        "date": "2026-11-26",
                        "idempotencyKey": "websocket-push-1",
                    }
                },
            },
            headers={"Authorization": f"Bearer {KEY}"},
        )
    paid = response.json()
    key = paid["data"]["payBill"]["pushOperation"]["pushOperationKey"]
    transport = WebsocketsTransport(
        url=ws_url(gateway),
        subprotocols=["graphql-transport-ws"],
        headers={"Authorization": f"Bearer {KEY}"},
    )
    # when
    seen: list[str] = []
    async with Client(transport=transport) as session:
        request = GraphQLRequest(gql(PUSH), variable_values={"c": payable.company_id, "k": key})
        async with asyncio.timeout(30):
            async for result in session.subscribe(request):
                seen.append(result["pushOperation"]["status"])
    # then
    assert seen[0] == "Pending"
    assert seen[-1] == "Success"
