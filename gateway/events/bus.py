"""The gateway's event bus: typed events, fanned out in process or across replicas via Redis.

EventBus
├── LocalBus   bounded per-subscriber queues; a subscriber that falls behind is dropped
└── RedisBus   publishes to one Redis pub/sub channel and fans every message it hears out
               through a LocalBus, so each replica (the publisher too) sees each event once.
               Without Redis it delivers locally, reports itself degraded, and reconnects
               with backoff; health changes are reported to listeners (the cache clears).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.events.streams import BoundedStream
from gateway.ops.tasks import cancel_and_wait

log = logging.getLogger("gateway.events.bus")


class EventKind(enum.StrEnum):
    READ_COMPLETED = "read.completed"
    READ_COMPLETED_INITIAL = "read.completed.initial"
    WRITE_SUCCESSFUL = "write.successful"
    WRITE_UNSUCCESSFUL = "write.unsuccessful"
    CONNECTION_CHANGED = "connection.changed"
    COMPANY_CREATED = "company.created"
    COMPANY_DELETED = "company.deleted"
    DATASET_CHANGED = "legacy.dataset.changed"
    DATA_SYNC_COMPLETED = "legacy.data.sync.completed"
    DATA_SYNC_FAILED = "legacy.data.sync.failed"
    COMPANY_SYNCHRONIZED = "legacy.company.synchronized"
    PUSH_STATUS_CHANGED = "legacy.push.status.changed"
    PUSH_TIMED_OUT = "legacy.push.timed.out"
    RATE_LIMIT_REACHED = "client.rateLimit.reached"
    RATE_LIMIT_RESET = "client.rateLimit.reset"


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """One accepted webhook, parsed: what happened, to which company, and what it made stale.

    `data_types` are cache scopes to evict; None means everything of that company. Events about
    the client (Codat's quota: `RATE_LIMIT_*`) have no company and carry `quota_resets_at`.
    """

    id: str
    kind: EventKind
    company_id: str | None
    data_types: tuple[str, ...] | None
    event_type: str
    push_operation_key: str | None = None
    status: str | None = None
    occurred_at: datetime | None = None
    received_at: float = field(default_factory=time.time, compare=False)
    quota_resets_at: datetime | None = None

    def to_json(self) -> str:
        body = asdict(self)
        body["occurred_at"] = None if self.occurred_at is None else self.occurred_at.isoformat()
        resets = self.quota_resets_at
        body["quota_resets_at"] = None if resets is None else resets.isoformat()
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> GatewayEvent:
        body: dict[str, Any] = json.loads(text)
        data_types = body["data_types"]
        occurred_at = body.get("occurred_at")
        resets = body.get("quota_resets_at")
        return cls(
            id=str(body["id"]),
            kind=EventKind(body["kind"]),
            company_id=body.get("company_id"),
            data_types=None if data_types is None else tuple(str(t) for t in data_types),
            event_type=str(body["event_type"]),
            push_operation_key=body.get("push_operation_key"),
            status=body.get("status"),
            occurred_at=None if occurred_at is None else datetime.fromisoformat(occurred_at),
            received_at=float(body.get("received_at") or time.time()),
            quota_resets_at=None if resets is None else datetime.fromisoformat(resets),
        )


class Subscription(BoundedStream["GatewayEvent"]):
    """Events in publication order (`BoundedStream`); iteration ends when the bus stops or
    drops this subscriber for falling behind (`dropped`)."""

    def __init__(self, bus: LocalBus, maxsize: int) -> None:
        super().__init__(maxsize)
        self._bus = bus
        self.dropped = False

    def _offer(self, event: GatewayEvent) -> bool:
        return self.offer(event)

    def _close(self, *, dropped: bool) -> None:
        """End iteration: at once when dropped (what it missed is gone), after a drain otherwise."""
        if dropped:
            self.dropped = True
            self.drop()
        else:
            self.end()

    def close(self) -> None:
        self._bus._unsubscribe(self)
        self.close_reader()


@dataclass(frozen=True, slots=True)
class BusHealth:
    backend: str
    healthy: bool
    published: int
    delivered: int
    dropped_subscribers: int
    subscribers: int
    detail: str | None = None


class EventBus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, event: GatewayEvent) -> None: ...

    def subscribe(self, maxsize: int | None = None) -> Subscription: ...

    def health(self) -> BusHealth: ...


class LocalBus:
    """In-process fan-out. Publishing never waits: a full subscriber queue drops that subscriber."""

    backend = "local"

    def __init__(self, *, queue_size: int) -> None:
        self._queue_size = queue_size
        self._subscribers: list[Subscription] = []
        self.published = 0
        self.delivered = 0
        self.dropped_subscribers = 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        """Every subscriber reads what is queued, then its iteration ends."""
        for subscription in list(self._subscribers):
            self._unsubscribe(subscription)
            subscription._close(dropped=False)

    async def publish(self, event: GatewayEvent) -> None:
        self.published += 1
        self.deliver(event)

    def deliver(self, event: GatewayEvent) -> None:
        self.delivered += 1
        for subscription in list(self._subscribers):
            if not subscription._offer(event):
                self._subscribers.remove(subscription)
                subscription._close(dropped=True)
                self.dropped_subscribers += 1
                log.warning("event subscriber fell %d events behind: dropped", self._queue_size)

    def subscribe(self, maxsize: int | None = None) -> Subscription:
        subscription = Subscription(self, maxsize or self._queue_size)
        self._subscribers.append(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    def health(self) -> BusHealth:
        return BusHealth(
            backend=self.backend,
            healthy=True,
            published=self.published,
            delivered=self.delivered,
            dropped_subscribers=self.dropped_subscribers,
            subscribers=len(self._subscribers),
        )


HealthListener = Callable[[bool], Awaitable[None] | None]

RECONNECT_BACKOFF = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)


class RedisBus:
    """Every replica publishes to, and listens on, one channel; delivery is via the listener.

    While Redis is unreachable, events are delivered to this replica only and health is False.
    Missed messages cannot be known, so listeners are told on every change of health.
    """

    backend = "redis"

    def __init__(
        self,
        redis: Redis,
        *,
        channel: str,
        queue_size: int,
        poll_seconds: float = 1.0,
        publish_timeout: float = 2.0,
    ) -> None:
        self._redis = redis
        self._channel = channel
        self._local = LocalBus(queue_size=queue_size)
        self._poll_seconds = poll_seconds
        self._publish_timeout = publish_timeout
        self._listeners: list[HealthListener] = []
        self._task: asyncio.Task[None] | None = None
        self.healthy = False
        self.detail: str | None = "not started"
        self.reconnects = 0
        self._reported: bool | None = None
        self._first_report = asyncio.Event()

    def on_health_change(self, listener: HealthListener) -> None:
        self._listeners.append(listener)

    async def start(self, *, wait_seconds: float = 2.0) -> None:
        self._task = asyncio.create_task(self._listen(), name=f"redis-bus:{self._channel}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_report.wait(), wait_seconds)
        if self._reported is None:
            await self._set_health(False, self.detail or "Redis unreachable at start")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self._local.stop()

    async def publish(self, event: GatewayEvent) -> None:
        self._local.published += 1
        if self.healthy:
            try:
                async with asyncio.timeout(self._publish_timeout):
                    await self._redis.publish(self._channel, event.to_json())
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning("Redis publish failed (%s): delivering on this replica only", exc)
                await self._set_health(False, f"publish failed: {type(exc).__name__}")
            else:
                return
        self._local.deliver(event)

    def subscribe(self, maxsize: int | None = None) -> Subscription:
        return self._local.subscribe(maxsize)

    def health(self) -> BusHealth:
        local = self._local.health()
        return BusHealth(
            backend=self.backend,
            healthy=self.healthy,
            published=local.published,
            delivered=local.delivered,
            dropped_subscribers=local.dropped_subscribers,
            subscribers=local.subscribers,
            detail=self.detail,
        )

    async def _set_health(self, healthy: bool, detail: str | None) -> None:
        self.healthy = healthy
        self.detail = detail
        self._first_report.set()
        if healthy == self._reported:
            return
        if healthy and self._reported is False:
            self.reconnects += 1
        self._reported = healthy
        if healthy:
            log.info("event bus: Redis channel %s subscribed", self._channel)
        else:
            log.warning("event bus degraded, Redis unreachable: %s", detail)
        for listener in self._listeners:
            outcome = listener(healthy)
            if outcome is not None:
                await outcome

    async def _listen(self) -> None:
        attempt = 0
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                await self._set_health(True, None)
                attempt = 0
                while True:
                    message = await pubsub.get_message(timeout=self._poll_seconds)
                    if message is None:
                        await pubsub.ping()
                    elif message.get("type") == "message":
                        self._receive(message.get("data"))
            except (RedisError, OSError, TimeoutError) as exc:
                await self._set_health(False, f"{type(exc).__name__}: {exc}")
            finally:
                with contextlib.suppress(RedisError, OSError, TimeoutError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            delay = RECONNECT_BACKOFF[min(attempt, len(RECONNECT_BACKOFF) - 1)]
            attempt += 1
            await asyncio.sleep(delay)

    def _receive(self, data: Any) -> None:
        if not isinstance(data, bytes | str):
            return
        try:
            event = GatewayEvent.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignored a malformed event on %s: %s", self._channel, exc)
            return
        self._local.deliver(event)
