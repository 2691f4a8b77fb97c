"""Delayed callbacks as tracked asyncio tasks, cancelled on reset and on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger("sandbox.timers")


class Timers:
    """Runs `callback` after `delay` seconds on the running loop; keeps track so it can cancel."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def later(self, delay: float, callback: Callable[[], None]) -> None:
        task = asyncio.get_running_loop().create_task(self._run(delay, callback))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(delay: float, callback: Callable[[], None]) -> None:
        await asyncio.sleep(delay)
        try:
            callback()
        except Exception:
            log.exception("sandbox timer callback failed")

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    async def shutdown(self) -> None:
        tasks = list(self._tasks)
        self.cancel_all()
        await asyncio.gather(*tasks, return_exceptions=True)
