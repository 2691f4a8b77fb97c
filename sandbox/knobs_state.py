"""State behind the /_sandbox knobs: request record, latency, faults and idempotency records."""

from __future__ import annotations

import random
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["status", "slow", "drop", "lost"]
IDEMPOTENCY_TTL_SECONDS = 90 * 60  # Codat keeps idempotent responses for 90 minutes
MAX_RECORDED_REQUESTS = 20_000


@dataclass(frozen=True)
class Latency:
    """Extra time added to matching Codat requests."""

    ms: float
    jitter_ms: float = 0.0
    path_pattern: str | None = None

    def applies_to(self, path: str) -> bool:
        return self.path_pattern is None or re.search(self.path_pattern, path) is not None

    def as_json(self) -> dict[str, Any]:
        return {"ms": self.ms, "jitterMs": self.jitter_ms, "pathPattern": self.path_pattern}


@dataclass
class Fault:
    """An injected failure for matching requests; disarms after `times` hits (None: never)."""

    id: str
    path_pattern: str
    methods: tuple[str, ...] | None
    kind: FaultKind
    status: int = 500
    retry_after: str | None = None
    delay_ms: float = 0.0
    rate: float = 1.0
    times: int | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return re.search(self.path_pattern, path) is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pathPattern": self.path_pattern,
            "methods": list(self.methods) if self.methods is not None else None,
            "kind": self.kind,
            "status": self.status,
            "retryAfter": self.retry_after,
            "delayMs": self.delay_ms,
            "rate": self.rate,
            "times": self.times,
            "hits": self.hits,
        }


@dataclass
class IdempotencyRecord:
    """The first request made with an Idempotency-Key, and (once finished) its response."""

    fingerprint: str
    expires: float
    done: bool = False
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


class Knobs:
    """Mutable test controls; reset() returns to a quiet sandbox."""

    def __init__(self, seed: int = 42) -> None:
        self._seed = seed
        self.requests: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDED_REQUESTS)
        self.latency: Latency | None = None
        self.faults: list[Fault] = []
        self.idempotency: dict[str, IdempotencyRecord] = {}
        self.pull_failures: dict[tuple[str, str], tuple[str, str]] = {}
        """(company id, data type) -> (error status, message) for that type's next pull."""
        self.rng = random.Random(f"{seed}:faults")
        self._next_fault = 1

    def reset(self) -> None:
        self.requests.clear()
        self.latency = None
        self.faults.clear()
        self.idempotency.clear()
        self.pull_failures.clear()
        self.rng = random.Random(f"{self._seed}:faults")
        self._next_fault = 1

    def add_fault(self, fault: Fault) -> Fault:
        fault.id = f"fault-{self._next_fault}"
        self._next_fault += 1
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first armed fault that matches and fires (by its rate); counts the hit."""
        for fault in self.faults:
            if not fault.matches(method, path):
                continue
            if fault.rate < 1.0 and self.rng.random() >= fault.rate:
                continue
            fault.hits += 1
            if fault.times is not None and fault.hits >= fault.times:
                self.faults.remove(fault)
            return fault
        return None

    def latency_seconds(self, path: str) -> float:
        latency = self.latency
        if latency is None or not latency.applies_to(path):
            return 0.0
        jitter = (
            self.rng.uniform(-latency.jitter_ms, latency.jitter_ms) if latency.jitter_ms else 0.0
        )
        return max(0.0, latency.ms + jitter) / 1000.0

    def idempotency_record(self, key: str) -> IdempotencyRecord | None:
        record = self.idempotency.get(key)
        if record is not None and record.expires < time.monotonic():
            del self.idempotency[key]
            return None
        return record
