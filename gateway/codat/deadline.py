"""The upstream deadline of the operation being served: walks through pages stop when it passes.

A GraphQL operation sets one (`operation_deadline`, from `CODAT_WALK_DEADLINE_SECONDS`); it is a
context variable, so it follows the operation into its DataLoader batches and into the cache's
shared fetch tasks (each copies the context it was started from). A walk with no operation
around it gets a deadline of its own (`WalkLimits.deadline_seconds`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point in `time.monotonic()` time, and the budget in seconds it was set from."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(at=time.monotonic() + seconds, seconds=seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()


_CURRENT: ContextVar[Deadline | None] = ContextVar("codat_operation_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline of the operation being served, if any."""
    return _CURRENT.get()


@contextmanager
def operation_deadline(seconds: float) -> Iterator[Deadline]:
    """Walks started inside the block (and in tasks started from it) stop `seconds` from now."""
    deadline = Deadline.after(seconds)
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        # Left in another context than it was entered in (a generator-driven hook), the
        # variable dies with that context anyway.
        with suppress(ValueError):
            _CURRENT.reset(token)
