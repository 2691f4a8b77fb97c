"""Idempotent writes: one key runs its work once, on any replica; repeats get the first result.

A key has two records in the shared store (`SET NX` semantics, so Redis makes them shared):

    idempotency:<key>        the claim: {fingerprint}; held while the work runs (a lease), released
                             when the work fails before Codat accepted anything
    idempotency:<key>:done   the result: {fingerprint, result}; kept for the record TTL
    idempotency:<key>:<part> progress of a write made of several pushes ({fingerprint, value}),
                             recorded as each push happens and kept for the record TTL, so a
                             retry replays the parts that reached Codat (or may have)

`key` is already the caller's own (`Writes.record_key`: caller identity, company, client key),
so one tenant's keys never meet another's. When the store cannot be reached every step raises
`StoreUnavailableError` (see `gateway/events/store.py`, `FailClosedStore`): the write is refused
before
anything is sent, or, once Codat accepted it, answered without being recorded.

The fingerprint is the sha256 of the canonical JSON of (operation, company, normalised input), so
the same key with a different input is refused (`IdempotencyKeyReusedError`) instead of replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.errors import GatewayError
from gateway.events.store import KeyValueStore, StoreUnavailableError

log = logging.getLogger("gateway.writes.idempotency")

POLL_SECONDS = 0.025


class IdempotencyKeyReusedError(GatewayError):
    """The key was first used for a different operation, company or input."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used with a different input; "
            "use a new key for a different write"
        )
        self.key = key


class IdempotencyKeyInFlightError(GatewayError):
    """Another request with this key is still running after the wait bound."""

    def __init__(self, key: str, waited: float) -> None:
        super().__init__(
            f"a request with idempotency key {key!r} is still in flight after {waited:.0f}s; "
            "retry with the same key later"
        )
        self.key = key


def fingerprint(operation: str, company_id: str, normalised_input: Any) -> str:
    """sha256 of the canonical JSON of what the write means (not of how it was spelt)."""
    canonical = json.dumps(
        {"operation": operation, "company": company_id, "input": normalised_input},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Replayed:
    """The work's result, and whether it was stored by an earlier request with the same key."""

    result: dict[str, Any]
    replayed: bool


class Rejected(Exception):  # noqa: N818 (a control-flow outcome, not a fault)
    """Raised by the work for an outcome that must not be remembered (checks failed, no push)."""

    def __init__(self, outcome: Any) -> None:
        super().__init__("write rejected before it reached Codat")
        self.outcome = outcome


class Unsettled(Exception):  # noqa: N818 (a control-flow outcome, not a fault)
    """Raised by the work when a part of it may not have reached Codat: the caller gets `result`,
    nothing is stored as done, and a retry with the key runs the work again (which replays the
    parts its `Progress` recorded)."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("write partly done: retry with the same key")
        self.result = result


@dataclass(frozen=True, slots=True)
class Progress:
    """The recorded parts of one keyed write; only the same input (fingerprint) may read them."""

    store: KeyValueStore
    prefix: str
    key: str
    print_: str
    ttl: float

    async def get(self, part: str) -> dict[str, Any] | None:
        raw = await self.store.get(f"{self.prefix}:{part}")
        if raw is None:
            return None
        record: dict[str, Any] = json.loads(raw)
        if record["fingerprint"] != self.print_:
            raise IdempotencyKeyReusedError(self.key)
        value: dict[str, Any] = record["value"]
        return value

    async def add(self, part: str, value: dict[str, Any]) -> bool:
        """Record `part` unless it is recorded already; True when this call recorded it."""
        record = json.dumps({"fingerprint": self.print_, "value": value})
        return await self.store.add(f"{self.prefix}:{part}", record, self.ttl)

    async def forget(self, part: str) -> None:
        await self.store.delete(f"{self.prefix}:{part}")


class IdempotentWrites:
    """Runs work under an idempotency key: once per key, across retries, requests and replicas."""

    def __init__(
        self,
        store: KeyValueStore,
        *,
        ttl_seconds: float,
        lease_seconds: float,
        wait_seconds: float,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._lease = lease_seconds
        self._wait = wait_seconds
        self._poll = poll_seconds

    @staticmethod
    def _claim_key(key: str) -> str:
        return f"idempotency:{key}"

    async def _done(self, key: str, print_: str) -> Replayed | None:
        raw = await self._store.get(f"{self._claim_key(key)}:done")
        if raw is None:
            return None
        record: dict[str, Any] = json.loads(raw)
        if record["fingerprint"] != print_:
            raise IdempotencyKeyReusedError(key)
        return Replayed(record["result"], replayed=True)

    async def run(
        self,
        key: str,
        print_: str,
        work: Callable[[], Awaitable[dict[str, Any]]],
    ) -> Replayed:
        """The stored result for `key`, or the result of running `work` once under its claim.

        `work` returns a JSON-able result once Codat accepted the write (it is stored), or raises
        (`Rejected` for checks that failed): the claim is released so a retry can run it again.
        """
        claim = self._claim_key(key)
        deadline = time.monotonic() + self._wait
        while True:
            done = await self._done(key, print_)
            if done is not None:
                return done
            if await self._store.add(claim, json.dumps({"fingerprint": print_}), self._lease):
                break
            held = await self._store.get(claim)
            if held is not None and json.loads(held)["fingerprint"] != print_:
                raise IdempotencyKeyReusedError(key)
            if time.monotonic() >= deadline:
                raise IdempotencyKeyInFlightError(key, self._wait)
            await asyncio.sleep(self._poll)
        try:
            result = await work()
        except BaseException:
            # Without the store the lease lapses on its own.
            with contextlib.suppress(StoreUnavailableError):
                await self._store.delete(claim)
            raise
        record = json.dumps({"fingerprint": print_, "result": result})
        try:
            await self._store.add(f"{claim}:done", record, self._ttl)
        except StoreUnavailableError:
            # Codat accepted the work: answer it. A retry runs it again under the same derived
            # Codat keys, which Codat answers with this result instead of writing twice.
            log.warning("write done but its result not recorded (store unavailable)")
        return Replayed(result, replayed=False)

    def progress(self, key: str, print_: str) -> Progress:
        """Where a write of several pushes records each one as it happens (see `Unsettled`)."""
        return Progress(self._store, f"{self._claim_key(key)}:part", key, print_, self._ttl)

    async def reserve(self, key: str, print_: str) -> None:
        """Bind `key` to `print_` for the record TTL (a batch's key); refuses another input."""
        claim = f"{self._claim_key(key)}:batch"
        if await self._store.add(claim, print_, self._ttl):
            return
        held = await self._store.get(claim)
        if held is not None and held != print_:
            raise IdempotencyKeyReusedError(key)
