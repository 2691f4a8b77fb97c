# strawberry.subscription(description=...) is typed as returning Any: its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Subscriptions over WebSocket (graphql-transport-ws and graphql-ws), fed by the event bus.

Each subscriber has a bounded queue; one that falls behind is dropped with a SUBSCRIBER_TOO_SLOW
error (so it cannot hold up the others), and every subscription ends when the server stops.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from gateway.codat.models import DataType
from gateway.codat.types import CompanyId
from gateway.events.bus import EventBus, EventKind
from gateway.tenancy import authorize_company
from gateway.writes.pushwatch import PushTracker, PushUpdate, SubscriberTooSlowError
from schema.context import Info
from schema.errors import NotFoundError
from schema.ids import company_id_from_argument
from schema.types.push import PushOperation

strawberry.enum(
    EventKind,
    name="EventType",
    description="What happened, whichever generation of Codat's webhooks (or the gateway's own "
    "push watch) said so; `codatEventType` keeps the name it came under.",
)


@strawberry.type(description="Some of a company's data changed in Codat (a webhook said so).")
class DataChange:
    company_id: str
    data_types: list[DataType] | None = strawberry.field(
        description="The data types made stale; null means all of the company's data."
    )
    event_type: EventKind
    codat_event_type: str = strawberry.field(
        description="The event's own name, e.g. bills.write.successful or read.completed."
    )
    push_operation_key: str | None
    status: str | None
    occurred_at: datetime | None


def _tracker(info: Info) -> PushTracker:
    if info.context.pushes is None:
        raise RuntimeError("this context has no push tracker")
    return info.context.pushes


def _bus(info: Info) -> EventBus:
    if info.context.bus is None:
        raise RuntimeError("this context has no event bus")
    return info.context.bus


async def _company(info: Info, value: strawberry.ID) -> CompanyId:
    """The company to watch, if the caller may use it and Codat has it: NOT_FOUND at once
    otherwise (the same answer for both), before the subscription waits for anything."""
    company_id = authorize_company(info.context.principal, company_id_from_argument(str(value)))
    if await info.context.loaders.companies.load(company_id) is None:
        raise NotFoundError(f"no company with id {company_id}")
    return company_id


def _view(update: PushUpdate) -> PushOperation:
    """The update's GraphQL object, built once for all of its subscribers."""
    view = update.views.get("graphql")
    if not isinstance(view, PushOperation):
        view = update.views["graphql"] = PushOperation.from_model(
            update.operation, update.sync_state
        )
    return view


def _data_types(scopes: tuple[str, ...]) -> list[DataType]:
    """The Codat data types among the cache scopes an event made stale (an attachment scope is
    not a data type: its bill's `bills` is there beside it)."""
    found = (DataType(scope) for scope in scopes)
    return list(dict.fromkeys(t for t in found if t is not DataType.UNKNOWN))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "A push operation's status now, then each change; completes after Failed or "
            "TimedOut (with the validation messages), or after Success once what it changed is "
            "readable from Codat (syncState UP_TO_DATE or REFRESH_FAILED). Polls Codat when no "
            "webhook comes."
        )
    )
    async def push_operation(
        self, info: Info, company_id: strawberry.ID, key: str
    ) -> AsyncGenerator[PushOperation, None]:
        stream = _tracker(info).subscribe(await _company(info, company_id), key)
        try:
            async for update in stream:
                yield _view(update)
        finally:
            stream.close()

    @strawberry.subscription(
        description="Every push operation of the company as its status changes (for dashboards)."
    )
    async def company_push_operations(
        self, info: Info, company_id: strawberry.ID
    ) -> AsyncGenerator[PushOperation, None]:
        wanted = await _company(info, company_id)
        tracker = _tracker(info)
        subscription = _bus(info).subscribe(tracker.queue_size)
        try:
            async for event in subscription:
                if event.company_id != wanted or event.push_operation_key is None:
                    continue
                yield _view(await tracker.fetch_for_event(event))
            if subscription.dropped:
                raise SubscriberTooSlowError(tracker.queue_size)
        finally:
            subscription.close()

    @strawberry.subscription(
        description=(
            "The company's data changed: one event per webhook that made any of `dataTypes` "
            "stale (all data types when omitted)."
        )
    )
    async def company_data_changed(
        self, info: Info, company_id: strawberry.ID, data_types: list[DataType] | None = None
    ) -> AsyncGenerator[DataChange, None]:
        wanted = await _company(info, company_id)
        interest = None if data_types is None else frozenset(t.value for t in data_types)
        size = _tracker(info).queue_size
        subscription = _bus(info).subscribe(size)
        try:
            async for event in subscription:
                if event.company_id != wanted:
                    continue
                changed = event.data_types
                if interest is not None and changed is not None and not interest & set(changed):
                    continue
                yield DataChange(
                    company_id=wanted,
                    data_types=None if changed is None else _data_types(changed),
                    event_type=event.kind,
                    codat_event_type=event.event_type,
                    push_operation_key=event.push_operation_key,
                    status=event.status,
                    occurred_at=event.occurred_at,
                )
            if subscription.dropped:
                raise SubscriberTooSlowError(size)
        finally:
            subscription.close()
