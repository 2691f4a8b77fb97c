"""Codat's daily quota, known by every replica: the quota gate fed from the event bus.

A replica learns that the quota is gone from Codat's answers (`X-Rate-Limit-Remaining: 0`, a
429 saying so) or from the `client.rateLimit.reached` webhook (delivered to one replica); it
learns the quota is back from the reset time passing or `client.rateLimit.reset`. Webhooks reach
every replica through the bus like any event; what one replica learns from its own answers is
published on the bus as the same events, so every replica's `QuotaGate` shuts and opens together.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from gateway.codat.limits import QuotaGate
from gateway.events.bus import EventBus, EventKind, GatewayEvent, Subscription
from gateway.ops.tasks import cancel_and_wait

log = logging.getLogger("gateway.events.quota")

SOURCE_PREFIX = "gateway:"
"""`event_type` prefix of the events a replica publishes from Codat's answers."""


class QuotaSync:
    """Applies quota events from the bus to the gate; publishes what the gate learns itself."""

    def __init__(self, bus: EventBus, gate: QuotaGate, *, queue_size: int) -> None:
        self._bus = bus
        self._gate = gate
        self._queue_size = queue_size
        self._task: asyncio.Task[None] | None = None
        self._publishing: set[asyncio.Task[None]] = set()
        self.applied = 0
        gate.listeners.append(self._on_gate)

    async def start(self) -> None:
        subscription = self._bus.subscribe(self._queue_size)
        self._task = asyncio.create_task(self._run(subscription), name="quota-sync")

    async def stop(self) -> None:
        for task in [self._task, *self._publishing]:
            await cancel_and_wait(task)
        self._task = None
        self._publishing.clear()

    def _on_gate(self, exhausted: bool, until: float | None, source: str) -> None:
        """The gate shut or opened on this replica's own evidence: tell the others."""
        event = GatewayEvent(
            id=f"quota-{uuid.uuid4()}",
            kind=EventKind.RATE_LIMIT_REACHED if exhausted else EventKind.RATE_LIMIT_RESET,
            company_id=None,
            data_types=(),
            event_type=SOURCE_PREFIX + source,
            quota_resets_at=None if until is None else datetime.fromtimestamp(until, UTC),
        )
        try:
            task = asyncio.get_running_loop().create_task(self._publish(event))
        except RuntimeError:  # no loop (a synchronous caller): nobody else to tell
            return
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def _publish(self, event: GatewayEvent) -> None:
        try:
            await self._bus.publish(event)
        except Exception:
            log.warning("could not publish the quota event %s", event.kind, exc_info=True)

    def apply(self, event: GatewayEvent) -> None:
        """One bus event (a webhook, or another replica's news) applied to the gate."""
        source = event.event_type
        if event.kind is EventKind.RATE_LIMIT_REACHED:
            resets = event.quota_resets_at
            self._gate.shut(None if resets is None else resets.timestamp(), source, announce=False)
        elif event.kind is EventKind.RATE_LIMIT_RESET:
            self._gate.open(source, announce=False)
        else:
            return
        self.applied += 1

    async def _run(self, subscription: Subscription) -> None:
        try:
            while True:
                async for event in subscription:
                    self.apply(event)
                if not subscription.dropped:
                    return
                subscription = self._bus.subscribe(self._queue_size)
        finally:
            subscription.close()
