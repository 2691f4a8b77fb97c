"""Push-operation watches: one per (company, key) per process, fanned out to bounded streams.

A watch subscribes to the event bus *before* it reads the current status (so no change is lost
between the two), emits that status, then every change a webhook announces. When no event comes
within `poll_after` seconds it polls Codat (doubling the interval up to `poll_max_interval`); a
terminal status found by polling is published on the bus like a webhook would be, so every
replica evicts what the write changed.

Codat does not put pushed records in its cache (`gateway/writes/refresh.py`), so a Success is not
the
end: the watch goes on until every data type the push changed has been pulled since (its
`SyncState` UP_TO_DATE, or REFRESH_FAILED), re-checking on each read event for the company and by
polling, and then publishes that on the bus (the caches of every replica drop those data types
and `companyDataChanged` hears it). The replica that made the push also queues that refresh.
A watch ends there, at another terminal status, or after `max_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from gateway.codat import CodatClient
from gateway.codat.models import DataStatus, PullOperation, PushOperation, PushOperationStatus
from gateway.codat.types import CompanyId
from gateway.errors import GatewayError
from gateway.events.bus import EventBus, EventKind, GatewayEvent, Subscription
from gateway.events.streams import BoundedStream
from gateway.events.webhooks import DATA_STATUS, PUSH_OPERATIONS, SCOPE_ALIASES, WRITE_ALSO_STALES
from gateway.writes.refresh import RefreshQueue, SyncState, instant, sync_state

log = logging.getLogger("gateway.writes.pushwatch")

T = TypeVar("T")

TERMINAL = frozenset(
    {PushOperationStatus.Success, PushOperationStatus.Failed, PushOperationStatus.TimedOut}
)
EVENT_READS_KEPT = 256
"""Reads of push operations kept per event id (for `companyPushOperations` subscribers)."""
POLLED_EVENT_TYPE = "gateway.push.polled"
SYNCED_EVENT_TYPE = "gateway.push.synced"
READ_EVENTS = frozenset(
    {
        EventKind.READ_COMPLETED,
        EventKind.READ_COMPLETED_INITIAL,
        EventKind.DATASET_CHANGED,
        EventKind.DATA_SYNC_COMPLETED,
        EventKind.DATA_SYNC_FAILED,
        EventKind.COMPANY_SYNCHRONIZED,
    }
)


@dataclass(frozen=True, slots=True)
class PushUpdate:
    """A push operation as Codat has it, and (after Success) whether its data is readable."""

    operation: PushOperation
    sync_state: SyncState | None = None
    views: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    """What other layers derive from this update, made once for every subscriber (the GraphQL
    object of it, `schema/subscriptions.py`)."""

    @property
    def final(self) -> bool:
        if self.operation.status is not PushOperationStatus.Success:
            return is_terminal(self.operation)
        return self.sync_state in {SyncState.UP_TO_DATE, SyncState.REFRESH_FAILED}


class SubscriberTooSlowError(GatewayError):
    """A subscriber's queue filled up: it was dropped so it could not hold up the others."""

    def __init__(self, queue_size: int) -> None:
        super().__init__(
            f"the subscriber fell {queue_size} updates behind and was dropped; subscribe again"
        )
        self.queue_size = queue_size


def is_terminal(operation: PushOperation) -> bool:
    return operation.status in TERMINAL


def written_scopes(data_type: str | None) -> tuple[str, ...] | None:
    """What a successful write of `data_type` made stale (None: unknown, so everything)."""
    if data_type is None:
        return None
    scope = SCOPE_ALIASES.get(data_type, data_type)
    return (scope, *WRITE_ALSO_STALES.get(scope, ()), PUSH_OPERATIONS)


def polled_event(operation: PushOperation) -> GatewayEvent:
    """The event a webhook would have carried for a terminal status found by polling."""
    data_type = None if operation.data_type is None else operation.data_type.value
    success = operation.status is PushOperationStatus.Success
    return GatewayEvent(
        id=f"gateway-poll-{uuid.uuid4()}",
        kind=EventKind.WRITE_SUCCESSFUL if success else EventKind.WRITE_UNSUCCESSFUL,
        company_id=operation.company_id,
        data_types=written_scopes(data_type) if success else (PUSH_OPERATIONS,),
        event_type=POLLED_EVENT_TYPE,
        push_operation_key=operation.push_operation_key,
        status=operation.status.value,
    )


class PushStream(BoundedStream[PushUpdate]):
    """One subscriber's updates (`BoundedStream`); iteration ends after a terminal status."""

    def __init__(self, watch: _Watch, maxsize: int) -> None:
        super().__init__(maxsize)
        self._watch = watch
        self.dropped = False

    def _offer(self, item: PushUpdate) -> bool:
        return self.offer(item)

    def _end(self, error: BaseException | None = None) -> None:
        if error is None:
            self.end()
        else:
            self.fail(error)

    def close(self) -> None:
        self._watch.streams.discard(self)
        self.close_reader()


