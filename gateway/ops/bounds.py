"""What a bounded cache, store or queue reports: what it holds and its limits, in entries and bytes.

Every per-process holder of client- or upstream-supplied data has both bounds in settings and
reports them here; gateway/ops/metrics.py exports them as `gateway_bounded_*{holder=...}`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bound:
    holder: str
    """`upstream`, `response`, `persisted`, `store`."""
    entries: int
    max_entries: int
    bytes: int
    """An estimate: the JSON (or UTF-8) size of what is held, not Python's object overhead."""
    max_bytes: int
