"""Event-loop lag: how late a task that asked to wake up after `interval` actually wakes up.

A background task sleeps `interval` seconds again and again and records how much later than asked
it woke: the time some callback held the loop (a long parse, validation or serialisation). Every
request waits at least that long, so this is the figure that says whether CPU-heavy work stalls
the others. Exported as the histogram `gateway_event_loop_lag_seconds` (gateway/ops/metrics.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from gateway.ops.tasks import cancel_and_wait

LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class LoopLagMonitor:
    def __init__(
        self, *, interval: float = 0.02, observe: Callable[[float], None] | None = None
    ) -> None:
        self.interval = interval
        self._observe = observe
        self._task: asyncio.Task[None] | None = None
        self.samples = 0
        self.max_seconds = 0.0
        """The largest lag seen since the last `reset_max`."""
        self.last_seconds = 0.0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    def reset_max(self) -> float:
        seen, self.max_seconds = self.max_seconds, 0.0
        return seen

    async def _run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval)
            lag = max(0.0, time.perf_counter() - asked - self.interval)
            self.samples += 1
            self.last_seconds = lag
            self.max_seconds = max(self.max_seconds, lag)
            if self._observe is not None:
                self._observe(lag)
