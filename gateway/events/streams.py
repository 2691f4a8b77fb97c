"""One subscriber's bounded stream: a queue and at most one waiting reader, on the event loop.

Used by the event bus (`gateway/events/bus.py`) and the push watches
(`gateway/writes/pushwatch.py`): the
producer never waits (`offer` answers False when the subscriber is full, and the producer drops
it), `end` finishes the stream once what is queued has been read, `drop` ends it at once
(what it missed is gone), and `fail` ends it at once with an error raised to the reader. The
reader calls `close_reader` when it stops reading (both ends are then released).

An update can wake a thousand subscribers at once, so offering is a deque append and, when the
reader waits, one future resolved; reading what is queued returns at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")


class BoundedStream(Generic[T]):
    """Items in order, for one reader at a time."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._items: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self.closed = False

    @property
    def pending(self) -> int:
        """Items queued and not yet read."""
        return len(self._items)

    def offer(self, item: T) -> bool:
        """Queue `item` if there is room; False when the subscriber is full or gone."""
        if self.closed:
            return False
        waiting = self._waiter is not None
        if len(self._items) >= self._maxsize and not waiting:
            return False
        self._items.append(item)
        self._wake()
        return True

    def end(self) -> None:
        """No more items: the reader gets what is queued, then the end."""
        self.closed = True
        self._wake()

    def drop(self) -> None:
        """End now: what is queued is discarded."""
        self._items.clear()
        self.end()

    def close_reader(self) -> None:
        """The reader is done with the stream (it reads no more): release both ends."""
        self.drop()

    def fail(self, error: BaseException) -> None:
        """End now with `error`, raised to the reader."""
        self._error = error
        self.drop()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        while not self._items:
            if self.closed:
                if self._error is not None:
                    raise self._error from None
                raise StopAsyncIteration
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None
        return self._items.popleft()
