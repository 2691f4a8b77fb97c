"""When to retry a Codat request, and how long to wait first."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

from gateway.codat.config import RetryPolicy

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Codat's own retry policy (`x-speakeasy-retries`): 408, 429 and 5xx.

Other 5xx codes (501 Not Implemented, 505, ...) say the request itself is wrong, so are final.
"""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date (RFC 9110).

    Codat does not say which form it sends, so both are read; a date in the past gives 0.0 and an
    unreadable value gives None (then the normal backoff applies).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is not a wait
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; a zone-less parse means "-0000", i.e. UTC.
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(
    policy: RetryPolicy, retry_number: int, rng: random.Random | None = None
) -> float:
    """The wait before retry `retry_number` (1 for the first retry), with jitter applied."""
    base = min(policy.max_delay, policy.initial_delay * policy.multiplier ** (retry_number - 1))
    spread = (rng or random).uniform(-policy.jitter, policy.jitter)
    return max(0.0, min(policy.max_delay, base * (1 + spread)))


def retry_wait(
    policy: RetryPolicy,
    retry_number: int,
    *,
    retry_after: float | None,
    elapsed: float,
    rng: random.Random | None = None,
) -> float | None:
    """How long to sleep before the next attempt, or None when the policy says stop.

    Stops when attempts are used up or no time is left in `max_elapsed`. `Retry-After`, when
    present, replaces the computed backoff; both are capped by `max_delay` and by the time left.
    """
    if retry_number >= policy.max_attempts:
        return None
    remaining = policy.max_elapsed - elapsed
    if remaining <= 0:
        return None
    wait = backoff_delay(policy, retry_number, rng) if retry_after is None else retry_after
    return min(wait, policy.max_delay, remaining)
