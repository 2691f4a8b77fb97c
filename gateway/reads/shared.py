"""The upstream cache shared by every replica in Redis: a second level behind each process's own.

Each replica keeps its own `UpstreamCache`; on a miss there it asks this one before Codat, so N
replicas behind a load balancer fetch a page from Codat once, not up to N times.

- Generations, as in the process cache: a counter per (company, data type), one per company and
  an epoch for everything. A webhook's invalidation bumps them (`invalidate`, on every replica,
  before it evicts its own cache); a value is stored with the counters it was fetched under and
  read only while they are unchanged, and a fetch stores its result only if they still are when
  it ends (one Lua script), so a read that overlapped an invalidation never writes stale data.
- Single flight across replicas: a miss takes a short lease on the key (in the same script as
  the read); the others wait for the value, polling, at most `lease_seconds`. A holder that dies
  leaves a lease that expires, and a waiter then takes it and fetches. A holder that could not
  store its value (too large, or Codat failed) marks the lease so the waiters fetch at once.
- Bounded: every key has a TTL; a value larger than `max_value_bytes` is not stored (counted);
  entries and bytes are bounded by `max_entries` and `max_bytes` (the oldest go first), kept in
  an index the write script maintains.
- Reads are not money: when Redis does not answer within `timeout_seconds`, the replica reads
  on its own (its process cache and its own fetches) for `cooldown_seconds`, logged and counted,
  never an error to the client; an invalidation it could not record restarts the shared level
  (epoch) as soon as Redis answers again.

Keys are typed by Codat company id, data type and request, as in the process cache: callers are
authorized for a company before any read reaches either level (`gateway/reads/loaders.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from gateway.ops.bounds import Bound
from gateway.reads.cache import CacheKey
from gateway.reads.codec import Codec, CodecError

log = logging.getLogger("gateway.reads.shared")

T = TypeVar("T")

FIRST_POLL_SECONDS = 0.005
MAX_POLL_SECONDS = 0.05
ENTRY_OVERHEAD_BYTES = 200
"""What an entry costs Redis beyond its key and value: hash fields, index and size entries."""
MIN_GENERATION_TTL_SECONDS = 3600.0
EXPIRED_PRUNED_PER_WRITE = 64

# The counters a value is tagged with: epoch, company, (company, data type); absent means 0.
_TAG = """
local tag = (redis.call('GET', KEYS[1]) or '0') .. '.' .. (redis.call('GET', KEYS[2]) or '0')
  .. '.' .. (redis.call('GET', KEYS[3]) or '0')
"""

# KEYS: epoch, company gen, scope gen, value, lease. ARGV: token, lease ms.
# {tag, value} on a hit; else {tag, false, 'mine' | 'held' | 'skip'}: the lease taken, held by
# another replica's fetch under the same counters, or marked by a holder that stored nothing.
_READ = (
    _TAG
    + """
local found = redis.call('HMGET', KEYS[4], 't', 'd')
if found[1] == tag then return {tag, found[2]} end
local lease = redis.call('GET', KEYS[5])
if lease then
  local at = string.find(lease, ' ', 1, true)
  if at and string.sub(lease, 1, at - 1) == tag then
    local holder = string.sub(lease, at + 1)
    if holder == 'skip' then return {tag, false, 'skip'} end
    if holder ~= ARGV[1] then return {tag, false, 'held'} end
  end
end
redis.call('SET', KEYS[5], tag .. ' ' .. ARGV[1], 'PX', ARGV[2])
return {tag, false, 'mine'}
"""
)

# KEYS: epoch, company gen, scope gen, value, lease, index, sizes, bytes.
# ARGV: tag fetched under, value, ttl ms, size, max entries, max bytes, generation ttl ms, token.
# {stored 1 | stale 0, entries, bytes, evicted}.
_WRITE = (
    _TAG
    + """
if redis.call('GET', KEYS[5]) == ARGV[1] .. ' ' .. ARGV[8] then redis.call('DEL', KEYS[5]) end
local bytes = tonumber(redis.call('GET', KEYS[8]) or '0')
if tag ~= ARGV[1] then return {0, redis.call('ZCARD', KEYS[6]), bytes, 0} end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function forget(member)
  local size = redis.call('HGET', KEYS[7], member)
  if size then
    bytes = bytes - tonumber(size)
    redis.call('HDEL', KEYS[7], member)
  end
  redis.call('ZREM', KEYS[6], member)
end
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now, 'LIMIT', 0, ARGV[9])) do
  forget(member)
end
forget(KEYS[4])
local size = tonumber(ARGV[4])
local evicted = 0
while redis.call('ZCARD', KEYS[6]) > 0 and (redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[5])
    or bytes + size > tonumber(ARGV[6])) do
  local oldest = redis.call('ZRANGE', KEYS[6], 0, 0)[1]
  forget(oldest)
  redis.call('DEL', oldest)
  evicted = evicted + 1
