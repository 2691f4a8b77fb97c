"""The upstream cache replicas share in Redis: one Codat call for identical reads on two replicas,
webhooks that reach both levels of every replica, its bounds, and reads that go on without it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
import redis
from pydantic import BaseModel
from redis.asyncio import Redis

from bench.common import free_port
from gateway.app import create_app
from gateway.codat.paging import Page
from gateway.edge.auth import ApiKey
from gateway.reads import codec
from gateway.reads.cache import CacheKey
from gateway.reads.codec import CodecError
from gateway.reads.shared import SharedCache, SharedCacheConfig
from gateway.settings import Settings
from tests.gateway.replicas import (
    BILLS,
    REDIS_URL,
    applied,
    bills,
    patch_record,
    readiness,
    replica_settings,
    two_replicas,
    unique_prefix,
    wait_until,
    with_changes,
)
from tests.queries import AP_DASHBOARD
from tests.redis_server import redis_server
from tests.servers import ServerThread, running
from tests.upstream import clear_calls, recorded_calls

DASHBOARD_VARIABLES = {"companies": 3, "bills": 5, "dueFrom": "2020-01-01", "dueTo": "2030-12-31"}


def amount_of(nodes: list[dict[str, Any]], bill_id: str) -> float:
    return float(next(node for node in nodes if node["codatId"] == bill_id)["amountDue"])


def metric(replica: ServerThread, name: str, **labels: str) -> float:
    text = httpx.get(f"{replica.url}/metrics", timeout=5).text
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    found = re.search(rf"^{name}\{{{wanted}\}} (\S+)$", text, re.MULTILINE)
    return 0.0 if found is None else float(found.group(1))


def shared_keys(prefix: str, url: str = REDIS_URL) -> dict[str, int]:
    """Every key of the shared cache under `prefix`, with its remaining TTL in ms."""
    client = redis.Redis.from_url(url)
    try:
        return {
            key.decode(): int(client.pttl(key))
            for key in client.scan_iter(match=f"{prefix}:l2:*", count=1000)
        }
    finally:
        client.close()


def dashboard(replica: ServerThread) -> tuple[dict[str, Any], list[str]]:
    """The AP dashboard's data and its errors' codes (the small sandbox has an unsynced company)."""
    response = httpx.post(
        f"{replica.url}/graphql",
        json={"query": AP_DASHBOARD, "variables": DASHBOARD_VARIABLES},
        timeout=30,
    )
    body: dict[str, Any] = response.json()
    codes = [error["extensions"]["code"] for error in body.get("errors", [])]
    assert body["data"]["companies"]["nodes"]
    return body["data"], codes


def set_latency(sandbox_url: str, ms: int) -> None:
    httpx.put(f"{sandbox_url}/_sandbox/latency", json={"ms": ms}, timeout=10).raise_for_status()


def test_identical_concurrent_cold_reads_on_two_replicas_make_one_upstream_call_each(
    sandbox_url: str,
) -> None:
    # given: two cold replicas, and a Codat slow enough for their reads to overlap
    with two_replicas(sandbox_url) as replicas:
        set_latency(sandbox_url, 150)
        clear_calls(sandbox_url)
        start = threading.Barrier(4)
        answers: list[list[dict[str, Any]]] = []

        def read(replica: ServerThread) -> None:
            start.wait(10)
            answers.append(bills(replica.url, replicas.company))

        readers = [threading.Thread(target=read, args=(r,)) for r in [replicas.a, replicas.b] * 2]

        # when: both replicas read the same bills at once, twice each
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(30)

        # then: every upstream call was made once, by one replica, and all got the same answer
        calls = recorded_calls(sandbox_url)
        assert calls
        counts = Counter((call.path, call.query) for call in calls)
        assert set(counts.values()) == {1}, counts
        assert len(answers) == 4
        assert all(answer == answers[0] for answer in answers)
        assert (
            metric(replicas.a, "gateway_shared_cache_events_total", event="wait")
            + metric(replicas.b, "gateway_shared_cache_events_total", event="wait")
            + metric(replicas.a, "gateway_cache_hits_total", cache="shared")
            + metric(replicas.b, "gateway_cache_hits_total", cache="shared")
            >= 1
        )


def test_a_dashboard_read_from_the_shared_cache_is_the_one_fetched(sandbox_url: str) -> None:
    # given: replica A has read the dashboard from Codat
    with two_replicas(sandbox_url) as replicas:
        fetched = dashboard(replicas.a)
        clear_calls(sandbox_url)

        # when: replica B (its own cache cold) reads it
        shared = dashboard(replicas.b)

        # then: no upstream call (but the unsynced company's refusal: errors are never stored),
        # and the very same answer (models, money and pages intact)
        assert [call for call in recorded_calls(sandbox_url) if call.status < 400] == []
        assert shared == fetched


def test_a_webhook_through_replica_a_makes_replica_bs_next_read_fetch_fresh(
    sandbox_url: str,
) -> None:
    # given: A has read the bills, so the shared cache holds them; B has read nothing
    with two_replicas(sandbox_url) as replicas:
        target = bills(replicas.a.url, replicas.company)[0]["codatId"]

        # when: the data changes, and the webhook reaches A only
        patch_record(sandbox_url, replicas.company, "bills", target, {"amountDue": 4242.5})
        wait_until(lambda: applied(replicas.b.url) == 1, what="replica B to apply the event")
        clear_calls(sandbox_url)

        # then: B's first read misses both levels and fetches the new amount; so does A's
        assert amount_of(bills(replicas.b.url, replicas.company), target) == 4242.5
        assert any(call.path.endswith("/data/bills") for call in recorded_calls(sandbox_url))
        assert amount_of(bills(replicas.a.url, replicas.company), target) == 4242.5


def test_reads_still_answer_when_redis_is_killed_and_after_it_returns_empty(
    sandbox_url: str,
) -> None:
    with redis_server() as server, two_replicas(sandbox_url, redis_url=server.url) as replicas:
        # given: the shared cache warm from A
        company = replicas.company
        expected = bills(replicas.a.url, company)

        # when: Redis dies
        server.kill()

        # then: both replicas answer, B (its own cache cold) from its own fetch, and say so
        assert bills(replicas.a.url, company) == expected
        assert bills(replicas.b.url, company) == expected
        assert metric(replicas.b, "gateway_shared_cache_events_total", event="fallback") >= 1

        # when: Redis comes back empty
        server.start()
        wait_until(
            lambda: all(readiness(r.url)["status"] == "ok" for r in (replicas.a, replicas.b)),
            timeout=15,
            what="both replicas back on Redis",
        )

        # then: once their cooldown has passed, the replicas share again
        time.sleep(SharedCacheConfig(prefix="").cooldown_seconds)
        other = next(c for c in _companies(sandbox_url) if c != company)
        stored = metric(replicas.a, "gateway_shared_cache_events_total", event="store")
        assert bills(replicas.a.url, other)
        assert metric(replicas.a, "gateway_shared_cache_events_total", event="store") > stored
        clear_calls(sandbox_url)
        assert bills(replicas.b.url, other)
        assert not any(call.path.endswith("/data/bills") for call in recorded_calls(sandbox_url))


def _companies(sandbox_url: str) -> list[str]:
    seed = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=10).json()
    return [c["id"] for c in seed["companies"] if c.get("synced", True)]


def test_a_value_over_the_size_bound_is_not_stored_and_every_key_expires(
    sandbox_url: str,
) -> None:
    # given: a shared cache that stores nothing over 4 KiB
    with two_replicas(sandbox_url, shared_cache_max_value_bytes=4096) as replicas:
        company = replicas.company

        # when: A reads a page of bills (about 2 KiB a bill) and the company's small records
        bills(replicas.a.url, company)

        # then: the page was counted and not stored; the rest was, each key with a TTL
        assert metric(replicas.a, "gateway_shared_cache_events_total", event="oversize") >= 1
        keys = shared_keys(replicas.prefix)
        assert not [key for key in keys if f":val:{company}:bills:" in key]
        assert [key for key in keys if ":val:" in key]
        assert all(0 < ttl <= 300_000 for key, ttl in keys.items() if ":val:" in key), keys
        assert all(ttl > 0 for ttl in keys.values()), keys


def test_the_shared_cache_keeps_at_most_its_entry_bound(sandbox_url: str) -> None:
    # given: a shared cache of two entries
    with two_replicas(sandbox_url, shared_cache_max_entries=2) as replicas:
        # when: reads of several companies store more than two values
        for company in _companies(sandbox_url)[:3]:
            bills(replicas.a.url, company)

        # then: the oldest went; two are left, and the bound is reported
        values = [key for key in shared_keys(replicas.prefix) if ":val:" in key]
        assert len(values) <= 2
        assert metric(replicas.a, "gateway_cache_evictions_total", cache="shared") >= 1
        assert metric(replicas.a, "gateway_bounded_max_entries", holder="shared") == 2


def test_a_caller_gets_no_company_it_may_not_use_though_the_shared_cache_holds_it(
    sandbox_url: str,
) -> None:
    # given: replica A (open) has put a company's bills in the shared cache; replica B requires
    # a key that allows another company only
    prefix = unique_prefix()
    company, other = _companies(sandbox_url)[:2]
    key = "shared-cache-tenant-key"
    open_settings = replica_settings(sandbox_url, redis_url=REDIS_URL, prefix=prefix)
    closed: Settings = with_changes(
        open_settings,
        auth=True,
        api_keys=(ApiKey("tenant", hashlib.sha256(key.encode()).hexdigest(), frozenset({other})),),
    )
    with running(create_app(open_settings)) as a, running(create_app(closed)) as b:
        held = bills(a.url, company)
        clear_calls(sandbox_url)

        # when: B's caller asks for that company
        response = httpx.post(
            f"{b.url}/graphql",
            json={"query": BILLS, "variables": {"company": company}},
            headers={"Authorization": f"Bearer {key}"},
            timeout=15,
        )

        # then: refused as an unknown company, nothing of it in the answer, nothing read
        body = response.json()
        assert body["data"]["company"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["NOT_FOUND"]
        assert all(bill["codatId"] not in response.text for bill in held)
        assert recorded_calls(sandbox_url) == []


class Thing(BaseModel):
    name: str
    amount: Decimal
    content: dict[str, Any] | None = None


THING = codec.one(Thing)
KEY = CacheKey("company-1", "bills", ("get", "bill-1"))


@asynccontextmanager
async def shared_caches(
    count: int = 1, url: str = REDIS_URL, **config: Any
) -> AsyncIterator[list[SharedCache]]:
    """`count` replicas' shared caches on one Redis, under one fresh prefix."""
    client = Redis.from_url(url, socket_connect_timeout=0.5)
    settings = SharedCacheConfig(prefix=unique_prefix(), **config)
    try:
        yield [SharedCache(client, settings) for _ in range(count)]
    finally:
        await client.aclose()


