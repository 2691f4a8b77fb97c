"""The upstream cache: TTL, precise eviction, single flight, no stale write after eviction."""

from __future__ import annotations

import asyncio

from gateway.reads.cache import CacheKey, UpstreamCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_second_read_is_a_hit_until_the_ttl_passes() -> None:
    clock = Clock()
    cache = UpstreamCache(ttl_seconds=10, max_entries=100, timer=clock)
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        return calls

    key = CacheKey("c1", "bills", ("page", 1))
    assert await cache.get_or_fetch(key, fetch) == 1
    assert await cache.get_or_fetch(key, fetch) == 1
    clock.now = 11
    assert await cache.get_or_fetch(key, fetch) == 2
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)


async def test_invalidating_one_company_and_data_type_evicts_exactly_those_entries() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=100)

    async def value() -> str:
        return "v"

    keys = [
        CacheKey("c1", "bills", ("a",)),
        CacheKey("c1", "bills", ("b",)),
        CacheKey("c1", "suppliers", ("a",)),
        CacheKey("c2", "bills", ("a",)),
    ]
    for key in keys:
        await cache.get_or_fetch(key, value)
    assert cache.invalidate("c1", ["bills"]) == 2
    assert [cache.peek(key) for key in keys] == [None, None, "v", "v"]
    assert cache.invalidate("c2") == 1
    assert cache.peek(keys[2]) == "v"


async def test_concurrent_misses_for_one_key_make_one_fetch() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=100)
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        return 7

    key = CacheKey("c1", "bills")
    results = await asyncio.gather(*(cache.get_or_fetch(key, fetch) for _ in range(20)))
    assert results == [7] * 20
    assert calls == 1
    assert cache.stats.joined == 19


async def test_a_fetch_that_overlaps_an_invalidation_does_not_store_its_stale_result() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=100)
    started, release = asyncio.Event(), asyncio.Event()
    version = "old"

    async def slow_fetch() -> str:
        seen = version
        started.set()
        await release.wait()
        return seen

    async def fresh_fetch() -> str:
        return version

    key = CacheKey("c1", "bills")
    slow = asyncio.create_task(cache.get_or_fetch(key, slow_fetch))
    await started.wait()
    version = "new"
    cache.invalidate("c1", ["bills"])
    # A reader after the webhook does not join the stale in-flight fetch.
    assert await cache.get_or_fetch(key, fresh_fetch) == "new"
    release.set()
    assert await slow == "old"
    assert cache.peek(key) == "new"
    assert cache.stats.stale_writes_dropped == 1


async def test_a_failed_fetch_is_not_cached_and_reaches_every_waiter() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=100)

    async def failing() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("upstream down")

    key = CacheKey("c1", "bills")
    results = await asyncio.gather(
        *(cache.get_or_fetch(key, failing) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(result, RuntimeError) for result in results)
    assert cache.peek(key) is None


async def test_size_bound_evicts_the_least_recently_used_and_keeps_the_index_clean() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=2)

    async def value() -> int:
        return 1

    for n in range(5):
        await cache.get_or_fetch(CacheKey("c1", "bills", (n,)), value)
    assert len(cache) == 2
    assert cache.invalidate("c1", ["bills"]) == 2


async def test_entries_indexed_with_a_result_are_evicted_with_it() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=100)

    async def page() -> list[str]:
        return ["r1", "r2"]

    def index(records: list[str]) -> list[tuple[tuple[str, str], str]]:
        return [(("id", record), record) for record in records]

    await cache.get_or_fetch(CacheKey("c1", "bills", ("page", 1)), page, index)
    assert cache.lookup(CacheKey("c1", "bills", ("id", "r2"))) == "r2"
    cache.invalidate("c1", ["bills"])
    assert cache.lookup(CacheKey("c1", "bills", ("id", "r2"))) is None


async def test_a_stale_fetch_indexes_nothing() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=100)
    started, release = asyncio.Event(), asyncio.Event()

    async def page() -> list[str]:
        started.set()
        await release.wait()
        return ["old"]

    def index(records: list[str]) -> list[tuple[tuple[str, str], str]]:
        return [(("id", record), record) for record in records]

    fetch = asyncio.create_task(cache.get_or_fetch(CacheKey("c1", "bills"), page, index))
    await started.wait()
    cache.invalidate("c1", ["bills"])
    release.set()
    await fetch
    assert cache.peek(CacheKey("c1", "bills", ("id", "old"))) is None
