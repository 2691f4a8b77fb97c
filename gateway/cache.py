"""The per-process cache of upstream results: TTL, single flight, precise eviction."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import cachetools

T = TypeVar("T")

ALL_COMPANIES = "*"
"""The scope of entries that do not belong to one company (the companies list)."""


@dataclass(frozen=True, slots=True)
class CacheKey:
    """What a cached upstream result was built from: a company, a data type, and the request."""

    company_id: str
    data_type: str
    request: tuple[Hashable, ...] = ()

    @property
    def scope(self) -> tuple[str, str]:
        return (self.company_id, self.data_type)


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    joined: int = 0
    evictions: int = 0
    invalidations: int = 0
    stale_writes_dropped: int = 0


class _IndexedTTLCache(cachetools.TTLCache[CacheKey, Any]):
    """A TTLCache that keeps an index of its keys by (company, data type), pruned as entries go."""

    def __init__(self, maxsize: int, ttl: float, timer: Callable[[], float]) -> None:
        super().__init__(maxsize=maxsize, ttl=ttl, timer=timer)
        self.index: defaultdict[tuple[str, str], set[CacheKey]] = defaultdict(set)
        self.evicted = 0

    def __setitem__(self, key: CacheKey, value: Any) -> None:
        super().__setitem__(key, value)
        self.index[key.scope].add(key)

    def __delitem__(self, key: CacheKey) -> None:
        super().__delitem__(key)
        self._unindex(key)

    def expire(self, time: float | None = None) -> list[tuple[CacheKey, Any]]:
        expired: list[tuple[CacheKey, Any]] = list(super().expire(time))
        for key, _ in expired:
            self._unindex(key)
        self.evicted += len(expired)
        return expired

    def popitem(self) -> tuple[CacheKey, Any]:
        item: tuple[CacheKey, Any] = super().popitem()
        self.evicted += 1
        return item

    def _unindex(self, key: CacheKey) -> None:
        keys = self.index.get(key.scope)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self.index[key.scope]


class UpstreamCache:
    """Caches upstream results by typed key.

    - Single flight: concurrent misses for one key share one fetch (run as its own task, so a
      cancelled caller does not cancel the others).
    - Generations: every (company, data type) has a counter that an invalidation bumps. A fetch
      remembers the counter when it starts and stores its result only if the counter is unchanged
      when it ends, so a fetch overlapping a webhook never writes stale data back.
    """

    def __init__(
        self, *, ttl_seconds: float, max_entries: int, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._timer = timer
        self._entries = _IndexedTTLCache(max_entries, ttl_seconds, timer)
        self._generations: dict[tuple[str, str], int] = defaultdict(int)
        self._company_generations: dict[str, int] = defaultdict(int)
        self._epoch = 0
        self._inflight: dict[CacheKey, asyncio.Task[Any]] = {}
        self.stats = CacheStats()

    def __len__(self) -> int:
        return len(self._entries)

    def _generation(self, key: CacheKey) -> tuple[int, int, int]:
        return (
            self._epoch,
            self._company_generations[key.company_id],
            self._generations[key.scope],
        )

    def peek(self, key: CacheKey) -> Any | None:
        """The cached value, or None; counts neither hit nor miss."""
        return self._entries.get(key)

    def lookup(self, key: CacheKey) -> Any | None:
        """The cached value (a hit), or None without fetching (not counted as a miss)."""
        value = self._entries.get(key)
        if value is not None:
            self.stats.hits += 1
        return value

    async def get_or_fetch(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[T]],
        index: Callable[[T], Iterable[tuple[tuple[Hashable, ...], Any]]] | None = None,
    ) -> T:
        """The cached value, or the result of one shared `fetch`, stored unless made stale.

        `index` names extra entries to store with the result, in the same company and data type
        and under the same generation check: `(request, value)` pairs, e.g. each record of a page
        under its id, so a later lookup by id needs no upstream call.
        """
        try:
            value: T = self._entries[key]
        except KeyError:
            pass
        else:
            self.stats.hits += 1
            return value
        task = self._inflight.get(key)
        if task is not None:
            self.stats.joined += 1
        else:
            self.stats.misses += 1
            task = asyncio.create_task(self._fill(key, fetch, index, self._generation(key)))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        result: T = await asyncio.shield(task)
        return result

    async def _fill(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[T]],
        index: Callable[[T], Iterable[tuple[tuple[Hashable, ...], Any]]] | None,
        generation: tuple[int, int, int],
    ) -> T:
        value = await fetch()
        if self._generation(key) == generation:
            self._entries[key] = value
            for request, entry in index(value) if index is not None else ():
                self._entries[CacheKey(key.company_id, key.data_type, request)] = entry
        else:
            self.stats.stale_writes_dropped += 1
        return value

    def _forget(self, key: CacheKey, task: asyncio.Task[Any]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            # Retrieve the exception so an unawaited failure is not reported as never retrieved.
            task.exception()

    def invalidate(self, company_id: str, data_types: Iterable[str] | None = None) -> int:
        """Drop what one company's data types were built from (all of its types when None)."""
        self.stats.invalidations += 1
        if data_types is None:
            self._company_generations[company_id] += 1
            scopes = [scope for scope in self._entries.index if scope[0] == company_id]
            self._drop_inflight(lambda key: key.company_id == company_id)
        else:
            scopes = [(company_id, data_type) for data_type in data_types]
            for scope in scopes:
                self._generations[scope] += 1
            wanted = set(scopes)
            self._drop_inflight(lambda key: key.scope in wanted)
        dropped = 0
        for scope in scopes:
            for key in list(self._entries.index.get(scope, ())):
                self._entries.pop(key, None)
                dropped += 1
        self.stats.evictions += dropped
        return dropped

    def clear(self, *, ttl_seconds: float | None = None) -> None:
        """Drop everything (Redis reconnect, operator request); optionally change the TTL."""
        self.stats.invalidations += 1
        self._epoch += 1
        self._drop_inflight(lambda key: True)
        self.stats.evictions += len(self._entries)
        if ttl_seconds is None or ttl_seconds == self._entries.ttl:
            self._entries.clear()
        else:
            evicted = self._entries.evicted
            self._entries = _IndexedTTLCache(int(self._entries.maxsize), ttl_seconds, self._timer)
            self._entries.evicted = evicted

    @property
    def ttl_seconds(self) -> float:
        return float(self._entries.ttl)

    def _drop_inflight(self, matches: Callable[[CacheKey], bool]) -> None:
        # Callers already waiting keep their fetch; new callers must start a fresh one.
        for key in [key for key in self._inflight if matches(key)]:
            del self._inflight[key]

    def values(self) -> list[Any]:
        """Every value held now (for size and memory reports)."""
        return list(self._entries.values())

    @property
    def expired(self) -> int:
        return self._entries.evicted


