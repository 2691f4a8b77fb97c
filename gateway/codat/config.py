"""The client's settings as small keyword-only values with readable reprs (the key stays hidden)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from gateway.codat.limits import CompanySlots, QuotaGate

DEFAULT_BASE_URL = "https://api.codat.io"
DEFAULT_USER_AGENT = "payables-gateway/0.1 (+https://github.com/encode/httpx)"


def _positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{owner}.{name} must be positive, got {value!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Timeouts:
    """Seconds allowed for each phase of one request (see `httpx.Timeout`)."""

    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 10.0

    def __post_init__(self) -> None:
        _positive(
            "Timeouts", connect=self.connect, read=self.read, write=self.write, pool=self.pool
        )

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter for retryable failures, bounded in attempts and time.

    `max_attempts` counts the first try. The n-th retry waits
    `min(max_delay, initial_delay * multiplier ** (n - 1))`, spread by +/- `jitter` (a fraction),
    unless Codat sent `Retry-After`, which is honoured (still capped by `max_delay`). No retry
    starts once `max_elapsed` seconds have passed since the first try.
    """

    max_attempts: int = 4
    initial_delay: float = 0.5
    max_delay: float = 10.0
    multiplier: float = 1.5
    max_elapsed: float = 30.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(
                f"RetryPolicy.max_attempts must be at least 1, got {self.max_attempts}"
            )
        _positive(
            "RetryPolicy",
            initial_delay=self.initial_delay,
            max_delay=self.max_delay,
            multiplier=self.multiplier,
            max_elapsed=self.max_elapsed,
        )
        if not 0 <= self.jitter < 1:
            raise ValueError(f"RetryPolicy.jitter must be in [0, 1), got {self.jitter!r}")

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class WalkLimits:
    """Bounds on a walk through every page of a list (`gateway/codat/paging.py`).

    A walk reads at most ceil(totalResults / pageSize) pages as the first page states them, and
    never more than `max_pages`; it stops at the deadline of the GraphQL operation it serves
    (`deadline.operation_deadline`), or `deadline_seconds` after it began when there is none.
    """

    max_pages: int = 50
    deadline_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.max_pages < 1:
            raise ValueError(f"WalkLimits.max_pages must be at least 1, got {self.max_pages}")
        _positive("WalkLimits", deadline_seconds=self.deadline_seconds)


@dataclass(frozen=True, kw_only=True, slots=True)
class ClientConfig:
    """How to reach Codat; the API key is excluded from `repr` so it never lands in a log."""

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    walks: WalkLimits = field(default_factory=WalkLimits)
    max_concurrency_per_company: int = 10
    max_connections: int = 100
    user_agent: str = DEFAULT_USER_AGENT
    company_slots: CompanySlots | None = field(default=None, repr=False, compare=False)
    """The bound on requests in flight per company; None: one in this process of
    `max_concurrency_per_company` (`gateway/codat/limits.py`)."""
    quota_gate: QuotaGate | None = field(default=None, repr=False, compare=False)
    """Where the knowledge that Codat's daily quota is gone is kept; None: the client's own."""

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("ClientConfig.api_key must not be empty")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"ClientConfig.base_url must be an http(s) URL, got {self.base_url!r}")
        if self.max_concurrency_per_company < 1 or self.max_connections < 1:
            raise ValueError("ClientConfig concurrency and connection limits must be at least 1")