class _Watch:
    def __init__(self, company_id: CompanyId, key: str) -> None:
        self.company_id = company_id
        self.key = key
        self.streams: set[PushStream] = set()
        self.last: PushUpdate | None = None
        self.refresh = False
        """This replica made the push: it queues the refresh of what the push changed."""
        self.polled: PushOperation | None = None
        self.task: asyncio.Task[None] | None = None


class PushTracker:
    """The process's push-operation watches and the single-flight reads they share."""

    def __init__(
        self,
        client: CodatClient,
        bus: EventBus,
        *,
        poll_after: float,
        poll_max_interval: float,
        max_seconds: float,
        queue_size: int,
        refresh: RefreshQueue | None = None,
    ) -> None:
        self._client = client
        self._refresh = refresh
        self._bus = bus
        self._poll_after = poll_after
        self._poll_max = max(poll_max_interval, poll_after)
        self._max_seconds = max_seconds
        self.queue_size = queue_size
        self._watches: dict[tuple[CompanyId, str], _Watch] = {}
        self._reads: dict[tuple[str, ...], asyncio.Future[Any]] = {}
        self._event_reads: OrderedDict[str, asyncio.Task[PushUpdate]] = OrderedDict()
        self._stopping = False
        self.polls = 0
        self.dropped_subscribers = 0

    @property
    def watches(self) -> int:
        return len(self._watches)

    async def _once(self, key: tuple[str, ...], read: Callable[[], Awaitable[T]]) -> T:
        """`read()`, shared by every caller asking for `key` while it is in flight."""
        task = self._reads.get(key)
        if task is None:
            task = asyncio.ensure_future(read())
            self._reads[key] = task
            task.add_done_callback(lambda _: self._reads.pop(key, None))
        result: T = await asyncio.shield(task)
        return result

    async def fetch(self, company_id: CompanyId, key: str) -> PushOperation:
        """The push operation as Codat has it now; concurrent reads of one key share a call."""
        return await self._once(
            ("push", company_id, key), lambda: self._client.get_push_operation(company_id, key)
        )

    async def get_data_status(self, company_id: CompanyId) -> dict[str, DataStatus | None]:
        """For sync checks (`SyncReads`): every watch of the company checking at once (a read
        event wakes them all) shares one call."""
        return await self._once(
            ("status", company_id), lambda: self._client.get_data_status(company_id)
        )

    async def get_pull_operation(self, company_id: CompanyId, dataset_id: str) -> PullOperation:
        return await self._once(
            ("pull", company_id, dataset_id),
            lambda: self._client.get_pull_operation(company_id, dataset_id),
        )

    async def fetch_for_event(self, event: GatewayEvent) -> PushUpdate:
        """The push operation an event names, read once for that event however many
        subscribers hear it (each would otherwise read it after the previous read ended), as
        one update for all of them (what they derive from it is made once, `PushUpdate.views`)."""
        if event.company_id is None or event.push_operation_key is None:
            raise ValueError("the event names no push operation")
        company_id, key = CompanyId(event.company_id), event.push_operation_key
        task = self._event_reads.get(event.id)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(self._update(company_id, key))
            self._event_reads[event.id] = task
            while len(self._event_reads) > EVENT_READS_KEPT:
                self._event_reads.popitem(last=False)
        return await asyncio.shield(task)

    async def _update(self, company_id: CompanyId, key: str) -> PushUpdate:
        return PushUpdate(await self.fetch(company_id, key))

    def _watch(self, company_id: CompanyId, key: str) -> _Watch:
        watch = self._watches.get((company_id, key))
        if watch is None:
            watch = _Watch(company_id, key)
            self._watches[(company_id, key)] = watch
            watch.task = asyncio.create_task(self._run(watch), name=f"push-watch:{key}")
        return watch

    def subscribe(self, company_id: CompanyId, key: str) -> PushStream:
        """The current status at once (when known), then every change, ending after a terminal."""
        if self._stopping:
            raise RuntimeError("the push tracker is stopping")
        watch = self._watch(company_id, key)
        stream = PushStream(watch, self.queue_size)
        watch.streams.add(stream)
        if watch.last is not None:
            stream._offer(watch.last)
            if watch.last.final:
                stream._end()
        return stream

    def follow(self, company_id: CompanyId, key: str) -> None:
        """Watch a push this replica made (nobody may have subscribed yet): a lost webhook still
        evicts on success, and the data types it changed are refreshed from the software."""
        if not self._stopping:
            self._watch(company_id, key).refresh = True

    async def stop(self) -> None:
        """End every watch; subscribers' iteration ends cleanly."""
        self._stopping = True
        watches = list(self._watches.values())
        for watch in watches:
            if watch.task is not None:
                watch.task.cancel()
        for watch in watches:
            if watch.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await watch.task

    def _emit(self, watch: _Watch, operation: PushOperation, sync: SyncState | None = None) -> None:
        if sync is None and operation.status is PushOperationStatus.Success:
            sync = SyncState.PENDING_REFRESH  # until `_until_synced` says otherwise
        last = watch.last
        if last is not None and (
            last.operation.status,
            last.operation.completed_on_utc,
            last.sync_state,
        ) == (operation.status, operation.completed_on_utc, sync):
            return
        update = PushUpdate(operation, sync)
        watch.last = update
        for stream in list(watch.streams):
            if not stream._offer(update):
                watch.streams.discard(stream)
                stream.dropped = True
                stream._end(SubscriberTooSlowError(self.queue_size))
                self.dropped_subscribers += 1
                log.warning("push subscriber for %s fell behind: dropped", watch.key)

    async def _next_event(
        self, watch: _Watch, subscription: Subscription, wait: float
    ) -> GatewayEvent | None:
        """The next event about this push, or None when `wait` seconds pass without one."""
        async with asyncio.timeout(wait):
            async for event in subscription:
                if event.push_operation_key == watch.key and event.company_id == watch.company_id:
                    return event
            raise _SubscriptionEndedError
        return None  # pragma: no cover (asyncio.timeout raises)

    async def _run(self, watch: _Watch) -> None:
        subscription = self._bus.subscribe()
        error: BaseException | None = None
        try:
            current = await self.fetch(watch.company_id, watch.key)
            self._emit(watch, current)
            deadline = time.monotonic() + self._max_seconds
            interval = self._poll_after
            published = False
            while not is_terminal(current) and time.monotonic() < deadline:
                try:
                    event = await self._next_event(watch, subscription, interval)
                except TimeoutError:
                    event = None
                except _SubscriptionEndedError:
                    if self._stopping:
                        return
                    subscription = self._bus.subscribe()
                    event = None
                if event is None:
                    self.polls += 1
                    polled = await self.fetch(watch.company_id, watch.key)
                    interval = min(interval * 2, self._poll_max)
                    if is_terminal(polled) and not published:
                        # Through the bus, so the cache (here and on every replica) is evicted
                        # before any subscriber hears of it; our own copy comes back as an event.
                        watch.polled = polled
                        published = True
                        await self._bus.publish(polled_event(polled))
                        interval = min(interval, 2.0)
                        continue
                    current = polled
                elif watch.polled is not None and event.status == watch.polled.status.value:
                    current = watch.polled
                else:
                    current = await self.fetch(watch.company_id, watch.key)
                self._emit(watch, current)
            if current.status is PushOperationStatus.Success:
                subscription = await self._until_synced(watch, current, subscription, deadline)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = exc
            log.warning("watch of push %s ended: %r", watch.key, exc)
        finally:
            subscription.close()
            self._watches.pop((watch.company_id, watch.key), None)
            for stream in list(watch.streams):
                stream._end(error)
            watch.streams.clear()

    async def _until_synced(
        self,
        watch: _Watch,
        operation: PushOperation,
        subscription: Subscription,
        deadline: float,
    ) -> Subscription:
        """After Success: refresh what the push changed (when this replica made it), then wait
        until Codat's cache has it, checking on each read event for the company and by polling."""
        data_type = None if operation.data_type is None else operation.data_type.value
        scopes = written_scopes(data_type) or ()
        if watch.refresh and self._refresh is not None:
            self._refresh.request(watch.company_id, scopes)
        since = instant(operation.completed_on_utc) or datetime.now(UTC)
        self._emit(watch, operation, SyncState.PENDING_REFRESH)
        interval = self._poll_after
        heard = False
        while time.monotonic() < deadline:
            state = await sync_state(self, watch.company_id, scopes, since)
            if state is not SyncState.PENDING_REFRESH:
                if not heard:
                    # Found by polling: tell every replica, as a read webhook would have.
                    await self._bus.publish(synced_event(watch, operation, scopes, state))
                self._emit(watch, operation, state)
                return subscription
            try:
                async with asyncio.timeout(interval):
                    async for event in subscription:
                        if event.company_id == watch.company_id and event.kind in READ_EVENTS:
                            heard = True
                            break
                    else:
                        subscription = self._bus.subscribe()
            except TimeoutError:
                interval = min(interval * 2, self._poll_max)
        return subscription


def synced_event(
    watch: _Watch, operation: PushOperation, scopes: tuple[str, ...], state: SyncState
) -> GatewayEvent:
    return GatewayEvent(
        id=f"gateway-synced-{watch.key}-{uuid.uuid4()}",
        kind=EventKind.READ_COMPLETED,
        company_id=watch.company_id,
        data_types=(*scopes, DATA_STATUS),
        event_type=SYNCED_EVENT_TYPE,
        push_operation_key=watch.key,
        status=state.value,
    )


class _SubscriptionEndedError(Exception):
    """The bus ended this watch's subscription (stopped, or dropped it for falling behind)."""
