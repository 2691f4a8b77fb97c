"""Codat's rate limits: a cap on concurrent requests per company and a daily quota per client.

Sources (sandbox/README.md, "Rate limits"): Codat's rate-limits page (codat-notes §10) gives the
quota, `1,000 x (1 + active connected companies)` requests a day, reset at 00:00 UTC; 10
concurrent requests per active connected company; 429 while limited, with `Retry-After`; and
`X-Rate-Limit-Limit` / `-Remaining` / `-Reset` on every response. The Platform API's `webhooks:`
section gives `client.rateLimit.reached` / `.reset` (`{dailyQuota, quotaRemaining, expiryDate}`);
the legacy catalogue gives `ClientRateLimitReached` / `Reset` ("Rate Limit Reached" / "Rate Limit
Reset", `Data{DailyQuota, ExpiresUtc[, QuotaRemaining, ResetReason]}`).

Inferences (marked in the README): a refused request does not use quota once the quota is gone,
but one refused for concurrency does (no kinder); the reached event goes out when the first
request is refused for quota (the spec: "surpasses the allocated quota"); a concurrency 429 says
`Retry-After: 1`; a quota 429 says the whole seconds until the reset.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sandbox import events
from sandbox.config import SandboxConfig
from sandbox.timers import Timers
from sandbox.webhooks import Dispatcher, client_id

Refusal = Literal["concurrency", "quota"]
CONCURRENCY_RETRY_AFTER = "1"
NEW_DAY = "The quota was reset because it is a new day."  # the catalogue's example reason


@dataclass(frozen=True)
class Admission:
    """Whether a request may go on; when refused, why and what `Retry-After` to send."""

    refused: Refusal | None = None
    retry_after: str | None = None


class RateLimiter:
    """Counts the client's requests against its quota and each company's requests in flight."""

    def __init__(
        self,
        config: SandboxConfig,
        dispatcher: Dispatcher,
        timers: Timers,
        active_companies: Callable[[], int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._dispatcher = dispatcher
        self._timers = timers
        self._active_companies = active_companies
        self._clock = clock
        self.reset_settings()

    def reset_settings(self) -> None:
        """Back to the configured limits, a fresh window and nothing in flight (the reset knob)."""
        self.daily_quota: int | None = self._config.daily_quota
        self.window_seconds: float = self._config.quota_window_seconds
        self.max_concurrency_per_company = self._config.max_concurrency_per_company
        self.in_flight: defaultdict[str, int] = defaultdict(int)
        self.peak_in_flight: defaultdict[str, int] = defaultdict(int)
        self.refused: dict[str, int] = {"concurrency": 0, "quota": 0}
        self._start_window()

    def _start_window(self) -> None:
        self.used = 0
        self.reached = False
        self._window = getattr(self, "_window", 0) + 1
        self.window_end = self._end_of_window()

    def _end_of_window(self) -> float:
        now = self._clock()
        if self.window_seconds > 0:
            return now + self.window_seconds
        # Codat: the quota resets at 00:00 UTC
        today = datetime.fromtimestamp(now, UTC).date()
        midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
        return (midnight + timedelta(days=1)).timestamp()

    @property
    def limit(self) -> int:
        if self.daily_quota is not None:
            return self.daily_quota
        return 1000 * (1 + self._active_companies())

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def reset_time(self) -> str:
        when = datetime.fromtimestamp(self.window_end, UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def admit(self, company_id: str | None) -> Admission:
        """Take a unit of quota and (for a company's path) a slot, or say why not."""
        self._roll()
        if self.used >= self.limit:
            self.refused["quota"] += 1
            if not self.reached:
                self.reached = True
                self._announce("reached")
                window = self._window
                delay = max(0.0, self.window_end - self._clock())
                self._timers.later(delay, lambda: self._at_window_end(window))
            seconds = max(1, math.ceil(self.window_end - self._clock()))
            return Admission("quota", str(seconds))
        self.used += 1
        if company_id is not None:
            if self.in_flight[company_id] >= self.max_concurrency_per_company:
                self.refused["concurrency"] += 1
                return Admission("concurrency", CONCURRENCY_RETRY_AFTER)
            self.in_flight[company_id] += 1
            self.peak_in_flight[company_id] = max(
                self.peak_in_flight[company_id], self.in_flight[company_id]
            )
        return Admission()

    def release(self, company_id: str | None) -> None:
        if company_id is not None and self.in_flight.get(company_id, 0) > 0:
            self.in_flight[company_id] -= 1

    def set(
        self,
        *,
        daily_quota: int | Literal["keep"] | None = "keep",
        remaining: int | None = None,
        window_seconds: float | None = None,
        max_concurrency_per_company: int | None = None,
    ) -> None:
        """The knob: change the quota, what is left of it, the window or the cap."""
        if daily_quota != "keep":
            self.daily_quota = daily_quota
        if max_concurrency_per_company is not None:
            self.max_concurrency_per_company = max_concurrency_per_company
        if window_seconds is not None:
            self.window_seconds = window_seconds
            self.window_end = self._end_of_window()
        if remaining is not None:
            self.used = max(0, self.limit - remaining)

    def reset_quota(self, reason: str = "The quota was reset by the sandbox's knob.") -> None:
        """A new window now: the whole quota again, and `client.rateLimit.reset` if it had run
        out (Codat sends the reset event when the quota resets after being reached)."""
        self._reset_if(self._window, reason)

    def _roll(self) -> None:
        if self._clock() >= self.window_end:
            self._reset_if(self._window, NEW_DAY)

    def _at_window_end(self, window: int) -> None:
        """The timer set when the quota ran out: reset then (again later if the knob moved it)."""
        if window != self._window:
            return
        left = self.window_end - self._clock()
        if left > 0:
            self._timers.later(left, lambda: self._at_window_end(window))
            return
        self._reset_if(window, NEW_DAY)

    def _reset_if(self, window: int, reason: str) -> None:
        if window != self._window:
            return  # already reset (by a request that saw the window end, or the knob)
        was_reached = self.reached
        self._start_window()
        if was_reached:
            self._announce("reset", reason)

    def _announce(self, what: Literal["reached", "reset"], reason: str | None = None) -> None:
        config = self._config
        quota, remaining, expires = self.limit, self.remaining, self.reset_time()
        standard = events.envelope(
            f"client.rateLimit.{what}",
            {"dailyQuota": quota, "quotaRemaining": remaining, "expiryDate": expires},
        )
        data: dict[str, Any] = {"DailyQuota": quota, "ExpiresUtc": expires}
        cid = client_id(config)
        if what == "reached":
            rule = events.RATE_LIMIT_REACHED
            message = (
                f"The current daily rate limit quota of {quota} requests for {cid} has been "
                "reached."
            )
        else:
            rule = events.RATE_LIMIT_RESET
            message = (
                f"The current daily rate limit quota for client {cid} has been reset to "
                f"{quota} requests."
            )
            data = {"QuotaRemaining": remaining, "ResetReason": reason, **data}
        legacy = events.legacy_client(cid, config.client_name, rule, message, data)
        self._dispatcher.emit(standard, [legacy])

    def as_json(self) -> dict[str, Any]:
        return {
            "dailyQuota": self.limit,
            "configuredDailyQuota": self.daily_quota,
            "used": self.used,
            "remaining": self.remaining,
            "resetsAt": self.reset_time(),
            "windowSeconds": self.window_seconds,
            "reached": self.reached,
            "maxConcurrencyPerCompany": self.max_concurrency_per_company,
            "inFlight": {k: v for k, v in self.in_flight.items() if v},
            "peakInFlight": dict(self.peak_in_flight),
            "refused": dict(self.refused),
        }

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The X-Rate-Limit-* headers of a response sent now."""
        self._roll()
        return [
            (b"x-rate-limit-limit", str(self.limit).encode()),
            (b"x-rate-limit-remaining", str(self.remaining).encode()),
            (b"x-rate-limit-reset", self.reset_time().encode()),
        ]
