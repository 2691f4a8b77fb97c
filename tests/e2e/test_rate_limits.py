"""Rate limits across transports and replicas, over real servers (gateway/edge/ratelimit.py).

One limit per caller counts HTTP operations and WebSocket `subscribe` messages alike, shared in
Redis by every replica; failed authentications are throttled per client address.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.app import create_app
from tests.e2e.abuse import (
    ADMIN_TOKEN,
    ALL_KEY,
    TENANT_KEY,
    Tenants,
    codes,
    init,
    jwks_url,
    post,
    rate_limited,
    secured_settings,
    tenants,
    ws,
)
from tests.gateway.replicas import REDIS_URL, unique_prefix
from tests.servers import running
from tests.upstream import clear_calls, recorded_calls

__all__ = ["jwks_url", "tenants"]  # fixtures shared with the abuse suite

COMPANY = "query Company($id: ID!) { company(id: $id) { codatId name } }"


def test_two_replicas_on_redis_share_one_limit_per_caller(
    sandbox_url: str, jwks_url: str, tenants: Tenants
) -> None:
    # given: two replicas on one Redis, 4 operations per caller at once, then 1 per 100 s
    environ = {
        "GATEWAY_RATE_LIMIT_PER_SECOND": "0.04",
        "GATEWAY_RATE_LIMIT_BURST": "4",
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": unique_prefix(),
    }
    settings = secured_settings(sandbox_url, jwks_url, tenants, **environ)
    with running(create_app(settings)) as one, running(create_app(settings)) as two:
        # when: the caller alternates between the replicas
        statuses = [
            post(server.url, "{ __typename }", TENANT_KEY).status_code
            for server in (one, two, one, two, one, two)
        ]
        other_caller = post(two.url, "{ __typename }", ALL_KEY)
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        metrics = httpx.get(f"{one.url}/metrics", headers=admin, timeout=10).text
    # then: 4 in all, not 4 per replica
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert other_caller.status_code == 200
    assert 'gateway_rate_limited_total{kind="operations"} 1.0' in metrics


async def test_subscribe_messages_over_one_websocket_count_against_the_callers_limit(
    sandbox_url: str, jwks_url: str, tenants: Tenants
) -> None:
    # given: a caller that may run 5 operations at once
    settings = rate_limited(sandbox_url, jwks_url, tenants, per_second="0.05", burst="5")
    with running(create_app(settings)) as server:
        socket, reply = await init(server.url, {"Authorization": f"Bearer {TENANT_KEY}"})
        assert reply == {"type": "connection_ack"}
        clear_calls(sandbox_url)
        # when: 40 operations in a burst over one socket
        for number in range(40):
            message = {
                "id": str(number),
                "type": "subscribe",
                "payload": {"query": COMPANY, "variables": {"id": tenants.mine}},
            }
            await socket.send(json.dumps(message))
        answers: dict[str, list[dict[str, Any]]] = {}
        async with asyncio.timeout(15):
            while sum(m["type"] in {"complete", "error"} for v in answers.values() for m in v) < 40:
                message = json.loads(await socket.recv())
                answers.setdefault(message["id"], []).append(message)
        await socket.close()
        # and the same caller over HTTP is over its limit too
        http = post(server.url, "{ __typename }", TENANT_KEY)
    # then
    limited = [m for v in answers.values() for m in v if m["type"] == "error"]
    ran = [m for v in answers.values() for m in v if m["type"] == "next"]
    assert len(ran) == 5
    assert len(limited) == 35
    assert {e["payload"][0]["extensions"]["code"] for e in limited} == {"RATE_LIMITED"}
    assert all(e["payload"][0]["extensions"]["retryAfter"] >= 1 for e in limited)
    assert http.status_code == 429
    company_reads = [c for c in recorded_calls(sandbox_url) if c.company_id == tenants.mine]
    assert len(company_reads) <= 5


def test_repeated_bad_tokens_from_one_address_get_429_before_any_check(
    sandbox_url: str, jwks_url: str, tenants: Tenants
) -> None:
    # given: 5 failed authentications a minute per address
    settings = secured_settings(
        sandbox_url, jwks_url, tenants, GATEWAY_AUTH_FAILURES_PER_MINUTE="5"
    )
    with running(create_app(settings)) as server:
        # when
        statuses = [post(server.url, "{ __typename }", "bad-key").status_code for _ in range(8)]
        # even a good key from this address waits until the window has passed
        good = post(server.url, "{ __typename }", TENANT_KEY)
    # then
    assert statuses == [401] * 5 + [429] * 3
    assert good.status_code == 429
    assert codes(good.json()) == ["RATE_LIMITED"]
    assert int(good.headers["retry-after"]) >= 1


async def test_failed_websocket_connection_inits_are_throttled_per_address(
    sandbox_url: str, jwks_url: str, tenants: Tenants
) -> None:
    # given
    settings = secured_settings(
        sandbox_url, jwks_url, tenants, GATEWAY_AUTH_FAILURES_PER_MINUTE="3"
    )
    with running(create_app(settings)) as server:
        closes = []
        for _ in range(5):
            socket, reply = await init(server.url, {"Authorization": "Bearer bad-key"})
            assert reply is None
            closes.append(socket.close_code)
        # the legacy protocol and HTTP count the same address
        async with connect(ws(server.url), subprotocols=["graphql-ws"]) as legacy:  # type: ignore[list-item]
            init_message = {"type": "connection_init", "payload": {"Authorization": "Bearer x"}}
            await legacy.send(json.dumps(init_message))
            try:
                legacy_reply = json.loads(await legacy.recv())
            except ConnectionClosed:
                legacy_reply = {}
        http = post(server.url, "{ __typename }", "bad-key")
    # then
    assert closes == [4403, 4403, 4403, 4429, 4429]
    assert legacy_reply.get("type") == "connection_error"
    assert "too many failed authentications" in legacy_reply["payload"]["message"]
    assert http.status_code == 429
