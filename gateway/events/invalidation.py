"""Cache invalidation as an event-bus subscriber: the same for local and Redis-borne events."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from gateway.events.bus import EventBus, GatewayEvent, Subscription
from gateway.ops.tasks import cancel_and_wait
from gateway.reads.cache import ALL_COMPANIES, ResponseCache, UpstreamCache
from gateway.reads.shared import SharedCache

log = logging.getLogger("gateway.events.invalidation")

COMPANIES = "companies"


def stale_scopes(event: GatewayEvent) -> list[tuple[str, tuple[str, ...] | None]]:
    """What `event` made stale, as (company, data types or None for all of them): the companies
    list too when a company's entry changed."""
    if event.company_id is None:
        return []
    scopes = [(event.company_id, event.data_types)]
    if event.data_types is None or COMPANIES in event.data_types:
        scopes.append((ALL_COMPANIES, (COMPANIES,)))
    return scopes


def evict(cache: UpstreamCache | ResponseCache, event: GatewayEvent) -> int:
    """Drop what `event` made stale from a cache of this process."""
    return sum(cache.invalidate(company, types) for company, types in stale_scopes(event))


async def evict_shared(shared: SharedCache, event: GatewayEvent) -> None:
    """Make what `event` made stale unreadable in the cache every replica shares."""
    for company, types in stale_scopes(event):
        await shared.invalidate(company, types)


class CacheInvalidator:
    """Applies every bus event to the cache; clears it when events may have been missed."""

    def __init__(
        self,
        bus: EventBus,
        cache: UpstreamCache,
        *,
        ttl_seconds: float,
        degraded_ttl_seconds: float,
        queue_size: int,
        responses: ResponseCache | None = None,
        shared: SharedCache | None = None,
    ) -> None:
        self._bus = bus
        self._cache = cache
        self._shared = shared
        """The cache shared in Redis: invalidated before this process's own, so that a read
        after the local eviction misses both levels."""
        self._responses = responses
        self._response_ttl = None if responses is None else responses.ttl_seconds
        """The stored responses' own TTL, restored when the bus is healthy again."""
        self._ttl = ttl_seconds
        self._degraded_ttl = degraded_ttl_seconds
        self._queue_size = queue_size
        self._task: asyncio.Task[None] | None = None
        self.applied = 0
        self.degraded = False
        self.lag_seconds: deque[tuple[str, float]] = deque(maxlen=10_000)
        """(event id, seconds from webhook receipt to eviction here), most recent last."""

    async def start(self) -> None:
        subscription = self._bus.subscribe(self._queue_size)
        self._task = asyncio.create_task(self._run(subscription), name="cache-invalidator")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def on_bus_health(self, healthy: bool) -> None:
        """Missed invalidations cannot be known: start over, with a short TTL while degraded."""
        recovered = healthy and self.degraded
        self.degraded = not healthy
        if recovered and self._shared is not None:
            # Other replicas' webhooks may have been missed meanwhile: the shared level too.
            await self._shared.clear()
        ttl = self._ttl if healthy else self._degraded_ttl
        self._cache.clear(ttl_seconds=ttl)
        if self._responses is not None and self._response_ttl is not None:
            # Stored responses are as stale as the data they were built from: same short TTL.
            self._responses.clear(
                ttl_seconds=self._response_ttl if healthy else min(ttl, self._response_ttl)
            )
        if healthy:
            log.info("event bus healthy: cache cleared, TTL back to %ss", ttl)
        else:
            log.warning("event bus degraded: cache cleared, TTL %ss until Redis returns", ttl)

    async def _run(self, subscription: Subscription) -> None:
        try:
            while True:
                async for event in subscription:
                    if self._shared is not None:
                        await evict_shared(self._shared, event)
                    dropped = evict(self._cache, event)
                    if self._responses is not None:
                        dropped += evict(self._responses, event)
                    self.applied += 1
                    self.lag_seconds.append((event.id, time.time() - event.received_at))
                    log.debug("event %s evicted %d entries", event.id, dropped)
                if not subscription.dropped:
                    return
                # Dropped for falling behind: what we missed is unknown, so drop everything.
                if self._shared is not None:
                    await self._shared.clear()
                self._cache.clear()
                if self._responses is not None:
                    self._responses.clear()
                subscription = self._bus.subscribe(self._queue_size)
        finally:
            subscription.close()
