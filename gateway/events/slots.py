"""Codat's per-company concurrency cap shared by every replica: a lease per request in Redis.

Codat allows 10 requests in flight per company (codat-notes §10) for the whole client, not per
process, so N replicas each keeping 10 would send 10 x N. Each request takes a lease in a sorted
set per company (member: a random lease id, score: when the lease expires): a Lua script drops
expired leases and adds one only while fewer than the cap are held. A replica that dies leaves
its leases to expire after `lease_seconds` (longer than one attempt's timeouts).

The local bound (`LocalSlots`, the same cap) is always taken first, so a replica never asks Redis
for more than the cap at once. With Redis unreachable the shared bound fails open to the local
one for `cooldown_seconds` (reads keep working; at worst each replica sends up to the cap).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.codat.limits import LocalSlots

log = logging.getLogger("gateway.events.slots")

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""

FIRST_POLL_SECONDS = 0.005
MAX_POLL_SECONDS = 0.05


class RedisSlots:
    """`CompanySlots` shared through Redis, failing open to the local bound."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        per_company: int,
        lease_seconds: float = 45.0,
        cooldown_seconds: float = 5.0,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self.per_company = per_company
        self._lease_ms = int(lease_seconds * 1000)
        self._cooldown = cooldown_seconds
        self._local = LocalSlots(per_company)
        self._script = redis.register_script(_ACQUIRE)
        self._down_until = 0.0
        self.fallbacks = 0
        """Requests that went ahead on the local bound alone because Redis did not answer."""
        self.waits = 0
        """Times a request found the company's shared slots all taken and waited."""

    def _key(self, company_id: str | None) -> str:
        return f"{self._prefix}:codat:slots:{company_id or '*'}"

    @asynccontextmanager
    async def slot(self, company_id: str | None) -> AsyncIterator[None]:
        async with self._local.slot(company_id):
            lease = await self._acquire(company_id)
            try:
                yield
            finally:
                if lease is not None:
                    await self._release(company_id, lease)

    async def _acquire(self, company_id: str | None) -> str | None:
        """A lease id once one is held; None when Redis is down (fail open)."""
        lease = uuid.uuid4().hex
        key = self._key(company_id)
        poll = FIRST_POLL_SECONDS
        waited = False
        while True:
            if time.monotonic() < self._down_until:
                self.fallbacks += 1
                return None
            now_ms = int(time.time() * 1000)
            try:
                got = await self._script(
                    keys=[key],
                    args=[now_ms, now_ms + self._lease_ms, self.per_company, lease, self._lease_ms],
                )
            except (RedisError, OSError, TimeoutError) as exc:
                self._down_until = time.monotonic() + self._cooldown
                self.fallbacks += 1
                log.warning(
                    "Redis unreachable for Codat slots (%s): local limit only for %.0f s",
                    type(exc).__name__,
                    self._cooldown,
                )
                return None
            if got == 1:
                return lease
            if not waited:
                waited = True
                self.waits += 1
            await asyncio.sleep(poll * random.uniform(0.5, 1.5))
            poll = min(MAX_POLL_SECONDS, poll * 2)

    async def _release(self, company_id: str | None, lease: str) -> None:
        with contextlib.suppress(RedisError, OSError, TimeoutError):  # else it expires itself
            await self._redis.zrem(self._key(company_id), lease)
