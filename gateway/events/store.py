"""A small shared key-value store with expiry: webhook dedupe, persisted queries, idempotency.

Two ways to lose Redis, chosen by what is at stake:
- `FallbackStore` (webhook dedupe, persisted queries): a replica cut off from Redis carries on
  with its own memory; the worst case is a webhook applied twice or a query registered again.
- `FailClosedStore` (idempotency records of writes): no fallback. A replica that cannot reach
  the shared records cannot prove a payment was not sent before, so the write is refused with
  `StoreUnavailableError` (retryable) rather than sent from a per-process memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.ops.bounds import Bound

log = logging.getLogger("gateway.events.store")

T = TypeVar("T")


class KeyValueStore(Protocol):
    """Keys expire; `add` is atomic (set only when absent), which is all dedupe needs."""

    async def add(self, key: str, value: str, ttl_seconds: float) -> bool:
        """Store `value` under `key` unless present; True when this call stored it."""
        ...

    async def get(self, key: str) -> str | None: ...

    async def delete(self, key: str) -> None: ...


ENTRY_OVERHEAD_BYTES = 100
"""What an entry costs beyond its key and value (a rough figure)."""


class MemoryStore:
    """A TTL map for one process, bounded in entries and in bytes (UTF-8 size of keys and
    values); the oldest keys go first when either bound is passed, and a value larger than the
    whole byte bound is not stored (`add` answers False)."""

    def __init__(
        self,
        *,
        max_entries: int = 100_000,
        max_bytes: int = 64 * 1024 * 1024,
        name: str = "store",
        timer: Callable[[], float] = time.monotonic,
    ):
        self._entries: OrderedDict[str, tuple[str, float, int]] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._timer = timer
        self.name = name
        self.refused = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def bound(self) -> Bound:
        return Bound(self.name, len(self._entries), self._max_entries, self._bytes, self._max_bytes)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry[2]

    def _live(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= self._timer():
            self._drop(key)
            return None
        return entry[0]

    async def add(self, key: str, value: str, ttl_seconds: float) -> bool:
        if self._live(key) is not None:
            return False
        size = len(key.encode()) + len(value.encode()) + ENTRY_OVERHEAD_BYTES
        if size > self._max_bytes:
            self.refused += 1
            return False
        self._entries[key] = (value, self._timer() + ttl_seconds, size)
        self._bytes += size
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            _, (_, _, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped
        return True

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def delete(self, key: str) -> None:
        self._drop(key)


class RedisStore:
    """The same contract on Redis (`SET key value NX PX ttl`), shared by every replica."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def add(self, key: str, value: str, ttl_seconds: float) -> bool:
        stored = await self._redis.set(
            self._key(key), value, nx=True, px=max(1, int(ttl_seconds * 1000))
        )
        return bool(stored)

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._key(key))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._key(key))


class StoreUnavailableError(Exception):
    """The shared store did not answer in time: nothing that depends on it may go ahead."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"the shared store is unavailable ({type(cause).__name__})")


class FailClosedStore:
    """The shared store, or `StoreUnavailableError`: never a local stand-in."""

    def __init__(self, primary: KeyValueStore, *, timeout: float = 1.0) -> None:
        self._primary = primary
        self._timeout = timeout
        self.failures = 0

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await call()
        except (RedisError, OSError, TimeoutError) as exc:
            self.failures += 1
            log.warning("shared store unavailable (%s): refusing what depends on it", exc)
            raise StoreUnavailableError(exc) from exc

    async def add(self, key: str, value: str, ttl_seconds: float) -> bool:
        return await self._call(lambda: self._primary.add(key, value, ttl_seconds))

    async def get(self, key: str) -> str | None:
        return await self._call(lambda: self._primary.get(key))

    async def delete(self, key: str) -> None:
        await self._call(lambda: self._primary.delete(key))


class FallbackStore:
    """The primary store (Redis) while it answers within `timeout`; a local one when it does not.

    A replica cut off from Redis still dedupes what it receives itself.
    """

    def __init__(
        self, primary: KeyValueStore, fallback: KeyValueStore, *, timeout: float = 1.0
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._timeout = timeout
        self.fallbacks = 0

    def _failed(self, exc: Exception) -> None:
        self.fallbacks += 1
        log.warning("shared store unavailable (%s): using this replica's memory", exc)

    async def add(self, key: str, value: str, ttl_seconds: float) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                added = await self._primary.add(key, value, ttl_seconds)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            return await self._fallback.add(key, value, ttl_seconds)
        if added:
            await self._fallback.add(key, value, ttl_seconds)
        return added

    async def get(self, key: str) -> str | None:
        try:
            async with asyncio.timeout(self._timeout):
                value = await self._primary.get(key)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            return await self._fallback.get(key)
        return value if value is not None else await self._fallback.get(key)

    async def delete(self, key: str) -> None:
        await self._fallback.delete(key)
        try:
            async with asyncio.timeout(self._timeout):
                await self._primary.delete(key)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