async def test_a_waiter_fetches_itself_once_a_stuck_holders_lease_expires() -> None:
    async with shared_caches(2, lease_seconds=0.3) as (holder, waiter):
        fetches: list[str] = []
        holding_started = asyncio.Event()

        async def stuck() -> Thing:
            fetches.append("holder")
            holding_started.set()
            await asyncio.sleep(3)
            return Thing(name="late", amount=Decimal("1"))

        async def quick() -> Thing:
            fetches.append("waiter")
            return Thing(name="fresh", amount=Decimal("2.50"))

        # given: a holder whose fetch does not end
        holding = asyncio.create_task(holder.through(KEY, THING, stuck))
        await holding_started.wait()
        started = time.monotonic()

        # when: another replica reads the same key
        value = await waiter.through(KEY, THING, quick)

        # then: it waited for the lease to expire (not longer), then fetched once itself
        waited = time.monotonic() - started
        assert value == Thing(name="fresh", amount=Decimal("2.50"))
        assert fetches == ["holder", "waiter"]
        assert 0.2 <= waited < 2.0
        assert waiter.stats.waits == 1
        assert waiter.stats.stores == 1
        holding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await holding


async def test_a_fetch_overlapping_an_invalidation_stores_nothing() -> None:
    async with shared_caches() as (cache,):
        release = asyncio.Event()

        async def slow() -> Thing:
            await release.wait()
            return Thing(name="old", amount=Decimal("1.00"))

        # given: a fetch in flight
        reading = asyncio.create_task(cache.through(KEY, THING, slow))
        await asyncio.sleep(0.05)

        # when: the data type is invalidated before it ends
        await cache.invalidate(KEY.company_id, [KEY.data_type])
        release.set()
        assert (await reading).name == "old"

        # then: its value was not stored; the next read fetches
        fresh = Thing(name="new", amount=Decimal("2.00"))

        async def fetch_fresh() -> Thing:
            return fresh

        assert await cache.through(KEY, THING, fetch_fresh) == fresh
        assert cache.stats.stale_writes_dropped == 1
        assert cache.stats.stores == 1


