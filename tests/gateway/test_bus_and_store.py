"""The event bus and the key-value store, in process and on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bench.common import free_port
from gateway.app import redis_client
from gateway.events.bus import EventKind, GatewayEvent, LocalBus, RedisBus
from gateway.events.invalidation import CacheInvalidator, evict
from gateway.events.store import FallbackStore, MemoryStore, RedisStore
from gateway.reads.cache import ALL_COMPANIES, CacheKey, UpstreamCache
from tests.gateway.replicas import REDIS_URL, unique_prefix


def event(
    n: int = 0, company: str = "c1", data_types: tuple[str, ...] | None = ("bills",)
) -> GatewayEvent:
    return GatewayEvent(
        id=f"e{n}",
        kind=EventKind.READ_COMPLETED,
        company_id=company,
        data_types=data_types,
        event_type="read.completed",
    )


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = redis_client(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


async def test_every_subscriber_gets_every_event_in_order() -> None:
    bus = LocalBus(queue_size=10)
    first, second = bus.subscribe(), bus.subscribe()
    for n in range(3):
        await bus.publish(event(n))
    await bus.stop()
    assert [e.id async for e in first] == ["e0", "e1", "e2"]
    assert [e.id async for e in second] == ["e0", "e1", "e2"]


async def test_a_slow_subscriber_is_dropped_without_blocking_publishers() -> None:
    bus = LocalBus(queue_size=2)
    slow, keeping_up = bus.subscribe(), bus.subscribe(maxsize=100)
    async with asyncio.timeout(1):
        for n in range(5):
            await bus.publish(event(n))
    assert slow.dropped
    assert [e.id async for e in slow] == []
    assert bus.health().dropped_subscribers == 1
    await bus.stop()
    assert len([e async for e in keeping_up]) == 5


async def test_memory_store_adds_once_expires_and_stays_bounded() -> None:
    now = [0.0]
    store = MemoryStore(max_entries=3, timer=lambda: now[0])
    assert await store.add("a", "1", 10)
    assert not await store.add("a", "2", 10)
    assert await store.get("a") == "1"
    now[0] = 11
    assert await store.get("a") is None
    assert await store.add("a", "3", 10)
    for key in "bcd":
        await store.add(key, key, 10)
    assert len(store) == 3
    assert await store.get("a") is None
    await store.delete("d")
    assert await store.get("d") is None


async def test_redis_store_is_set_if_absent_with_expiry(redis: Redis) -> None:
    store = RedisStore(redis, prefix=unique_prefix())
    assert await store.add("webhook:1", "t1", 5)
    assert not await store.add("webhook:1", "t2", 5)
    assert await store.get("webhook:1") == "t1"
    await store.delete("webhook:1")
    assert await store.add("webhook:1", "t3", 0.05)
    await asyncio.sleep(0.1)
    assert await store.get("webhook:1") is None


async def test_fallback_store_uses_memory_when_redis_is_unreachable() -> None:
    unreachable = redis_client(f"redis://127.0.0.1:{free_port()}/0")
    try:
        store = FallbackStore(RedisStore(unreachable, prefix="x"), MemoryStore(), timeout=1)
        assert await store.add("k", "v", 10)
        assert not await store.add("k", "v", 10)
        assert await store.get("k") == "v"
        assert store.fallbacks >= 2
    finally:
        await unreachable.aclose()


async def test_redis_buses_on_one_channel_each_deliver_every_event_once(redis: Redis) -> None:
    # given: two replicas' buses on one channel, each with its own connection
    other = redis_client(REDIS_URL)
    channel = f"{unique_prefix()}:events"
    a = RedisBus(redis, channel=channel, queue_size=10)
    b = RedisBus(other, channel=channel, queue_size=10)
    at_a, at_b = a.subscribe(), b.subscribe()
    await a.start()
    await b.start()
    try:
        assert a.health().healthy
        assert b.health().healthy

        # when
        await a.publish(event(1))
        await b.publish(event(2, data_types=None))

        # then
        async with asyncio.timeout(3):
            seen_a = [await anext(at_a), await anext(at_a)]
            seen_b = [await anext(at_b), await anext(at_b)]
        assert {e.id for e in seen_a} == {e.id for e in seen_b} == {"e1", "e2"}
        assert next(e for e in seen_b if e.id == "e2").data_types is None
        assert at_a.pending == 0
        assert at_b.pending == 0
    finally:
        await a.stop()
        await b.stop()
        await other.aclose()


async def test_a_redis_bus_without_redis_delivers_locally_and_reports_degraded() -> None:
    unreachable = redis_client(f"redis://127.0.0.1:{free_port()}/0")
    bus = RedisBus(unreachable, channel="nowhere", queue_size=10)
    changes: list[bool] = []
    bus.on_health_change(changes.append)
    subscription = bus.subscribe()
    try:
        await bus.start()
        await bus.publish(event(7))
        async with asyncio.timeout(1):
            assert (await anext(subscription)).id == "e7"
        health = bus.health()
        assert health.healthy is False
        assert health.detail
        assert changes == [False]
    finally:
        await bus.stop()
        await unreachable.aclose()


async def test_the_invalidator_evicts_what_events_name_and_clears_on_health_changes() -> None:
    # given
    cache = UpstreamCache(ttl_seconds=300, max_entries=100)
    bus = LocalBus(queue_size=10)
    invalidator = CacheInvalidator(
        bus, cache, ttl_seconds=300, degraded_ttl_seconds=5, queue_size=10
    )

    async def value() -> str:
        return "v"

    for key in (
        CacheKey("c1", "bills", ("p",)),
        CacheKey("c1", "suppliers", ("p",)),
        CacheKey("c2", "bills", ("p",)),
        CacheKey(ALL_COMPANIES, "companies", ("page",)),
    ):
        await cache.get_or_fetch(key, value)
    await invalidator.start()
    try:
        # when
        await bus.publish(event(1))
        for _ in range(200):
            if invalidator.applied:
                break
            await asyncio.sleep(0.005)
        assert invalidator.applied == 1

        # then
        assert cache.peek(CacheKey("c1", "bills", ("p",))) is None
        assert cache.peek(CacheKey("c1", "suppliers", ("p",))) == "v"
        assert cache.peek(CacheKey("c2", "bills", ("p",))) == "v"
        assert evict(cache, event(2, company="c2", data_types=None)) == 2
        assert cache.peek(CacheKey(ALL_COMPANIES, "companies", ("page",))) is None
        await invalidator.on_bus_health(False)
        assert len(cache) == 0
        assert cache.ttl_seconds == 5
        await invalidator.on_bus_health(True)
        assert cache.ttl_seconds == 300
    finally:
        await invalidator.stop()
        await bus.stop()
