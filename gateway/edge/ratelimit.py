"""Rate limits with the `limits` library: operations per caller, failed authentication per address.

One limit per caller (`Principal.identity`) counts every GraphQL operation it sends, over HTTP
(each operation of a batch) and over WebSockets (each `subscribe`/`start` message), so switching
transport gains nothing. With `REDIS_URL` the counters live in Redis (one limit shared by every
replica); otherwise in this process's memory. Failed authentications (HTTP 401s, refused
WebSocket `connection_init`s) are counted per client address: past the limit the address gets 429
(or close code 4429) before its credentials are even checked.

Both limits are moving windows: at most `burst` operations in any `burst / rate` seconds (the
average stays `rate` a second, bursts up to `burst`), and `auth_failures` per minute.

If Redis does not answer, this replica counts in its own memory until it does (a per-replica
limit rather than none, and never a refused request because the counter was unreachable).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

log = logging.getLogger("gateway.edge.ratelimit")

STORAGE_TIMEOUT_SECONDS = 0.5
"""A Redis counter slower than this counts in memory instead (see the module docstring)."""


@dataclass(frozen=True, kw_only=True)
class RateLimitConfig:
    per_second: float
    """Average operations a second per caller (0: no operation limit)."""
    burst: int
    """Operations a caller may send at once."""
    auth_failures_per_minute: int
    """Failed authentications per client address a minute (0: not throttled)."""
    redis_url: str | None = None
    key_prefix: str = "gateway"


def operations_item(per_second: float, burst: int) -> RateLimitItem:
    """`burst` operations in a window of `burst / per_second` seconds (at least 1 s)."""
    window = max(1, math.ceil(burst / per_second))
    return RateLimitItemPerSecond(burst, window)


class RateLimits:
    """The caller and address limits, on Redis or memory (see the module docstring)."""

    def __init__(self, config: RateLimitConfig) -> None:
        self.config = config
        self._operations = (
            operations_item(config.per_second, config.burst) if config.per_second > 0 else None
        )
        self._failures = (
            RateLimitItemPerMinute(config.auth_failures_per_minute)
            if config.auth_failures_per_minute > 0
            else None
        )
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        self._pool: ConnectionPool | None = None
        self.backend = "memory"
        if config.redis_url is not None:
            self._pool = ConnectionPool.from_url(
                config.redis_url,
                socket_connect_timeout=1.0,
                socket_timeout=STORAGE_TIMEOUT_SECONDS,
            )
            pool: Any = self._pool  # typed by `limits` as a plain option
            storage: Storage = RedisStorage(
                "async+redis://",  # the pool says where (any scheme REDIS_URL accepts)
                implementation="redispy",
                key_prefix=f"{config.key_prefix}:limits",
                wrap_exceptions=True,
                connection_pool=pool,
            )
            self._shared = MovingWindowRateLimiter(storage)
            self.backend = "redis"
        self.limited = 0
        """Operations refused (429s and WebSocket errors)."""
        self.auth_throttled = 0
        """Requests refused because their address failed to authenticate too often."""
        self.fallbacks = 0

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

    @property
    def operations_limited(self) -> bool:
        return self._operations is not None

    async def _hit(self, item: RateLimitItem, key: str, cost: int) -> float:
        """0 if `cost` more hits fit under `item` for `key` (and counts them), else seconds to
        wait before retrying."""
        return await self._ask(item, key, cost, count=True)

    async def _test(self, item: RateLimitItem, key: str) -> float:
        """Like `_hit` without counting: 0 if one more hit would fit."""
        return await self._ask(item, key, 1, count=False)

    async def _ask(self, item: RateLimitItem, key: str, cost: int, *, count: bool) -> float:
        for limiter in (self._shared, self._memory):
            if limiter is None:
                continue
            ask = limiter.hit if count else limiter.test
            try:
                async with asyncio.timeout(STORAGE_TIMEOUT_SECONDS * 2):
                    if await ask(item, key, cost=cost):
                        return 0.0
                    stats = await limiter.get_window_stats(item, key)
            except Exception as exc:  # the limits library wraps storage errors; timeouts too
                if limiter is self._memory:
                    raise
                self.fallbacks += 1
                log.warning("rate-limit store unavailable (%s): counting in memory", exc)
                continue
            return max(0.001, stats.reset_time - time.time())
        return 0.0

    async def take(self, identity: str, operations: int = 1) -> float:
        """0 if the caller may run `operations` more now, else the seconds to wait."""
        if self._operations is None:
            return 0.0
        wait = await self._hit(self._operations, f"op:{identity}", max(1, operations))
        if wait:
            self.limited += 1
        return wait

    async def auth_blocked(self, address: str) -> float:
        """Seconds this address must wait before its credentials are checked again (0: go on)."""
        if self._failures is None:
            return 0.0
        wait = await self._test(self._failures, f"auth:{address}")
        if wait:
            self.auth_throttled += 1
        return wait

    async def auth_failed(self, address: str) -> None:
        """Count one failed authentication from this address."""
        if self._failures is not None:
            await self._hit(self._failures, f"auth:{address}", 1)


def retry_after(wait: float) -> int:
    """A Retry-After header's whole seconds for a wait (at least 1)."""
    return max(1, math.ceil(wait))