async def test_without_redis_every_read_fetches_on_its_own() -> None:
    async with shared_caches(url=f"redis://127.0.0.1:{free_port()}/0") as (cache,):
        value = Thing(name="local", amount=Decimal("3"))

        async def fetch() -> Thing:
            return value

        assert await cache.through(KEY, THING, fetch) == value
        assert await cache.through(KEY, THING, fetch) == value
        await cache.invalidate(KEY.company_id, None)  # recorded as owed, not raised
        assert cache.stats.fallbacks >= 2
        assert cache.stats.hits == 0


def test_the_codec_gives_back_the_same_money_pages_and_absent_records() -> None:
    thing = Thing(
        name="x\u0000decimal\u0000",
        amount=Decimal("1234.5600"),
        content={"rate": Decimal("0.075"), "count": 3, "nested": [Decimal("1E+2")]},
    )
    page = Page(results=(thing,), page_number=2, page_size=1, total_results=3, has_next=True)
    absent = object()

    assert codec.page(Thing).decode(codec.page(Thing).encode(page)) == page
    assert THING.decode(THING.encode(thing)).content == thing.content
    maybe = codec.one(Thing, absent=absent)
    assert maybe.decode(maybe.encode(absent)) is absent
    status = codec.by_name(Thing)
    assert status.decode(status.encode({"bills": thing, "suppliers": None})) == {
        "bills": thing,
        "suppliers": None,
    }


def test_the_codec_refuses_text_that_looks_like_its_marks() -> None:
    tricky = Thing(name="\u0000decimal\u00001", amount=Decimal("2"))
    with pytest.raises(CodecError):
        THING.encode(tricky)
