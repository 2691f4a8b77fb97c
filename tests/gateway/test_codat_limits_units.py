"""The pieces behind Codat's limits in the gateway: the quota gate, the old copies' bounds, and
the shared per-company slots failing open when Redis is gone."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from gateway.codat.errors import CodatRateLimited
from gateway.codat.limits import QuotaGate, parse_reset
from gateway.events.slots import RedisSlots
from gateway.reads.cache import CacheKey
from gateway.reads.stale import StaleCopies


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_the_gate_shuts_on_remaining_zero_until_the_reset_time_and_tells_its_listeners() -> None:
    clock = Clock()
    gate = QuotaGate(clock)
    heard: list[tuple[bool, str]] = []
    gate.listeners.append(lambda shut, until, source: heard.append((shut, source)))
    assert gate.observe(200, 5, "1970-01-01T00:20:00Z") is False
    gate.check("GET", "/companies", None)  # open: no error
    assert gate.observe(200, 0, "1970-01-01T00:20:00Z") is True  # 1,200 s
    with pytest.raises(CodatRateLimited) as refused:
        gate.check("GET", "/companies/c/data/bills", "c")
    assert refused.value.retry_after == 200.0
    assert refused.value.company_id == "c"
    assert heard == [(True, "X-Rate-Limit-Remaining: 0")]
    clock.now = 1_200.0  # the reset time passes: open again, on its own
    gate.check("GET", "/companies", None)
    assert gate.refused == 1


def test_the_gate_opens_on_reset_and_a_shut_without_a_time_lasts_a_minute() -> None:
    clock = Clock()
    gate = QuotaGate(clock)
    gate.shut(None, "client.rateLimit.reached", announce=False)
    assert gate.retry_after() == 60.0
    gate.open("client.rateLimit.reset", announce=False)
    assert not gate.exhausted


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-11-26T00:00:00Z", 1795651200.0), ("tomorrow", None), ("2026-11-26T00:00:00", None)],
)
def test_reset_times_are_read_only_when_unambiguous(text: str, expected: float | None) -> None:
    assert parse_reset(text) == expected


def test_old_copies_are_bounded_in_entries_bytes_and_age() -> None:
    clock = Clock()
    copies = StaleCopies(max_age_seconds=100, max_entries=2, max_bytes=2_000, timer=clock)
    for n in range(3):
        copies.keep(CacheKey("c", "bills", (n,)), ["x" * 100])
    assert len(copies) == 2  # the least recently used went
    assert copies.get(CacheKey("c", "bills", (0,))) is None
    copies.keep(CacheKey("c", "bills", ("big",)), ["x" * 5_000])  # larger than the budget
    assert copies.get(CacheKey("c", "bills", ("big",))) is None
    bound = copies.bound()
    assert bound.holder == "stale"
    assert bound.bytes <= bound.max_bytes
    clock.now += 50
    kept = copies.get(CacheKey("c", "bills", (2,)))
    assert kept is not None
    assert kept[0] == 50
    clock.now += 100
    assert copies.get(CacheKey("c", "bills", (2,))) is None


async def test_shared_slots_fail_open_to_the_local_cap_when_redis_is_down() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    slots = RedisSlots(redis, prefix="test", per_company=2, cooldown_seconds=30)
    inside = 0
    peak = 0

    async def call() -> None:
        nonlocal inside, peak
        async with slots.slot("c"):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.02)
            inside -= 1

    async with asyncio.timeout(5):
        await asyncio.gather(*(call() for _ in range(6)))
    await redis.aclose()
    assert peak == 2  # the local bound still holds
    assert slots.fallbacks == 6
