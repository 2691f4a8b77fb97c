"""A subscriber that stops reading is dropped with a clear error; the others keep receiving."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Any, cast

from gateway.codat import CodatClient
from gateway.events.bus import EventKind, GatewayEvent, LocalBus
from gateway.reads.loaders import Loaders
from gateway.writes.pushwatch import PushTracker
from schema import build_schema
from schema.context import Context

QUEUE = 3
COMPANY = "8a3b7b54-5d1c-4e46-9e1d-0c6c1d3b7f10"

DATA_CHANGED = """
subscription Changed($company: ID!) {
  companyDataChanged(companyId: $company) { dataTypes codatEventType }
}
"""


def event(number: int) -> GatewayEvent:
    return GatewayEvent(
        id=f"event-{number}",
        kind=EventKind.WRITE_SUCCESSFUL,
        company_id=COMPANY,
        data_types=("bills",),
        event_type=f"bills.write.successful#{number}",
    )


class _KnownCompanies:
    """The one loader companyDataChanged reads: it checks that the company exists."""

    async def load(self, company_id: str) -> object:
        return object()


class _Loaders:
    companies = _KnownCompanies()


def waiting_tracker(client: object, bus: LocalBus, queue_size: int) -> PushTracker:
    """A tracker that does not poll Codat within a test's time (its first poll after 10 s)."""
    return PushTracker(
        cast(CodatClient, client),
        bus,
        poll_after=10,
        poll_max_interval=60,
        max_seconds=60,
        queue_size=queue_size,
    )


def context(bus: LocalBus) -> Context:
    # Only the bus, the tracker's queue size and the company check are used by
    # companyDataChanged.
    tracker = waiting_tracker(None, bus, QUEUE)
    return Context(loaders=cast(Loaders, _Loaders()), pushes=tracker, bus=bus)


async def until_subscribed(bus: LocalBus, count: int) -> None:
    for _ in range(100):
        if bus.health().subscribers >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscriptions did not start")


async def test_a_subscriber_that_never_reads_is_dropped_while_another_keeps_up() -> None:
    # given: two subscribers of one company; both received the first event
    bus = LocalBus(queue_size=QUEUE)
    schema = build_schema()
    variables = {"company": COMPANY}
    slow: Any = await schema.subscribe(
        DATA_CHANGED, variable_values=variables, context_value=context(bus)
    )
    fast: Any = await schema.subscribe(
        DATA_CHANGED, variable_values=variables, context_value=context(bus)
    )
    async with aclosing(slow), aclosing(fast):
        first = [asyncio.create_task(anext(slow)), asyncio.create_task(anext(fast))]
        await until_subscribed(bus, 2)
        await bus.publish(event(0))
        assert all(not r.errors for r in await asyncio.gather(*first))

        # when: the slow one stops reading for more events than its queue holds
        received = []
        for number in range(1, QUEUE + 3):
            await bus.publish(event(number))
            received.append(await anext(fast))

        # then: the fast one got every event; the slow one ends with SUBSCRIBER_TOO_SLOW
        assert [r.data["companyDataChanged"]["codatEventType"] for r in received] == [
            f"bills.write.successful#{n}" for n in range(1, QUEUE + 3)
        ]
        dropped = await anext(slow)
        assert dropped.errors, dropped
        error = dropped.errors[0]
        assert "dropped" in error.message
        assert (error.extensions or {})["code"] == "SUBSCRIBER_TOO_SLOW"
        assert bus.dropped_subscribers == 1
