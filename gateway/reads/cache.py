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
from pydantic import BaseModel

from gateway.codat.paging import Page
from gateway.ops.bounds import Bound
from gateway.reads.work import adopt_current_task, detached

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
class _Flight:
    """One shared fetch and how many callers wait for it (it is cancelled when none do)."""

    task: asyncio.Task[Any]
    waiters: int = 0


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    joined: int = 0
    cancelled: int = 0
    """Shared fetches stopped because every caller waiting for them was cancelled."""
    evictions: int = 0
    invalidations: int = 0
    stale_writes_dropped: int = 0


K = TypeVar("K", bound=Hashable)

ENTRY_OVERHEAD_BYTES = 200
"""What an entry costs beyond its data: key, links, index (a rough, deliberately high figure)."""


def approximate_size(value: Any, memo: dict[int, int] | None = None) -> int:
    """The JSON size of an upstream value (records, pages of them, lists), plus overheads.

    A page read from Codat is charged the body it came in, and each of its records an equal
    share of it; other records are serialised once each (pydantic's Rust serialiser). `memo`, by
    object id, shares the figures between a page and its records' index entries, each of which
    is charged in full: an over-estimate, never an under-estimate, of what the cache keeps alive.
    """
    memo = {} if memo is None else memo
    known = memo.get(id(value))
    if known is not None:
        return known
    if isinstance(value, Page) and value.wire_bytes and value.results:
        share = value.wire_bytes // len(value.results)
        for item in value.results:
            memo.setdefault(id(item), share)
        size = 64 + value.wire_bytes
    elif isinstance(value, Page):
        size = 64 + sum(approximate_size(item, memo) for item in value.results)
    elif isinstance(value, list | tuple):
        size = 16 + sum(approximate_size(item, memo) for item in value)
    elif isinstance(value, dict):
        size = 16 + sum(approximate_size(item, memo) for item in value.values()) + 32 * len(value)
    elif isinstance(value, BaseModel):
        size = len(value.__pydantic_serializer__.to_json(value, fallback=str))
    elif isinstance(value, str | bytes):
        size = len(value)
    else:
        size = 64
    memo[id(value)] = size
    return size


class SizedTTLCache(cachetools.TTLCache[K, Any]):
    """A TTLCache bounded in entries (`maxsize`) and in bytes (`max_bytes`, sizes given by
    `put`): the least recently used entries go first when either is exceeded."""

    def __init__(
        self, maxsize: int, ttl: float, timer: Callable[[], float], max_bytes: int
    ) -> None:
        super().__init__(maxsize=maxsize, ttl=ttl, timer=timer)
        self.max_bytes = max_bytes
        self.sizes: dict[K, int] = {}
        self.bytes = 0
        self.evicted = 0
        self.refused = 0
        """Values larger than the whole byte budget, never stored."""

    def put(self, key: K, value: Any, size: int) -> bool:
        """Store `value`, charged `size` bytes; False (nothing stored) if it alone is too big."""
        size += ENTRY_OVERHEAD_BYTES
        if size > self.max_bytes:
            self.refused += 1
            self.pop(key, None)
            return False
        self[key] = value
        self.bytes += size - self.sizes.get(key, 0)
        self.sizes[key] = size
        while self.bytes > self.max_bytes and len(self) > 1:
            self.popitem()
        return True

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._forget(key)

    def _forget(self, key: K) -> None:
        self.bytes -= self.sizes.pop(key, 0)

    def expire(self, time: float | None = None) -> list[tuple[K, Any]]:
        expired: list[tuple[K, Any]] = list(super().expire(time))
        for key, _ in expired:
            self._forget(key)
        self.evicted += len(expired)
        return expired

    def popitem(self) -> tuple[K, Any]:
        item: tuple[K, Any] = super().popitem()
        self.evicted += 1
        return item

    def clear(self) -> None:
        super().clear()
        self.sizes.clear()
        self.bytes = 0


class _IndexedTTLCache(SizedTTLCache[CacheKey]):
    """A sized TTLCache that keeps an index of its keys by (company, data type), pruned as
    entries go."""

    def __init__(
        self, maxsize: int, ttl: float, timer: Callable[[], float], max_bytes: int
    ) -> None:
        super().__init__(maxsize, ttl, timer, max_bytes)
        self.index: defaultdict[tuple[str, str], set[CacheKey]] = defaultdict(set)

    def __setitem__(self, key: CacheKey, value: Any) -> None:
        super().__setitem__(key, value)
        self.index[key.scope].add(key)

    def _forget(self, key: CacheKey) -> None:
        super()._forget(key)
        self._unindex(key)

    def clear(self) -> None:
        super().clear()
        self.index.clear()

    def _unindex(self, key: CacheKey) -> None:
        keys = self.index.get(key.scope)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self.index[key.scope]


