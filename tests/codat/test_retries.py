"""Retry-After parsing and the backoff schedule."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from gateway.codat.config import RetryPolicy
from gateway.codat.retries import backoff_delay, parse_retry_after, retry_wait

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("1", 1.0), (" 2.5 ", 2.5), ("0", 0.0), ("-3", 0.0), ("", None), ("soon", None), (None, None)],
)
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW.timestamp()) == seconds


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(NOW + timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(later, now=NOW.timestamp()) == pytest.approx(7.0)
    earlier = format_datetime(NOW - timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(earlier, now=NOW.timestamp()) == 0.0


def test_backoff_grows_by_the_multiplier_up_to_max_delay() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2.0, max_delay=3.0, jitter=0.0)
    assert [backoff_delay(policy, n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_stays_within_its_fraction() -> None:
    policy = RetryPolicy(initial_delay=1.0, jitter=0.2)
    rng = random.Random(7)
    delays = [backoff_delay(policy, 1, rng) for _ in range(200)]
    assert all(0.8 <= delay <= 1.2 for delay in delays)
    assert max(delays) - min(delays) > 0.2


def test_retry_wait_stops_after_max_attempts_and_max_elapsed() -> None:
    policy = RetryPolicy(max_attempts=3, initial_delay=0.1, jitter=0.0, max_elapsed=5.0)
    assert retry_wait(policy, 1, retry_after=None, elapsed=0.0) == pytest.approx(0.1)
    assert retry_wait(policy, 2, retry_after=None, elapsed=0.0) is not None
    assert retry_wait(policy, 3, retry_after=None, elapsed=0.0) is None
    assert retry_wait(policy, 1, retry_after=None, elapsed=5.0) is None


def test_retry_after_is_honoured_but_capped_by_max_delay_and_time_left() -> None:
    policy = RetryPolicy(max_delay=4.0, max_elapsed=10.0, jitter=0.0)
    assert retry_wait(policy, 1, retry_after=2.0, elapsed=0.0) == 2.0
    assert retry_wait(policy, 1, retry_after=60.0, elapsed=0.0) == 4.0
    assert retry_wait(policy, 1, retry_after=3.0, elapsed=9.0) == pytest.approx(1.0)


def test_policies_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)
    assert RetryPolicy.none().max_attempts == 1
