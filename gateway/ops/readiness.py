"""Whether Codat answers: one small bounded call, its result remembered for a few seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.codat.errors import CodatError, CodatRateLimited


@dataclass(frozen=True, slots=True)
class UpstreamCheck:
    reachable: bool
    checked_at: float
    """`time.monotonic()` of the check."""
    detail: str | None = None


class UpstreamProbe:
    """Runs `check` (e.g. `GET /companies?page=1&pageSize=1`) at most every `interval` seconds.

    Concurrent readiness requests share one check in flight; a check that takes longer than
    `timeout` counts as unreachable.
    """

    def __init__(
        self,
        check: Callable[[], Awaitable[object]],
        *,
        interval: float,
        timeout: float,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self._interval = interval
        self._timeout = timeout
        self._timer = timer
        self._last: UpstreamCheck | None = None
        self._running: asyncio.Task[UpstreamCheck] | None = None
        self.checks = 0

    async def status(self) -> UpstreamCheck:
        last = self._last
        if last is not None and self._timer() - last.checked_at < self._interval:
            return last
        if self._running is None:
            self._running = asyncio.create_task(self._run())
        try:
            return await asyncio.shield(self._running)
        finally:
            if self._running is not None and self._running.done():
                self._running = None

    async def _run(self) -> UpstreamCheck:
        self.checks += 1
        try:
            async with asyncio.timeout(self._timeout):
                await self._check()
        except TimeoutError:
            result = UpstreamCheck(False, self._timer(), f"no answer within {self._timeout} s")
        except CodatRateLimited:
            # Codat is there but the quota is gone: the gateway still answers from its cache and
            # with UPSTREAM_RATE_LIMITED, so it stays in service (every replica is limited alike).
            result = UpstreamCheck(True, self._timer(), "rate limited")
        except CodatError as exc:
            result = UpstreamCheck(False, self._timer(), type(exc).__name__)
        else:
            result = UpstreamCheck(True, self._timer())
        self._last = result
        return result
