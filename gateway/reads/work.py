"""Work stops when nobody waits: the tasks one request (or one WebSocket) set going, cancellable.

A request's `RequestWork` is in a context variable while it runs. Every task that waits on an
upstream fetch for it (its resolvers and the DataLoader batches they start, which inherit the
context) is adopted by `adopt_current_task`; `cancel()` cancels them all when the client has gone
(gateway/edge/disconnect.py, the WebSocket handlers). A fetch shared by several requests is
reference-counted by its waiters in gateway/reads/cache.py and stops when the last one is cancelled.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RequestWork:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.cancelled = False

    def adopt(self, task: asyncio.Task[Any]) -> None:
        if self.cancelled:
            task.cancel()
            return
        if task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def cancel(self) -> int:
        """Cancel every adopted task still running (and any adopted later); how many."""
        self.cancelled = True
        running = [task for task in self._tasks if not task.done()]
        for task in running:
            task.cancel()
        return len(running)


_current: contextvars.ContextVar[RequestWork | None] = contextvars.ContextVar(
    "gateway_request_work", default=None
)


@contextmanager
def request_work() -> Iterator[RequestWork]:
    """The work of the request running in this block (and the tasks it starts)."""
    work = RequestWork()
    token = _current.set(work)
    try:
        yield work
    finally:
        _current.reset(token)


@contextmanager
def within(work: RequestWork) -> Iterator[None]:
    """Run the block (and the tasks it starts) as part of `work`."""
    token = _current.set(work)
    try:
        yield
    finally:
        _current.reset(token)


def adopt_current_task() -> None:
    """Let the current request's cancellation reach the task running now (if in a request)."""
    work = _current.get()
    task = asyncio.current_task()
    if work is not None and task is not None:
        work.adopt(task)


def detached() -> contextvars.Context:
    """A copy of the current context outside any request: for tasks shared between requests."""
    context = contextvars.copy_context()
    context.run(_current.set, None)
    return context
