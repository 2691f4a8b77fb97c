"""The sandbox seen from outside: its seeded companies, and its request record (how many upstream
calls a query made, in how many waves)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.codat.types import CompanyId, ConnectionId


@dataclass(frozen=True)
class SeededCompany:
    id: CompanyId
    connection_id: ConnectionId
    synced: bool
    counts: dict[str, int]


def seeded_companies(summary: Mapping[str, Any]) -> list[SeededCompany]:
    """The companies of the sandbox's seed summary (`GET /_sandbox/seed`)."""
    return [
        SeededCompany(
            CompanyId(entry["id"]),
            ConnectionId(entry["connectionId"]),
            entry["synced"],
            entry["counts"],
        )
        for entry in summary["companies"]
    ]


@dataclass(frozen=True)
class UpstreamCall:
    method: str
    path: str
    query: str
    params: dict[str, str]
    company_id: str | None
    status: int
    start: float
    end: float


def recorded_calls(sandbox_url: str) -> list[UpstreamCall]:
    """Every Codat request the sandbox has received since the last reset, oldest first."""
    body: dict[str, Any] = httpx.get(f"{sandbox_url}/_sandbox/requests", timeout=10).json()
    calls = [
        UpstreamCall(
            method=entry["method"],
            path=entry["path"],
            query=entry.get("query") or "",
            params=dict(entry.get("params") or {}),
            company_id=entry.get("companyId"),
            status=entry["status"],
            start=entry["start"],
            end=entry["end"],
        )
        for entry in body["requests"]
    ]
    return sorted(calls, key=lambda call: call.start)


def clear_calls(sandbox_url: str) -> None:
    httpx.delete(f"{sandbox_url}/_sandbox/requests", timeout=10).raise_for_status()


def sequential_round_trips(calls: list[UpstreamCall]) -> int:
    """The longest chain of calls in which each started only after the previous one ended.

    With injected upstream latency this is the number of round trips a client waited for in
    sequence: a query whose calls are issued level by level has one link per dependency level.
    """
    depth: list[int] = []
    for index, call in enumerate(calls):
        before = [depth[i] for i in range(index) if calls[i].end <= call.start]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def max_overlap(calls: list[UpstreamCall], company_id: str | None = None) -> int:
    """The most calls (for one company, if given) that were in flight at the same moment."""
    events: list[tuple[float, int]] = []
    for call in calls:
        if company_id is None or call.company_id == company_id:
            events.append((call.start, 1))
            events.append((call.end, -1))
    events.sort(key=lambda event: (event[0], event[1]))
    current = peak = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def critical_path_seconds(calls: list[UpstreamCall]) -> float:
    """The longest sum of call durations along a chain of sequential calls.

    The least time any client could have waited for these calls, issued as they depend on each
    other: what is left of a request's wall time beyond it is the client's own work.
    """
    longest: list[float] = []
    for index, call in enumerate(calls):
        before = [longest[i] for i in range(index) if calls[i].end <= call.start]
        longest.append(call.end - call.start + max(before, default=0.0))
    return max(longest, default=0.0)
