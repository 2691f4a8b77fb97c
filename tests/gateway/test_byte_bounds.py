"""Every per-process cache and store is bounded in entries and in bytes (gateway/ops/bounds.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.codat.models import Metadata
from gateway.codat.paging import Page
from gateway.events.store import MemoryStore
from gateway.reads.cache import ENTRY_OVERHEAD_BYTES, CacheKey, ResponseCache, UpstreamCache


def _fetch(value: Any) -> Callable[[], Awaitable[Any]]:
    async def fetch() -> Any:
        return value

    return fetch


async def test_the_upstream_cache_is_bounded_in_bytes() -> None:
    # given: room for about ten 10 KB values
    cache = UpstreamCache(ttl_seconds=60, max_entries=1000, max_bytes=100_000)
    # when
    for number in range(50):
        await cache.get_or_fetch(CacheKey("c", "bills", (number,)), _fetch("x" * 10_000))
    # then
    bound = cache.bound()
    assert bound.bytes <= 100_000
    assert 8 <= bound.entries <= 10
    assert cache.peek(CacheKey("c", "bills", (49,))) is not None  # the newest stay
    assert cache.peek(CacheKey("c", "bills", (0,))) is None


async def test_the_upstream_cache_is_bounded_in_entries_and_counts_pages_by_their_json() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=5, max_bytes=10_000_000)
    for number in range(20):
        page: Page[Any] = Page(
            results=("a" * 100,) * 10, page_number=1, page_size=10, total_results=10, has_next=False
        )
        await cache.get_or_fetch(CacheKey("c", "bills", (number,)), _fetch(page))
    bound = cache.bound()
    assert bound.entries == 5
    assert bound.bytes == 5 * (64 + 1000 + ENTRY_OVERHEAD_BYTES)


async def test_a_value_larger_than_the_whole_budget_is_answered_but_not_kept() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=10, max_bytes=1000)
    value: Any = await cache.get_or_fetch(CacheKey("c", "bills"), _fetch("z" * 5000))
    assert value == "z" * 5000
    assert cache.bound().entries == 0
    assert cache.bound().bytes == 0


def test_the_response_cache_is_bounded_in_bytes_and_entries() -> None:
    responses = ResponseCache(ttl_seconds=60, max_entries=100, max_bytes=50_000)
    for number in range(40):
        responses.store(f"k{number}", b"x" * 5_000, {("c", "bills")}, responses.version)
    bound = responses.bound()
    assert bound.bytes <= 50_000
    assert 8 <= bound.entries <= 10
    few = ResponseCache(ttl_seconds=60, max_entries=3, max_bytes=50_000)
    for number in range(10):
        few.store(f"k{number}", b"x", set(), few.version)
    assert few.bound().entries == 3
    assert few.get("k9") == b"x"
    assert not few.store("huge", b"y" * 60_000, set(), few.version)


async def test_the_memory_store_is_bounded_in_bytes_and_entries() -> None:
    store = MemoryStore(max_entries=1000, max_bytes=20_000)
    for number in range(100):
        assert await store.add(f"k{number}", "v" * 1000, 60)
    assert store.bound().bytes <= 20_000
    assert await store.get("k99") == "v" * 1000
    assert await store.get("k0") is None
    assert not await store.add("huge", "v" * 30_000, 60)
    counted = MemoryStore(max_entries=3, max_bytes=20_000)
    for number in range(10):
        await counted.add(f"k{number}", "v", 60)
    assert len(counted) == 3
    await counted.delete("k9")
    assert counted.bound().entries == 2


async def test_a_shared_fetch_is_cancelled_when_its_last_waiter_is() -> None:
    cache = UpstreamCache(ttl_seconds=60, max_entries=10)
    started = asyncio.Event()
    finished = False

    async def slow() -> str:
        nonlocal finished
        started.set()
        await asyncio.sleep(5)
        finished = True
        return "late"

    key = CacheKey("c", "bills")
    first = asyncio.create_task(cache.get_or_fetch(key, slow))
    second = asyncio.create_task(cache.get_or_fetch(key, slow))
    await started.wait()
    first.cancel()
    await asyncio.sleep(0.01)
    assert cache.inflight() == 1  # the second still waits
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    await asyncio.sleep(0.01)
    assert cache.inflight() == 0
    assert cache.stats.cancelled == 1
    assert not finished


async def test_a_page_read_from_codat_is_charged_the_body_it_came_in() -> None:
    # given: a page parsed from a 9000-byte body, its records indexed by id as reads do
    records = tuple(Metadata(is_deleted=False) for _ in range(3))
    page: Page[Any] = Page(
        results=records,
        page_number=1,
        page_size=3,
        total_results=3,
        has_next=False,
        wire_bytes=9000,
    )
    cache = UpstreamCache(ttl_seconds=60, max_entries=10, max_bytes=10_000_000)

    # when
    await cache.get_or_fetch(
        CacheKey("c", "bills", ("page",)),
        _fetch(page),
        lambda found: [(("id", str(n)), r) for n, r in enumerate(found.results)],
    )

    # then: the page its body, each record a third of it (not its own serialisation)
    assert cache.bound().bytes == (64 + 9000) + 3 * 3000 + 4 * ENTRY_OVERHEAD_BYTES
