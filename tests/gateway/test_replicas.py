"""Two gateway replicas, one sandbox, one real Redis: a webhook to one replica evicts on both."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from tests.gateway.replicas import (
    BILLS,
    REDIS_URL,
    Replicas,
    applied,
    bills,
    first_bill_id,
    patch_record,
    readiness,
    redis_link,
    replica_settings,
    send_webhooks_to,
    synced_company,
    two_replicas,
    unique_prefix,
    wait_until,
)
from tests.servers import ServerThread, running
from tests.upstream import clear_calls, recorded_calls


@pytest.fixture
def replicas(sandbox_url: str) -> Iterator[Replicas]:
    with two_replicas(sandbox_url) as both:
        yield both


def test_a_webhook_to_one_replica_makes_the_next_read_on_the_other_fresh(
    replicas: Replicas,
) -> None:
    # given: both caches warm
    sandbox, company = replicas.sandbox, replicas.company
    before_a = bills(replicas.a.url, company)
    before_b = bills(replicas.b.url, company)
    assert before_a == before_b
    clear_calls(sandbox)
    assert bills(replicas.a.url, company) == before_a
    assert bills(replicas.b.url, company) == before_b
    assert recorded_calls(sandbox) == [], "warm reads went upstream"
    changed = before_b[0]["codatId"]

    # when: the data changes and the sandbox tells replica A only
    patch_record(sandbox, company, "bills", changed, {"amountDue": 4321.5})
    wait_until(lambda: applied(replicas.b.url) == 1, what="replica B to apply the event")
    wait_until(lambda: applied(replicas.a.url) == 1, what="replica A to apply the event")

    # then: B's next read is fresh, and only that company's bills (and data status) were refetched
    after = bills(replicas.b.url, company)
    assert float(next(b for b in after if b["codatId"] == changed)["amountDue"]) == 4321.5
    calls = recorded_calls(sandbox)
    assert calls
    assert {call.company_id for call in calls} == {company}
    assert all(call.path.endswith(("/data/bills", "/data/status")) for call in calls), calls
    assert readiness(replicas.a.url)["webhooks"]["accepted"] == 1
    assert readiness(replicas.b.url)["webhooks"]["accepted"] == 0


def test_other_companies_stay_cached_after_a_webhook(replicas: Replicas, sandbox_url: str) -> None:
    # given
    company = replicas.company
    key = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=10).json()
    others = [c["id"] for c in key["companies"] if c["id"] != company and c.get("synced", True)]
    other = others[0]
    bills(replicas.b.url, other)
    target = bills(replicas.b.url, company)[1]["codatId"]
    clear_calls(sandbox_url)

    # when
    patch_record(sandbox_url, company, "bills", target, {"amountDue": 1.25})
    wait_until(lambda: applied(replicas.b.url) == 1, what="replica B to apply the event")

    # then
    bills(replicas.b.url, other)
    assert recorded_calls(sandbox_url) == []


class _HeldUpstream:
    """A forwarding proxy in front of the sandbox that can hold responses (a slow fetch)."""

    def __init__(self, sandbox_url: str) -> None:
        self.sandbox_url = sandbox_url
        self.hold = threading.Event()
        self.release = threading.Event()
        self.held = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k != b"host"]
        url = self.sandbox_url + scope["path"]
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.request(
                scope["method"],
                url,
                params=scope["query_string"].decode(),
                headers=headers,
                content=body,
            )
        if self.hold.is_set() and "/data/bills" in scope["path"]:
            self.held.set()
            await asyncio.to_thread(self.release.wait, 10)
        out = [
            (k.encode(), v.encode())
            for k, v in response.headers.items()
            if k.lower() not in {"content-length", "content-encoding", "transfer-encoding"}
        ]
        out.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": response.content})


def test_a_slow_fetch_overlapping_a_webhook_never_leaves_stale_data(sandbox_url: str) -> None:
    # given: replica B reads Codat through a proxy that holds the bills response, with latency
    prefix = unique_prefix()
    company = synced_company(sandbox_url)
    proxy = _HeldUpstream(sandbox_url)
    httpx.put(
        f"{sandbox_url}/_sandbox/latency",
        json={"ms": 150, "pathPattern": "/data/bills"},
        timeout=10,
    ).raise_for_status()
    with running(proxy) as upstream:
        settings_a = replica_settings(sandbox_url, redis_url=REDIS_URL, prefix=prefix)
        settings_b = replica_settings(upstream.url, redis_url=REDIS_URL, prefix=prefix)
        with running(create_app(settings_a)) as a, running(create_app(settings_b)) as b:
            wait_until(lambda: readiness(b.url)["bus"]["healthy"], what="replica B on Redis")
            wait_until(lambda: readiness(a.url)["bus"]["healthy"], what="replica A on Redis")
            send_webhooks_to(sandbox_url, f"{a.url}/webhooks/codat")
            target = first_bill_id(sandbox_url, company)  # no cache warmed, neither level
            proxy.hold.set()
            results: list[list[dict[str, Any]]] = []
            reader = threading.Thread(target=lambda: results.append(bills(b.url, company)))
            reader.start()
            try:
                assert proxy.held.wait(10), "the slow fetch never reached the upstream"

                # when: the data changes and the webhook is applied while B's fetch is in flight
                patch_record(sandbox_url, company, "bills", target, {"amountDue": 777.0})
                wait_until(lambda: applied(b.url) == 1, what="replica B to apply the event")
            finally:
                proxy.hold.clear()
                proxy.release.set()
                reader.join(timeout=15)

            # then: the in-flight read saw old data, but it was not cached, in B's cache nor in
            # the one replicas share (A has read nothing yet)
            stale = next(bill for bill in results[0] if bill["codatId"] == target)
            assert float(stale["amountDue"]) != 777.0
            for replica in (b, a):
                fresh = bills(replica.url, company)
                assert (
                    float(next(bill for bill in fresh if bill["codatId"] == target)["amountDue"])
                    == 777.0
                )


def test_a_replica_that_loses_redis_keeps_serving_degraded_and_recovers(
    sandbox_url: str,
) -> None:
    # given: a replica whose only path to Redis is a link we can cut
    company = synced_company(sandbox_url)
    with redis_link() as link:
        settings = replica_settings(sandbox_url, redis_url=link.url, prefix=unique_prefix())
        with running(create_app(settings)) as replica:
            wait_until(lambda: readiness(replica.url)["status"] == "ok", what="healthy at start")
            bills(replica.url, company)
            assert readiness(replica.url)["cache"]["entries"] > 0

            # when: Redis goes away
            link.cut()

            # then: degraded, cache cleared with the short TTL, still serving
            wait_until(lambda: readiness(replica.url)["status"] == "degraded", what="degraded")
            degraded = readiness(replica.url)
            assert degraded["bus"]["healthy"] is False
            assert degraded["cache"]["ttlSeconds"] == 7.0
            assert bills(replica.url, company)

            # when: Redis returns
            link.restore()

            # then: resubscribed, back to the normal TTL, cache cleared once more
            wait_until(lambda: readiness(replica.url)["status"] == "ok", what="recovery")
            recovered = readiness(replica.url)
            assert recovered["cache"]["ttlSeconds"] == 300.0
            assert recovered["cache"]["entries"] == 0
            assert bills(replica.url, company)


def test_a_replica_started_without_redis_serves_and_evicts_locally(sandbox_url: str) -> None:
    # given: Redis on a closed port
    with redis_link() as link:
        link.cut()
        settings = replica_settings(sandbox_url, redis_url=link.url, prefix=unique_prefix())
        with running(create_app(settings)) as replica:
            company = synced_company(sandbox_url)
            send_webhooks_to(sandbox_url, f"{replica.url}/webhooks/codat")
            assert readiness(replica.url)["status"] == "degraded"
            target = bills(replica.url, company)[0]["codatId"]

            # when
            patch_record(sandbox_url, company, "bills", target, {"amountDue": 55.5})
            wait_until(lambda: applied(replica.url) == 1, what="local eviction")

            # then
            fresh = bills(replica.url, company)
            assert (
                float(next(bill for bill in fresh if bill["codatId"] == target)["amountDue"])
                == 55.5
            )


def test_a_webhook_to_one_replica_drops_the_stored_responses_on_both(replicas: Replicas) -> None:
    # given: each replica has stored the response
    body = {"query": BILLS, "variables": {"company": replicas.company}}

    def ask(server: ServerThread) -> httpx.Response:
        return httpx.post(f"{server.url}/graphql", json=body, timeout=30)

    for server in (replicas.a, replicas.b):
        ask(server)
        assert ask(server).headers["x-gateway-cache"] == "hit"
    changed = ask(replicas.b).json()["data"]["company"]["bills"]["nodes"][0]["codatId"]

    # when: the data changes and the sandbox tells replica A only
    patch_record(replicas.sandbox, replicas.company, "bills", changed, {"amountDue": 77.5})
    wait_until(lambda: applied(replicas.b.url) == 1, what="replica B to apply the event")

    # then: B executes again and answers with the new amount
    fresh = ask(replicas.b)
    assert fresh.headers["x-gateway-cache"] == "miss"
    nodes = fresh.json()["data"]["company"]["bills"]["nodes"]
    assert float(next(n for n in nodes if n["codatId"] == changed)["amountDue"]) == 77.5
