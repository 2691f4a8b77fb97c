"""Many subscribers of one company's push operations: one upstream read per event, and one
GraphQL object (and one result of it) per update however many subscribers hear it."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Any, cast

from gateway.codat.models import PushOperation
from gateway.events.bus import EventKind, GatewayEvent, LocalBus
from gateway.writes.pushwatch import PushUpdate
from schema import build_schema
from schema.context import Context
from schema.subscriptions import _view
from tests.schema.test_slow_subscriber import COMPANY, _Loaders, until_subscribed, waiting_tracker

SUBSCRIBERS = 50
PUSHES = """
subscription Pushes($company: ID!) {
  companyPushOperations(companyId: $company) { pushOperationKey status }
}
"""


def operation(key: str = "push-1") -> PushOperation:
    return PushOperation.model_validate(
        {
            "companyId": COMPANY,
            "pushOperationKey": key,
            "dataConnectionKey": "2d9a3b6c-1c7e-4f1a-9a4b-3f0e6b7c8d90",
            "requestedOnUtc": "2026-11-26T10:00:00Z",
            "status": "Success",
            "statusCode": 200,
        }
    )


class _CountingClient:
    def __init__(self) -> None:
        self.reads = 0

    async def get_push_operation(self, company_id: str, key: str) -> PushOperation:
        self.reads += 1
        await asyncio.sleep(0.01)
        return operation(key)


async def test_every_subscriber_hears_an_event_after_one_upstream_read() -> None:
    # given
    bus = LocalBus(queue_size=10)
    client = _CountingClient()
    tracker = waiting_tracker(client, bus, 10)
    schema = build_schema()
    context = Context(loaders=cast(Any, _Loaders()), pushes=tracker, bus=bus)

    async def first_message() -> Any:
        stream: Any = await schema.subscribe(
            PUSHES, variable_values={"company": COMPANY}, context_value=context
        )
        async with aclosing(stream):
            return await anext(stream)

    firsts = [asyncio.ensure_future(first_message()) for _ in range(SUBSCRIBERS)]
    await until_subscribed(bus, SUBSCRIBERS)
    # when
    await bus.publish(
        GatewayEvent(
            id="event-1",
            kind=EventKind.WRITE_SUCCESSFUL,
            company_id=COMPANY,
            data_types=("billPayments",),
            event_type="billPayments.write.successful",
            push_operation_key="push-1",
            status="Success",
        )
    )
    results = await asyncio.wait_for(asyncio.gather(*firsts), timeout=10)
    # then
    assert [r.errors for r in results] == [None] * SUBSCRIBERS
    assert {r.data["companyPushOperations"]["pushOperationKey"] for r in results} == {"push-1"}
    assert client.reads == 1
    assert len({id(r.data) for r in results}) == 1  # one execution, shared by every subscriber


def test_an_update_becomes_one_graphql_object_for_all_its_subscribers() -> None:
    update = PushUpdate(operation())
    assert _view(update) is _view(update)
    assert _view(PushUpdate(operation())) is not _view(update)
    assert PushUpdate(operation()) == update  # the views take no part in equality
