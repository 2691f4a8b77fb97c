"""gateway/writes/idempotency.py in process: one run per key, replays, refusals, progress."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.events.store import MemoryStore
from gateway.writes.idempotency import (
    IdempotencyKeyInFlightError,
    IdempotencyKeyReusedError,
    IdempotentWrites,
    Rejected,
    Unsettled,
    fingerprint,
)


def writes(*, wait: float = 1.0) -> IdempotentWrites:
    return IdempotentWrites(
        MemoryStore(), ttl_seconds=60, lease_seconds=30, wait_seconds=wait, poll_seconds=0.005
    )


class Counter:
    def __init__(self, result: dict[str, Any] | None = None) -> None:
        self.calls = 0
        self.result = result or {"pushed": "p1"}

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        await asyncio.sleep(0.01)
        return self.result


def test_the_fingerprint_ignores_key_order_but_not_values() -> None:
    assert fingerprint("payBill", "c", {"a": 1, "b": 2}) == fingerprint(
        "payBill", "c", {"b": 2, "a": 1}
    )
    assert fingerprint("payBill", "c", {"a": 1}) != fingerprint("payBill", "c", {"a": 2})
    assert fingerprint("payBill", "c", {"a": 1}) != fingerprint("payBills", "c", {"a": 1})


async def test_concurrent_calls_with_one_key_run_the_work_once() -> None:
    store, work = writes(), Counter()
    results = await asyncio.gather(*(store.run("k", "f", work) for _ in range(10)))
    assert work.calls == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * 9
    assert all(r.result == {"pushed": "p1"} for r in results)


async def test_the_same_key_with_another_input_is_refused() -> None:
    store = writes()
    await store.run("k", "f1", Counter())
    with pytest.raises(IdempotencyKeyReusedError):
        await store.run("k", "f2", Counter())


async def test_a_rejected_or_failed_run_releases_the_key() -> None:
    store = writes()

    async def rejected() -> dict[str, Any]:
        raise Rejected(["bad input"])

    with pytest.raises(Rejected):
        await store.run("k", "f", rejected)
    work = Counter()
    again = await store.run("k", "f", work)
    assert (work.calls, again.replayed) == (1, False)


async def test_an_unsettled_run_is_not_remembered_but_its_progress_is() -> None:
    store = writes()
    progress = store.progress("k", "f")

    async def partly() -> dict[str, Any]:
        await progress.add("group-a:done", {"push": "p1"})
        raise Unsettled({"results": ["a paid", "b unknown"]})

    with pytest.raises(Unsettled) as unsettled:
        await store.run("k", "f", partly)
    assert unsettled.value.result == {"results": ["a paid", "b unknown"]}
    # the retry runs again, and finds what the first attempt recorded
    assert await progress.get("group-a:done") == {"push": "p1"}
    assert await progress.get("group-b:done") is None
    assert not await progress.add("group-a:done", {"push": "p2"}), "the first record stands"
    retried = await store.run("k", "f", Counter())
    assert retried.replayed is False


async def test_progress_recorded_for_one_input_cannot_be_read_with_another() -> None:
    store = writes()
    await store.progress("k", "f1").add("group-a:sent", {"codatKey": "x"})
    with pytest.raises(IdempotencyKeyReusedError):
        await store.progress("k", "f2").get("group-a:sent")
    await store.progress("k", "f1").forget("group-a:sent")
    assert await store.progress("k", "f1").get("group-a:sent") is None


async def test_a_caller_gives_up_waiting_for_a_slow_first_run() -> None:
    store = writes(wait=0.05)
    release = asyncio.Event()

    async def slow() -> dict[str, Any]:
        await release.wait()
        return {}

    first = asyncio.create_task(store.run("k", "f", slow))
    await asyncio.sleep(0.01)
    with pytest.raises(IdempotencyKeyInFlightError):
        await store.run("k", "f", Counter())
    release.set()
    assert (await first).replayed is False
