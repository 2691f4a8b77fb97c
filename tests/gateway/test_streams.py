"""A subscriber's bounded stream: never makes the producer wait, ends, drops and fails cleanly."""

from __future__ import annotations

import asyncio

import pytest

from gateway.events.streams import BoundedStream


async def test_a_waiting_reader_gets_each_item_offered() -> None:
    # given
    stream: BoundedStream[int] = BoundedStream(2)
    read = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    # when
    assert stream.offer(1)
    # then
    assert await read == 1
    assert stream.pending == 0


async def test_a_full_stream_refuses_the_next_item() -> None:
    stream: BoundedStream[int] = BoundedStream(2)
    assert [stream.offer(n) for n in range(3)] == [True, True, False]
    assert stream.pending == 2


async def test_an_ended_stream_gives_what_is_queued_then_ends() -> None:
    # given
    stream: BoundedStream[int] = BoundedStream(5)
    stream.offer(1)
    stream.offer(2)
    # when
    stream.end()
    # then
    assert [item async for item in stream] == [1, 2]
    assert not stream.offer(3)


async def test_ending_wakes_a_waiting_reader() -> None:
    stream: BoundedStream[int] = BoundedStream(5)
    items = asyncio.ensure_future(_all(stream))
    await asyncio.sleep(0)
    stream.end()
    assert await asyncio.wait_for(items, 1) == []


async def test_a_dropped_stream_ends_at_once_without_what_was_queued() -> None:
    stream: BoundedStream[int] = BoundedStream(5)
    stream.offer(1)
    stream.drop()
    assert await _all(stream) == []


async def test_a_failed_stream_raises_its_error_to_the_reader() -> None:
    # given
    stream: BoundedStream[int] = BoundedStream(5)
    stream.offer(1)
    read = asyncio.ensure_future(_all(stream))
    await asyncio.sleep(0)
    # when
    stream.fail(RuntimeError("fell behind"))
    # then
    with pytest.raises(RuntimeError, match="fell behind"):
        await read


async def test_a_reader_cancelled_while_waiting_loses_nothing() -> None:
    # given: a read that times out while waiting
    stream: BoundedStream[int] = BoundedStream(5)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(stream), 0.01)
    # when
    stream.offer(1)
    # then
    assert await anext(stream) == 1


async def test_a_closed_reader_takes_no_more_items() -> None:
    stream: BoundedStream[int] = BoundedStream(5)
    stream.offer(1)
    stream.close_reader()
    assert stream.pending == 0
    assert not stream.offer(2)


async def _all(stream: BoundedStream[int]) -> list[int]:
    return [item async for item in stream]