Scope = tuple[str, str]
"""(company id, data type): what one webhook can make stale."""

_dependencies: contextvars.ContextVar[set[Scope] | None] = contextvars.ContextVar(
    "gateway_response_dependencies", default=None
)


def note_dependency(company_id: str, data_type: str) -> None:
    """Record that the response being built reads this company's data type (if one is)."""
    recorded = _dependencies.get()
    if recorded is not None:
        recorded.add((company_id, data_type))


@dataclass(slots=True)
class ResponseCacheStats:
    hits: int = 0
    misses: int = 0
    stores: int = 0
    evictions: int = 0
    stale_stores_dropped: int = 0


@dataclass(frozen=True, slots=True)
class CachedResponse:
    body: bytes
    dependencies: frozenset[Scope]


class ResponseCache:
    """Serialized GraphQL responses, each dropped as soon as any data it was built from is.

    Keys are opaque (the caller hashes operation, variables and the caller's scope). Every entry
    remembers the (company, data type) scopes its execution read; an invalidation drops exactly
    the entries that read an invalidated scope. A response whose build overlapped an
    invalidation of one of its scopes is not stored (versions, as in UpstreamCache).
    """

    def __init__(
        self, *, ttl_seconds: float, max_entries: int, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._timer = timer
        self._entries: cachetools.TTLCache[str, CachedResponse] = cachetools.TTLCache(
            maxsize=max_entries, ttl=ttl_seconds, timer=timer
        )
        self._by_scope: defaultdict[Scope, set[str]] = defaultdict(set)
        self._version = 0
        self._invalidated_at: dict[Scope, int] = {}
        self._company_invalidated_at: dict[str, int] = {}
        self._cleared_at = 0
        self.stats = ResponseCacheStats()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return entry.body

    @contextlib.contextmanager
    def recording(self) -> Iterator[set[Scope]]:
        """Collect the scopes read while building a response (see `note_dependency`)."""
        recorded: set[Scope] = set()
        token = _dependencies.set(recorded)
        try:
            yield recorded
        finally:
            _dependencies.reset(token)

    @property
    def version(self) -> int:
        """Take before building a response; pass to `store`."""
        return self._version

    def store(self, key: str, body: bytes, dependencies: set[Scope], since: int) -> bool:
        """Keep `body` unless something it read was invalidated after version `since`."""
        stale = self._cleared_at > since or any(
            self._invalidated_at.get(scope, 0) > since
            or self._company_invalidated_at.get(scope[0], 0) > since
            for scope in dependencies
        )
        if stale:
            self.stats.stale_stores_dropped += 1
            return False
        self._entries[key] = CachedResponse(body, frozenset(dependencies))
        for scope in dependencies:
            keys = self._by_scope[scope]
            keys.add(key)
            if len(keys) > 2 * self._entries.maxsize:
                # Keys that expired (TTL) or were pushed out (size) linger here until their
                # scope is invalidated; prune them so the index stays bounded.
                keys.intersection_update(self._entries.keys())
        self.stats.stores += 1
        return True

    def invalidate(self, company_id: str, data_types: Iterable[str] | None = None) -> int:
        """Drop the responses built from this company's data types (all of them when None)."""
        self._version += 1
        if data_types is None:
            self._company_invalidated_at[company_id] = self._version
            scopes = [scope for scope in self._by_scope if scope[0] == company_id]
        else:
            scopes = [(company_id, data_type) for data_type in data_types]
            for scope in scopes:
                self._invalidated_at[scope] = self._version
        dropped = 0
        for scope in scopes:
            for key in self._by_scope.pop(scope, set()):
                if self._entries.pop(key, None) is not None:
                    dropped += 1
        self.stats.evictions += dropped
        return dropped

    def clear(self, *, ttl_seconds: float | None = None) -> None:
        """Drop everything; optionally change the TTL (short while invalidations may be missed)."""
        self._version += 1
        self._cleared_at = self._version
        self.stats.evictions += len(self._entries)
        self._entries.clear()
        self._by_scope.clear()
        if ttl_seconds is not None and ttl_seconds != self._entries.ttl:
            self._entries = cachetools.TTLCache(
                maxsize=int(self._entries.maxsize), ttl=ttl_seconds, timer=self._timer
            )

    @property
    def ttl_seconds(self) -> float:
        return float(self._entries.ttl)
