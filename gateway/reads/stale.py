"""The last answer Codat gave to each read, kept past the cache's TTL for when Codat says no.

When Codat's quota is gone (`CodatRateLimited`, from a 429 or the quota gate), a read that has
no fresh cache entry is answered from here if it was ever answered before, and the response
says so: `extensions.warnings` gets a `STALE_DATA` entry with the company, the data type, the
answer's age and when to retry (`schema/staleness.py` adds it). Reads never answered before stay
`UPSTREAM_RATE_LIMITED` errors.

Bounded in entries, bytes and age (`SizedTTLCache`, least recently used first). The values are
the same objects the upstream cache holds while it holds them, so the bytes are counted twice
but kept once until the cache lets go of them.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gateway.ops.bounds import Bound
from gateway.reads.cache import CacheKey, SizedTTLCache, approximate_size

DEFAULT_MAX_AGE_SECONDS = 24 * 3600.0
"""A day: Codat's quota resets daily, so an older answer is never needed."""
DEFAULT_MAX_ENTRIES = 20_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StaleNote:
    """One read answered from an old copy."""

    company_id: str
    data_type: str
    age_seconds: float
    retry_after: float | None

    def as_warning(self) -> dict[str, Any]:
        return {
            "code": "STALE_DATA",
            "message": (
                f"Codat's rate limit was reached: {self.data_type} of this company are as Codat "
                f"answered {round(self.age_seconds)} s ago"
            ),
            "companyId": self.company_id,
            "dataType": self.data_type,
            "ageSeconds": round(self.age_seconds, 1),
            "retryAfter": None if self.retry_after is None else round(self.retry_after, 1),
        }


_notes: contextvars.ContextVar[list[StaleNote] | None] = contextvars.ContextVar(
    "gateway_stale_reads", default=None
)


@contextmanager
def collecting_stale_reads() -> Iterator[list[StaleNote]]:
    """Collect the stale answers given while the block runs (one GraphQL operation)."""
    notes: list[StaleNote] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        # A subscription's hooks may end in another context than they began in (the generator
        # is closed elsewhere): the variable dies with that context anyway.
        with contextlib.suppress(ValueError):
            _notes.reset(token)


def note_stale_read(note: StaleNote) -> None:
    notes = _notes.get()
    if notes is None:
        return
    for index, known in enumerate(notes):
        if (known.company_id, known.data_type) == (note.company_id, note.data_type):
            if note.age_seconds > known.age_seconds:  # one warning per data type: the oldest
                notes[index] = note
            return
    notes.append(note)


class StaleCopies:
    """The last value fetched under each cache key, kept up to `max_age_seconds`."""

    def __init__(
        self,
        *,
        max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._timer = timer
        self._entries: SizedTTLCache[CacheKey] = SizedTTLCache(
            max_entries, max_age_seconds, timer, max_bytes
        )
        self.served = 0

    def __len__(self) -> int:
        return len(self._entries)

    def keep(self, key: CacheKey, value: Any) -> None:
        self._entries.put(key, (self._timer(), value), approximate_size(value))

    def get(self, key: CacheKey) -> tuple[float, Any] | None:
        """(age in seconds, value), or None when nothing was kept for this key."""
        kept = self._entries.get(key)
        if kept is None:
            return None
        stored_at, value = kept
        self.served += 1
        return self._timer() - stored_at, value

    def clear(self) -> None:
        self._entries.clear()

    def bound(self) -> Bound:
        entries = self._entries
        return Bound("stale", len(entries), int(entries.maxsize), entries.bytes, entries.max_bytes)