end
redis.call('DEL', KEYS[4])
redis.call('HSET', KEYS[4], 't', tag, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[3]), KEYS[4])
redis.call('HSET', KEYS[7], KEYS[4], size)
bytes = bytes + size
redis.call('SET', KEYS[8], bytes, 'PX', ARGV[7])
for _, key in ipairs({KEYS[1], KEYS[2], KEYS[3], KEYS[6], KEYS[7]}) do
  redis.call('PEXPIRE', key, ARGV[7])
end
return {1, redis.call('ZCARD', KEYS[6]), bytes, evicted}
"""
)

# KEYS: lease. ARGV: the holder's lease value, 'skip' | 'release', skip ms, tag.
_SETTLE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'skip' then
  redis.call('SET', KEYS[1], ARGV[4] .. ' skip', 'PX', ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
return 1
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedCacheConfig:
    prefix: str
    ttl_seconds: float = 300.0
    max_value_bytes: int = 1024 * 1024
    max_entries: int = 100_000
    max_bytes: int = 256 * 1024 * 1024
    lease_seconds: float = 5.0
    """How long a fetch holds its key, and the longest another replica waits for its value."""
    timeout_seconds: float = 0.5
    """Each Redis call; beyond it the replica reads on its own for `cooldown_seconds`."""
    cooldown_seconds: float = 5.0


@dataclass(slots=True)
class SharedCacheStats:
    hits: int = 0
    """Values read from Redis (at once or after waiting for another replica's fetch)."""
    misses: int = 0
    """Reads that fetched from Codat themselves (holding the lease, or not waiting longer)."""
    waits: int = 0
    """Reads that found another replica fetching the same key and waited for its value."""
    stores: int = 0
    oversize: int = 0
    """Values not stored: larger than `max_value_bytes` (or than the whole byte bound)."""
    unencodable: int = 0
    stale_writes_dropped: int = 0
    evictions: int = 0
    """Entries pushed out by the entry or byte bound."""
    invalidations: int = 0
    clears: int = 0
    fallbacks: int = 0
    """Reads and invalidations done without Redis because it did not answer."""


class _UnavailableError(Exception):
    """Redis did not answer: this replica goes on without the shared level."""


@dataclass(frozen=True, slots=True)
class _Names:
    epoch: str
    company: str
    scope: str
    value: str
    lease: str

    @property
    def tagged(self) -> list[str]:
        return [self.epoch, self.company, self.scope, self.value, self.lease]


class SharedCache:
    """The second level of the upstream cache, in Redis, shared by every replica."""

    def __init__(self, redis: Redis, config: SharedCacheConfig) -> None:
        self._redis = redis
        self.config = config
        self._read = redis.register_script(_READ)
        self._write = redis.register_script(_WRITE)
        self._settle = redis.register_script(_SETTLE)
        self._ttl_ms = max(1, int(config.ttl_seconds * 1000))
        self._lease_ms = max(1, int(config.lease_seconds * 1000))
        self._generation_ttl_ms = int(
            max(2 * config.ttl_seconds, MIN_GENERATION_TTL_SECONDS) * 1000
        )
        self._largest = min(config.max_value_bytes, config.max_bytes)
        self._down_until = 0.0
        self._owe_clear = False
        """An invalidation could not be recorded: restart the shared level when Redis answers."""
        self.entries = 0
        self.bytes = 0
        """What Redis held at the last store (entries and bytes of the index)."""
        self.stats = SharedCacheStats()

    # -- names ---------------------------------------------------------------------------------

    def _name(self, *parts: str) -> str:
        return ":".join((self.config.prefix, "l2", *parts))

    def _generation(self, company_id: str, data_type: str | None = None) -> str:
        return self._name("gen", company_id, *(() if data_type is None else (data_type,)))

    def _names(self, key: CacheKey) -> _Names:
        digest = hashlib.sha256(repr(key.request).encode()).hexdigest()[:32]
        return _Names(
            epoch=self._name("epoch"),
            company=self._generation(key.company_id),
            scope=self._generation(key.company_id, key.data_type),
            value=self._name("val", key.company_id, key.data_type, digest),
            lease=self._name("lease", key.company_id, key.data_type, digest),
        )

    # -- Redis, failing over to this replica alone -------------------------------------------

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                try:
                    result = await call()
                except RedisConnectionError:
                    # A pooled connection Redis closed (it restarted): dropped, so once more.
                    result = await call()
        except (RedisError, OSError, TimeoutError) as exc:
            self.stats.fallbacks += 1
            if self.available:
                log.warning(
                    "shared cache unavailable (%s): this replica reads on its own for %.0f s",
                    type(exc).__name__,
                    self.config.cooldown_seconds,
                )
            self._down_until = time.monotonic() + self.config.cooldown_seconds
            raise _UnavailableError from exc
        return result

    async def _usable(self) -> bool:
        """Whether to use Redis now: not within a cooldown, and any owed restart done."""
        if not self.available:
            self.stats.fallbacks += 1
            return False
        if self._owe_clear:
            try:
                await self._bump([self._name("epoch")])
            except _UnavailableError:
                return False
            self._owe_clear = False
            self.stats.clears += 1
            log.info("shared cache restarted: an invalidation was missed while Redis was away")
        return True

    # -- reads ---------------------------------------------------------------------------------

    async def through(self, key: CacheKey, codec: Codec[T], fetch: Callable[[], Awaitable[T]]) -> T:
        """The value in Redis, another replica's fetch of it, or `fetch()` stored for the rest."""
        if not await self._usable():
            return await fetch()
        names = self._names(key)
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.config.lease_seconds
        poll = FIRST_POLL_SECONDS
        waited = False
        while True:
            try:
                found = await self._call(
                    lambda: self._read(keys=names.tagged, args=[token, self._lease_ms])
                )
            except _UnavailableError:
                return await fetch()
            tag = _text(found[0])
            if found[1] is not None:
                try:
                    value = codec.decode(found[1])
                except CodecError:
                    log.warning("shared cache entry %s unreadable: fetched again", names.value)
                    self.stats.misses += 1
                    return await fetch()
                self.stats.hits += 1
                return value
            lease = _text(found[2])
            if lease == "mine":
                self.stats.misses += 1
                return await self._fetch_and_store(names, tag, token, codec, fetch)
            if lease == "skip" or time.monotonic() >= deadline:
                self.stats.misses += 1
                return await fetch()
            if not waited:
                waited = True
                self.stats.waits += 1
            await asyncio.sleep(poll * random.uniform(0.5, 1.5))
            poll = min(MAX_POLL_SECONDS, poll * 2)

    async def _fetch_and_store(
        self,
        names: _Names,
        tag: str,
        token: str,
        codec: Codec[T],
        fetch: Callable[[], Awaitable[T]],
    ) -> T:
        try:
            value = await fetch()
        except asyncio.CancelledError:
            await self._settle_lease(names, tag, token, skip=False)
            raise
        except Exception:
            # Codat failed: the waiters fetch on their own at once (errors are never stored).
            await self._settle_lease(names, tag, token, skip=True)
            raise
        try:
            blob = codec.encode(value)
        except CodecError as exc:
            log.warning("shared cache: %s not stored (%s)", names.value, exc)
            self.stats.unencodable += 1
            await self._settle_lease(names, tag, token, skip=True)
            return value
        size = len(blob) + len(names.value) + ENTRY_OVERHEAD_BYTES
        if size > self._largest:
            self.stats.oversize += 1
            await self._settle_lease(names, tag, token, skip=True)
            return value
        try:
            stored = await self._call(
                lambda: self._write(
                    keys=[*names.tagged, *self._index_names()],
                    args=[
                        tag,
                        blob,
                        self._ttl_ms,
                        size,
                        self.config.max_entries,
                        self.config.max_bytes,
                        self._generation_ttl_ms,
                        token,
                        EXPIRED_PRUNED_PER_WRITE,
                    ],
                )
            )
        except _UnavailableError:
            return value
        outcome, self.entries, self.bytes, evicted = (int(part) for part in stored)
        self.stats.evictions += evicted
        if outcome == 1:
            self.stats.stores += 1
        else:
            self.stats.stale_writes_dropped += 1
        return value

    def _index_names(self) -> list[str]:
        return [self._name("index"), self._name("sizes"), self._name("bytes")]

    async def _settle_lease(self, names: _Names, tag: str, token: str, *, skip: bool) -> None:
        """Give the lease back (the next reader fetches), or mark it so that waiters fetch now."""
        with contextlib.suppress(_UnavailableError):  # else it expires by itself
            await self._call(
                lambda: self._settle(
                    keys=[names.lease],
                    args=[f"{tag} {token}", "skip" if skip else "release", self._lease_ms, tag],
                )
            )

    # -- invalidation --------------------------------------------------------------------------

    async def invalidate(self, company_id: str, data_types: Iterable[str] | None = None) -> None:
        """Make what one company's data types were built from unreadable for every replica (all
        of its types when None), and any fetch that started before unable to store."""
        self.stats.invalidations += 1
        if data_types is None:
            keys = [self._generation(company_id)]
        else:
            keys = [self._generation(company_id, data_type) for data_type in data_types]
        if not keys:
            return
        try:
            await self._bump(keys)
        except _UnavailableError:
            self._owe_clear = True

    async def clear(self) -> None:
        """Drop everything for every replica (events may have been missed): a new epoch."""
        self.stats.clears += 1
        try:
            await self._bump([self._name("epoch")])
        except _UnavailableError:
            self._owe_clear = True

    async def _bump(self, keys: list[str]) -> None:
        async def bump() -> Any:
            async with self._redis.pipeline(transaction=True) as pipe:
                for key in keys:
                    pipe.incr(key)
                    pipe.pexpire(key, self._generation_ttl_ms)
                return await pipe.execute()

        await self._call(bump)

    def bound(self) -> Bound:
        return Bound(
            "shared", self.entries, self.config.max_entries, self.bytes, self.config.max_bytes
        )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
