"""One subscriber's bounded stream, on anyio's memory object streams.

Used by the event bus (`gateway/events/bus.py`) and the push watches
(`gateway/writes/pushwatch.py`): the
producer never waits (`offer` answers False when the subscriber is full, and the producer drops
it), `end` finishes the stream once what is queued has been read, `drop` ends it at once
(what it missed is gone), and `fail` ends it at once with an error raised to the reader. The
reader calls `close_reader` when it stops reading (both ends are then released).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Generic, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

T = TypeVar("T")


class BoundedStream(Generic[T]):
    def __init__(self, maxsize: int) -> None:
        self._send: MemoryObjectSendStream[T]
        self._receive: MemoryObjectReceiveStream[T]
        self._send, self._receive = anyio.create_memory_object_stream[T](maxsize)
        self._error: BaseException | None = None
        self.closed = False

    @property
    def pending(self) -> int:
        """Items queued and not yet read."""
        return self._receive.statistics().current_buffer_used

    def offer(self, item: T) -> bool:
        """Queue `item` if there is room; False when the subscriber is full or gone."""
        try:
            self._send.send_nowait(item)
        except (anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
            return False
        return True

    def end(self) -> None:
        """No more items: the reader gets what is queued, then the end."""
        self.closed = True
        self._send.close()
        if self.pending == 0:
            self._receive.close()  # nothing left to read: release it now

    def drop(self) -> None:
        """End now: what is queued is discarded."""
        self.end()
        self._receive.close()

    def close_reader(self) -> None:
        """The reader is done with the stream (it reads no more): release both ends."""
        self.end()
        self._receive.close()

    def fail(self, error: BaseException) -> None:
        """End now with `error`, raised to the reader."""
        self._error = error
        self.drop()

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._receive.close()
            if self._error is not None:
                raise self._error from None
            raise StopAsyncIteration from None
