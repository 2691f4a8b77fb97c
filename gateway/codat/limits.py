"""Codat's limits as the client keeps them: requests in flight per company, and the daily quota.

Codat allows 10 concurrent requests per company and a daily quota per client, reset at 00:00 UTC
(codat-notes §10); past either it answers 429. `CompanySlots` bounds this process's requests per
company (`LocalSlots`; a replica set shares one bound through `gateway/events/slots.py`).
`QuotaGate` remembers that the quota is gone, from `X-Rate-Limit-Remaining: 0`, a 429 that says
so, or a `client.rateLimit.reached` webhook, so calls fail fast with `CodatRateLimited` until
the reset time or `client.rateLimit.reset`, instead of spending a round trip to hear 429 again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Protocol

from gateway.codat.errors import CodatRateLimited

log = logging.getLogger("gateway.codat.limits")

UNKNOWN_RESET_SECONDS = 60.0
"""How long the gate stays shut when Codat said the quota is gone but not when it comes back."""


class CompanySlots(Protocol):
    """A bound on requests in flight per company (None: calls about no single company)."""

    def slot(self, company_id: str | None) -> AbstractAsyncContextManager[None]: ...


class LocalSlots:
    """One semaphore per company in this process; calls about no company share one more."""

    def __init__(self, per_company: int) -> None:
        self.per_company = per_company
        self._semaphores: dict[str | None, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, company_id: str | None) -> AsyncIterator[None]:
        semaphore = self._semaphores.get(company_id)
        if semaphore is None:
            semaphore = self._semaphores[company_id] = asyncio.Semaphore(self.per_company)
        async with semaphore:
            yield


def parse_reset(value: str | None) -> float | None:
    """`X-Rate-Limit-Reset` as a Unix time, or None: Codat says "the date when the quota will be
    reset" and no format, so an ISO 8601 date-time (with or without Z) is read and anything else
    is unknown."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.timestamp()


QuotaListener = Callable[[bool, float | None, str], None]
"""Told (exhausted, until as Unix time, source) when the gate shuts or opens on its own
evidence (headers or a 429), not when told by another replica."""


class QuotaGate:
    """Whether Codat's daily quota is gone, and until when."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.until: float | None = None
        """Unix time the quota comes back; None while it is not known to be gone."""
        self.listeners: list[QuotaListener] = []
        self.refused = 0
        """Calls failed fast because the quota was known to be gone."""

    @property
    def exhausted(self) -> bool:
        if self.until is None:
            return False
        if self._clock() >= self.until:
            self.until = None  # the reset time passed: Codat has reset the quota
            return False
        return True

    def retry_after(self) -> float | None:
        return None if self.until is None else max(0.0, self.until - self._clock())

    def check(self, method: str, url: str, company_id: str | None) -> None:
        """Raise `CodatRateLimited` without calling Codat while the quota is known to be gone."""
        if not self.exhausted:
            return
        self.refused += 1
        wait = self.retry_after()
        raise CodatRateLimited(
            "Codat's daily request quota is used up until it resets",
            status_code=429,
            method=method,
            url=url,
            retry_after=None if wait is None else round(wait, 1),
            company_id=company_id,
        )

    def shut(self, until: float | None, source: str, *, announce: bool = True) -> None:
        """The quota is gone until `until` (None: not said; a minute, then ask Codat again)."""
        until = until if until is not None and until > self._clock() else None
        until = until or self._clock() + UNKNOWN_RESET_SECONDS
        was = self.exhausted
        self.until = max(until, self.until or 0.0)
        if not was:
            log.warning("Codat's quota is used up until %s (%s)", _iso(self.until), source)
            if announce:
                self._tell(True, source)

    def open(self, source: str, *, announce: bool = True) -> None:
        """The quota was reset (a webhook, or another replica heard so)."""
        if self.until is None:
            return
        self.until = None
        log.info("Codat's quota is back (%s)", source)
        if announce:
            self._tell(False, source)

    def observe(self, status: int, remaining: int | None, reset: str | None) -> bool:
        """Learn from one response; True when it says the quota is gone (a 429 then is final)."""
        if remaining is None or remaining > 0:
            return False
        # Remaining 0: this was the last request of the day (or a 429 that says so).
        self.shut(parse_reset(reset), "X-Rate-Limit-Remaining: 0" if status != 429 else "429")
        return True

    def _tell(self, exhausted: bool, source: str) -> None:
        for listener in list(self.listeners):
            try:
                listener(exhausted, self.until, source)
            except Exception:  # a listener's failure must not fail the call
                log.exception("quota listener failed")


def _iso(when: float | None) -> str:
    return "unknown" if when is None else datetime.fromtimestamp(when).astimezone().isoformat()
