"""companyPushOperations, companyDataChanged and pushOperation over a real WebSocket (the last
shared by its subscribers), and shutdown ending them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from gql import Client, GraphQLRequest, gql
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from gateway.app import create_app
from tests.conftest import gateway_settings
from tests.e2e.paying import WEBHOOK_SECRET, payables, ws_url
from tests.e2e.records import CREATE_SUPPLIER, mutate
from tests.gateway.replicas import send_webhooks_to
from tests.servers import ServerThread, running

PUSHES = """
subscription Pushes($company: ID!) {
  companyPushOperations(companyId: $company) { pushOperationKey status dataType }
}
"""
CHANGES = """
subscription Changes($company: ID!, $types: [DataType!]) {
  companyDataChanged(companyId: $company, dataTypes: $types) {
    companyId dataTypes eventType pushOperationKey status
  }
}
"""

PUSH = """
subscription Push($company: ID!, $key: String!) {
  pushOperation(companyId: $company, key: $key) { pushOperationKey status syncState }
}
"""
SHARING = 4


@pytest.fixture
def server(sandbox_url: str) -> Iterator[tuple[str, FastAPI]]:
    app = create_app(gateway_settings(sandbox_url, WEBHOOK_SECRET=WEBHOOK_SECRET))
    with running(app) as started:
        send_webhooks_to(sandbox_url, f"{started.url}/webhooks/codat")
        yield started.url, app


async def collect(
    gateway_url: str,
    document: str,
    variables: dict[str, Any],
    until: Any,
    ready: asyncio.Event,
) -> list[dict[str, Any]]:
    """Results of one subscription until `until(result)` holds."""
    seen: list[dict[str, Any]] = []
    # Leaving a gql subscription early makes its client wait close_timeout (10 s by default)
    # on the way out, though the gateway closes at once.
    transport = WebsocketsTransport(
        url=ws_url(gateway_url), subprotocols=["graphql-transport-ws"], close_timeout=0.2
    )
    async with Client(transport=transport) as session:
        request = GraphQLRequest(gql(document), variable_values=variables)
        stream = session.subscribe(request)
        ready.set()
        async for result in stream:
            seen.append(result)
            if until(result):
                break
    return seen


async def subscribed(app: FastAPI, count: int) -> None:
    """Until the gateway's bus has `count` subscribers (the subscriptions are live)."""
    bus = app.state.services.bus
    for _ in range(200):
        if bus.health().subscribers >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the subscriptions did not start")


async def test_company_subscriptions_hear_a_write_from_pending_to_success(
    sandbox_url: str, server: tuple[str, FastAPI]
) -> None:
    # given: both company subscriptions are open
    url, app = server
    company = payables(sandbox_url)[0].company_id
    ready = asyncio.Event()
    pushes = asyncio.create_task(
        collect(
            url,
            PUSHES,
            {"company": company},
            lambda r: r["companyPushOperations"]["status"] == "Success",
            ready,
        )
    )
    changes = asyncio.create_task(
        collect(
            url,
            CHANGES,
            {"company": company, "types": ["SUPPLIERS"]},
            lambda r: "SUPPLIERS" in (r["companyDataChanged"]["dataTypes"] or []),
            ready,
        )
    )
    base = app.state.services.bus.health().subscribers
    await subscribed(app, base + 2)
    # when
    payload = await asyncio.to_thread(
        mutate, url, CREATE_SUPPLIER, "createSupplier", companyId=company, supplierName="Z"
    )
    key = payload["pushOperation"]["pushOperationKey"]
    # then
    heard = await asyncio.wait_for(pushes, 15)
    assert heard[-1]["companyPushOperations"] == {
        "pushOperationKey": key,
        "status": "Success",
        "dataType": "SUPPLIERS",
    }
    changed = (await asyncio.wait_for(changes, 15))[-1]["companyDataChanged"]
    assert changed["companyId"] == company
    assert "SUPPLIERS" in changed["dataTypes"]


async def test_subscribers_of_one_push_on_several_sockets_share_its_updates(
    sandbox_url: str, server: tuple[str, FastAPI]
) -> None:
    # given: a push, and the same subscription to it on several connections
    url, app = server
    company = payables(sandbox_url)[0].company_id
    payload = await asyncio.to_thread(
        mutate, url, CREATE_SUPPLIER, "createSupplier", companyId=company, supplierName="Y"
    )
    variables = {"company": company, "key": payload["pushOperation"]["pushOperationKey"]}
    # when: each hears it until Success
    heard = await asyncio.wait_for(
        asyncio.gather(
            *(
                collect(
                    url,
                    PUSH,
                    variables,
                    lambda r: r["pushOperation"]["status"] == "Success",
                    asyncio.Event(),
                )
                for _ in range(SHARING)
            )
        ),
        20,
    )
    # then: all heard Success; each update was executed once for all who heard it
    assert {seen[-1]["pushOperation"]["status"] for seen in heard} == {"Success"}
    results = app.state.graphql.schema.execution_context_class.event_results
    delivered = sum(len(seen) for seen in heard)
    assert results.executions + results.shared == delivered
    assert results.executions <= delivered - (SHARING - 1)


async def test_shutdown_ends_open_subscriptions(sandbox_url: str, sandbox_server: Any) -> None:
    # given: a gateway with an open subscription that would otherwise never end
    company = payables(sandbox_url)[0].company_id
    settings = gateway_settings(sandbox_url, WEBHOOK_SECRET=WEBHOOK_SECRET)
    app = create_app(settings)
    gateway = ServerThread(app)
    gateway.start()
    ready = asyncio.Event()
    listening = asyncio.create_task(
        collect(gateway.url, CHANGES, {"company": company, "types": None}, lambda r: False, ready)
    )
    await subscribed(app, 1)
    # when
    await asyncio.to_thread(gateway.stop)
    # then: the client's subscription ended at once with a close frame saying "service
    # restart" (1012: reconnect), rather than hanging or losing the connection
    done, _ = await asyncio.wait({listening}, timeout=5)
    assert done == {listening}
    error = listening.exception()
    closed = getattr(error, "__cause__", None)
    assert isinstance(closed, ConnectionClosed), error
    assert closed.rcvd is not None
    assert closed.rcvd.code == CloseCode.SERVICE_RESTART
