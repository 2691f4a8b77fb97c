"""Pushes: Pending then Success, and the records they change, against the sandbox."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal

from gateway.codat import CodatClient, CompanyId, datatypes, where
from gateway.codat.models import (
    AccountRef,
    BillCreditNoteInput,
    BillCreditNoteStatus,
    BillInput,
    BillLineItem,
    BillPaymentInput,
    BillPaymentLine,
    BillPaymentLineLink,
    BillPaymentLineLinkType,
    BillPushOperation,
    BillStatus,
    PushOperation,
    PushOperationStatus,
    SupplierInput,
    SupplierRef,
    SupplierStatus,
)
from tests.codat.conftest import ContractTransport
from tests.upstream import SeededCompany


async def settled(client: CodatClient, company_id: CompanyId, key: str) -> PushOperation:
    """Poll a push operation until it leaves Pending (the sandbox settles in ~0.2 s)."""
    deadline = time.monotonic() + 5
    while True:
        operation = await client.get_push_operation(company_id, key)
        if operation.status is not PushOperationStatus.Pending or time.monotonic() > deadline:
            return operation
        await asyncio.sleep(0.05)


async def refreshed(client: CodatClient, company_id: CompanyId, *data_types: str) -> None:
    """Pull data types into Codat's cache and wait for each pull: a push changes the software,
    and reads show it only after this (codat-notes.md §7)."""
    pulls = [await client.refresh_data_type(company_id, d) for d in data_types]
    deadline = time.monotonic() + 5
    for pull in pulls:
        while (await client.get_pull_operation(company_id, pull.id)).status.value != "Complete":
            assert time.monotonic() < deadline, f"pull {pull.id} did not complete"
            await asyncio.sleep(0.05)


async def a_new_bill(client: CodatClient, company: SeededCompany) -> BillInput:
    supplier = (await client.list_records(datatypes.SUPPLIERS, company.id, page_size=1)).results[0]
    account = (
        await client.list_records(datatypes.ACCOUNTS, company.id, query=where("type").eq("Expense"))
    ).results[0]
    return BillInput(
        supplier_ref=SupplierRef(id=supplier.id),
        issue_date="2026-11-01T00:00:00",
        due_date="2026-12-01T00:00:00",
        currency="GBP",
        status=BillStatus.Open,
        sub_total=Decimal("100.10"),
        tax_amount=Decimal("20.02"),
        total_amount=Decimal("120.12"),
        amount_due=Decimal("120.12"),
        reference=f"TEST-{uuid.uuid4().hex[:8]}",
        line_items=(
            BillLineItem(
                description="Widgets",
                unit_amount=Decimal("100.10"),
                quantity=Decimal(1),
                sub_total=Decimal("100.10"),
                tax_amount=Decimal("20.02"),
                total_amount=Decimal("120.12"),
                account_ref=AccountRef(id=account.id),
            ),
        ),
    )


async def test_a_created_bill_goes_pending_then_success(
    client: CodatClient, synced: SeededCompany, contract: ContractTransport
) -> None:
    bill = await a_new_bill(client, synced)
    operation = await client.create_bill(
        synced.id, synced.connection_id, bill, timeout_in_minutes=5
    )
    assert isinstance(operation, BillPushOperation)
    assert operation.status is PushOperationStatus.Pending
    assert operation.timeout_in_minutes == 5
    assert contract.requests[-1].url.params["timeoutInMinutes"] == "5"
    assert b'"totalAmount":120.12' in contract.requests[-1].content

    done = await settled(client, synced.id, operation.push_operation_key)
    assert done.status is PushOperationStatus.Success
    assert done.completed_on_utc is not None
    assert done.changes
    history = await client.list_push_operations(synced.id)
    assert operation.push_operation_key in {op.push_operation_key for op in history.results}


async def test_a_bill_payment_push_pays_down_the_bill(
    client: CodatClient, synced: SeededCompany
) -> None:
    bills = await client.list_records(
        datatypes.BILLS, synced.id, query=where("status").eq("Open") & where("amountDue").gt(10)
    )
    bill = bills.results[0]
    assert bill.amount_due is not None
    bank = (
        await client.list_records(
            datatypes.ACCOUNTS, synced.id, query=where("isBankAccount").eq(True)
        )
    ).results[0]
    amount = Decimal("10.00")
    payment = BillPaymentInput(
        date="2026-11-20T00:00:00",
        supplier_ref=bill.supplier_ref,
        account_ref=AccountRef(id=bank.id),
        total_amount=amount,
        currency=bill.currency,
        lines=(
            BillPaymentLine(
                amount=amount,
                links=(
                    BillPaymentLineLink(
                        type=BillPaymentLineLinkType.Bill, id=bill.id, amount=-amount
                    ),
                ),
            ),
        ),
    )

    operation = await client.create_bill_payment(
        synced.id, synced.connection_id, payment, idempotency_key=str(uuid.uuid4())
    )
    assert operation.status is PushOperationStatus.Pending
    done = await settled(client, synced.id, operation.push_operation_key)
    assert done.status is PushOperationStatus.Success
    unchanged = await client.get_bill(synced.id, bill.id)
    assert unchanged.amount_due == bill.amount_due  # not in Codat's cache until a pull

    await refreshed(client, synced.id, "bills", "billPayments")
    paid = await client.get_bill(synced.id, bill.id)
    assert paid.amount_due == bill.amount_due - amount
    assert paid.status is BillStatus.PartiallyPaid
    assert paid.payment_allocations
    assert any(
        allocation.allocation.total_amount == amount for allocation in paid.payment_allocations
    )


async def test_updates_and_other_creates_are_pushed(
    client: CodatClient, synced: SeededCompany, contract: ContractTransport
) -> None:
    bill_id = (await client.list_records(datatypes.BILLS, synced.id, page_size=1)).results[0].id
    updated = await client.update_bill(
        synced.id,
        synced.connection_id,
        bill_id,
        await a_new_bill(client, synced),
        force_update=True,
    )
    assert contract.requests[-1].method == "PUT"
    assert contract.requests[-1].url.params["forceUpdate"] == "true"
    assert (await settled(client, synced.id, updated.push_operation_key)).status in {
        PushOperationStatus.Success,
        PushOperationStatus.Failed,
    }

    supplier = SupplierInput(status=SupplierStatus.Active, supplier_name="Test Supplies Ltd")
    created = await client.create_supplier(synced.id, synced.connection_id, supplier)
    assert (
        await settled(client, synced.id, created.push_operation_key)
    ).status is PushOperationStatus.Success
    supplier_id = (
        (await client.list_records(datatypes.SUPPLIERS, synced.id, page_size=1)).results[0].id
    )
    renamed = await client.update_supplier(
        synced.id, synced.connection_id, supplier_id, supplier.model_copy(update={"phone": "01"})
    )
    assert renamed.status is PushOperationStatus.Pending

    note = BillCreditNoteInput(
        status=BillCreditNoteStatus.Submitted,
        supplier_ref=SupplierRef(id=supplier_id),
        issue_date="2026-11-02T00:00:00",
        currency="GBP",
        total_amount=Decimal("12.00"),
        total_discount=Decimal(0),
        sub_total=Decimal("10.00"),
        total_tax_amount=Decimal("2.00"),
        discount_percentage=Decimal(0),
        remaining_credit=Decimal("12.00"),
    )
    credit = await client.create_bill_credit_note(synced.id, synced.connection_id, note)
    assert credit.status is PushOperationStatus.Pending
    note_id = (
        (await client.list_records(datatypes.BILL_CREDIT_NOTES, synced.id, page_size=1))
        .results[0]
        .id
    )
    changed = await client.update_bill_credit_note(synced.id, synced.connection_id, note_id, note)
    assert changed.status is PushOperationStatus.Pending