class UpstreamCache:
    """Caches upstream results by typed key.

    - Single flight: concurrent misses for one key share one fetch (run as its own task, so a
      cancelled caller does not cancel the others); the fetch is cancelled when the last caller
      waiting for it is (no fetch outlives every request that wanted it).
    - Bounded in entries and in bytes (`approximate_size`: the JSON size of what was fetched).
    - Generations: every (company, data type) has a counter that an invalidation bumps. A fetch
      remembers the counter when it starts and stores its result only if the counter is unchanged
      when it ends, so a fetch overlapping a webhook never writes stale data back.
    """

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_entries: int,
        max_bytes: int = 256 * 1024 * 1024,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._timer = timer
        self._entries = _IndexedTTLCache(max_entries, ttl_seconds, timer, max_bytes)
        self._generations: dict[tuple[str, str], int] = defaultdict(int)
        self._company_generations: dict[str, int] = defaultdict(int)
        self._epoch = 0
        self._inflight: dict[CacheKey, _Flight] = {}
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
        flight = self._inflight.get(key)
        if flight is not None:
            self.stats.joined += 1
        else:
            self.stats.misses += 1
            task = asyncio.create_task(
                self._fill(key, fetch, index, self._generation(key)), context=detached()
            )
            flight = self._inflight[key] = _Flight(task)
            task.add_done_callback(lambda done: self._forget(key, done))
        adopt_current_task()  # the request's cancellation (client gone) reaches this wait
        flight.waiters += 1
        try:
            result: T = await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                # The last caller that wanted it is gone: nobody waits, so stop the fetch.
                flight.task.cancel()
                self.stats.cancelled += 1
                if self._inflight.get(key) is flight:
                    del self._inflight[key]  # a caller arriving now starts afresh
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
            memo: dict[int, int] = {}
            self._entries.put(key, value, approximate_size(value, memo))
            for request, entry in index(value) if index is not None else ():
                entry_key = CacheKey(key.company_id, key.data_type, request)
                self._entries.put(entry_key, entry, approximate_size(entry, memo))
        else:
            self.stats.stale_writes_dropped += 1
        return value

    def _forget(self, key: CacheKey, task: asyncio.Task[Any]) -> None:
        flight = self._inflight.get(key)
        if flight is not None and flight.task is task:
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
            self._entries = _IndexedTTLCache(
                int(self._entries.maxsize), ttl_seconds, self._timer, self._entries.max_bytes
            )
            self._entries.evicted = evicted

    @property
    def ttl_seconds(self) -> float:
        return float(self._entries.ttl)

    def _drop_inflight(self, matches: Callable[[CacheKey], bool]) -> None:
        # Callers already waiting keep their fetch; new callers must start a fresh one.
        for key in [key for key in self._inflight if matches(key)]:
            del self._inflight[key]

    def bound(self) -> Bound:
        entries = self._entries
        return Bound(
            "upstream", len(entries), int(entries.maxsize), entries.bytes, entries.max_bytes
        )

    def inflight(self) -> int:
        """Shared fetches running now."""
        return sum(not flight.task.done() for flight in self._inflight.values())

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
        self,
        *,
        ttl_seconds: float,
        max_entries: int,
        max_bytes: int = 64 * 1024 * 1024,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._timer = timer
        self._entries: SizedTTLCache[str] = SizedTTLCache(
            max_entries, ttl_seconds, timer, max_bytes
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
        entry: CachedResponse | None = self._entries.get(key)
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
        size = len(body) + len(key) + 64 * len(dependencies)
        if not self._entries.put(key, CachedResponse(body, frozenset(dependencies)), size):
            return False  # larger than the whole budget
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
            self._entries = SizedTTLCache(
                int(self._entries.maxsize), ttl_seconds, self._timer, self._entries.max_bytes
            )

    @property
    def ttl_seconds(self) -> float:
        return float(self._entries.ttl)

    def bound(self) -> Bound:
        entries = self._entries
        return Bound(
            "response", len(entries), int(entries.maxsize), entries.bytes, entries.max_bytes
        )
