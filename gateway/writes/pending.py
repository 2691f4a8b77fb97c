"""Payments in flight: pushed to Codat, not yet in Codat's cache.

Codat does not put pushed records in its cache (`gateway/writes/refresh.py`): between a payment's
push
and the next pull of bills, every read shows the bill as it was. So the replica that pushes a
bill payment records which bills it pays and how much (`record`, in the shared store, so every
replica sees it), and a bill's pending payments are the company's bill-payment pushes that
Codat has not pulled back yet: Pending ones, and Successful ones completed after the latest
successful pull of bills was requested (`for_company`, from Codat's own push history and data
status, so no replica keeps state of its own and a refresh ends "pending" everywhere at once).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from gateway.codat.models import DataType, PushOperation, PushOperationStatus
from gateway.codat.types import CompanyId
from gateway.events.store import KeyValueStore, StoreUnavailableError
from gateway.reads.upstream import Upstream
from gateway.writes.refresh import SyncState, instant, latest_pull_requested

log = logging.getLogger("gateway.writes.pending")

RECORD_TTL_SECONDS = 7 * 86_400.0
"""How long a push's bills are remembered (a refresh normally lands within minutes)."""
RECENT_PUSHES = 100
"""How many of the company's latest bill-payment pushes are looked at."""


@dataclass(frozen=True, slots=True)
class PendingPayment:
    push_operation_key: str
    status: PushOperationStatus
    amount: Decimal
    requested_on_utc: str

    @property
    def accepted(self) -> bool:
        return self.status is PushOperationStatus.Success


class PendingPayments:
    def __init__(self, store: KeyValueStore, upstream: Upstream) -> None:
        self._store = store
        self._upstream = upstream

    @staticmethod
    def _key(company_id: str, push_key: str) -> str:
        return f"pending-payment:{company_id}:{push_key}"

    async def record(self, company_id: str, push_key: str, bills: dict[str, Decimal]) -> None:
        """Remember which bills a pushed payment pays (best effort: display only)."""
        value = json.dumps({bill: str(amount) for bill, amount in bills.items()})
        try:
            await self._store.add(self._key(company_id, push_key), value, RECORD_TTL_SECONDS)
        except (StoreUnavailableError, OSError) as error:
            log.warning("pending payment %s not recorded: %s", push_key, error)

    async def for_company(self, company_id: CompanyId) -> dict[str, list[PendingPayment]]:
        """Each bill's payments in flight (bill id -> its pending payments, oldest first)."""
        page = await self._upstream.push_operations_page(
            company_id,
            page=1,
            page_size=RECENT_PUSHES,
            query=f"dataType={DataType.BILL_PAYMENTS.value}",
            order_by="-requestedOnUtc",
        )
        pulled = await self._bills_pulled_at(company_id)
        in_flight = [op for op in reversed(page.results) if _in_flight(op, pulled)]
        recorded = await asyncio.gather(
            *(self._store.get(self._key(company_id, op.push_operation_key)) for op in in_flight)
        )
        found: dict[str, list[PendingPayment]] = {}
        for operation, raw in zip(in_flight, recorded, strict=True):
            if raw is None:
                continue  # not pushed through a gateway sharing this store
            for bill_id, amount in json.loads(raw).items():
                found.setdefault(bill_id, []).append(
                    PendingPayment(
                        operation.push_operation_key,
                        operation.status,
                        Decimal(amount),
                        operation.requested_on_utc,
                    )
                )
        return found

    async def _bills_pulled_at(self, company_id: CompanyId) -> datetime | None:
        """When the latest successful pull of bills was requested (None: never)."""
        statuses = await self._upstream.data_status(company_id)
        status = statuses.get(DataType.BILLS.value)
        if status is None:
            return None
        return await latest_pull_requested(self._upstream.client, company_id, status)


def _in_flight(operation: PushOperation, pulled: datetime | None) -> bool:
    if operation.status is PushOperationStatus.Pending:
        return True
    if operation.status is not PushOperationStatus.Success:
        return False
    completed = instant(operation.completed_on_utc)
    return completed is not None and (pulled is None or pulled < completed)


def bill_sync_state(pending: list[PendingPayment]) -> SyncState:
    return SyncState.PENDING_REFRESH if pending else SyncState.UP_TO_DATE
