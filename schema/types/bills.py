# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Bills and bill credit notes, their payment allocations, and bill attachments."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.models import BillPaymentLineLinkType, DataType
from gateway.codat.types import CodatDateTime
from gateway.writes.pending import bill_sync_state
from schema.context import Info
from schema.enums import BillCreditNoteStatus, BillStatus, PushOperationStatus, SyncState
from schema.types.base import FromModel, OfCompany, Record, converted, nested
from schema.types.common import (
    Allocation,
    Metadata,
    PaymentAllocationPayment,
    SupplierRef,
    WithholdingTax,
    field_result,
    load_records,
    lookup_many,
    read_node,
    referenced,
    supplemental,
    then,
)
from schema.types.lines import BillCreditNoteLineItem, BillLineItem
from schema.types.suppliers import Supplier

if TYPE_CHECKING:
    # Payments refer back to bills, so BillPayment is lazy (imported when resolved).
    from schema.types.payments import BillPayment


@strawberry.type(description="A payment of a bill pushed to Codat and not yet pulled back.")
class PendingPayment(FromModel):
    push_operation_key: str
    status: PushOperationStatus = strawberry.field(
        description="Pending: Codat is writing it; Success: the software has it."
    )
    amount: Decimal = strawberry.field(description="How much of the bill it pays.")
    requested_on_utc: CodatDateTime


_LazyBillPayment = Annotated["BillPayment", strawberry.lazy("schema.types.payments")]
_LazyAttachment = Annotated["Attachment", strawberry.lazy("schema.types.bills")]


_SUPPLIER = (
    "The supplier (`supplierRef`): answered from the ref when it carries every field asked "
    "(id, codatId, supplierName), else read by id."
)


@strawberry.type(description="A purchase order a bill was raised against.")
class PurchaseOrderRef(FromModel):
    id: str | None
    purchase_order_number: str | None


@strawberry.type(description="A payment (or credit note) applied here, and how much of it.")
class PaymentAllocation(OfCompany):
    model: strawberry.Private[models.PaymentAllocation]
    payment: PaymentAllocationPayment = nested(PaymentAllocationPayment)
    allocation: Allocation = nested(Allocation)

    @strawberry.field(description="The bill payment `payment.id` names, when it is one.")
    def bill_payment(self, info: Info) -> _LazyBillPayment | None:
        from schema.types.payments import BillPayment

        return field_result(read_node(info, BillPayment, self.company_id, self.model.payment.id))

    @strawberry.field(description="The credit note `payment.id` names, when it is one.")
    def bill_credit_note(self, info: Info) -> BillCreditNote | None:
        payment_id = self.model.payment.id
        return field_result(read_node(info, BillCreditNote, self.company_id, payment_id))


@strawberry.type(description="A bill (an accounts-payable invoice) from a supplier.")
class Bill(Record, data_type=DataType.BILLS):
    model: strawberry.Private[models.Bill]
    reference: str | None
    supplier_ref: SupplierRef | None = nested(SupplierRef)
    purchase_order_refs: list[PurchaseOrderRef] | None = nested(PurchaseOrderRef)
    issue_date: CodatDateTime
    due_date: CodatDateTime | None
    currency: str | None
    currency_rate: Decimal | None
    line_items: list[BillLineItem] | None = nested(BillLineItem)
    withholding_tax: list[WithholdingTax] | None = nested(WithholdingTax)
    status: BillStatus
    sub_total: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    amount_due: Decimal | None
    note: str | None
    payment_allocations: list[PaymentAllocation] | None = nested(PaymentAllocation)
    metadata: Metadata | None = nested(Metadata)
    supplemental_data: JSON | None = converted(supplemental)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    def _allocated_ids(self) -> list[str | None]:
        return [allocation.payment.id for allocation in self.model.payment_allocations or ()]

    @strawberry.field(description=_SUPPLIER)
    def supplier(self, info: Info) -> Supplier | None:
        ref = self.model.supplier_ref
        return field_result(referenced(info, Supplier, self.company_id, ref, "supplier_name"))

    @strawberry.field(
        description="The bill payments allocated to this bill (from `paymentAllocations`)."
    )
    def bill_payments(self, info: Info) -> list[_LazyBillPayment]:
        from schema.types.payments import BillPayment

        company_id = self.company_id
        found = lookup_many(info, DataType.BILL_PAYMENTS, company_id, self._allocated_ids())
        return field_result(
            then(found, lambda records: [BillPayment.from_model(company_id, r) for r in records])
        )

    @strawberry.field(
        description=(
            "Payments pushed through the gateway that Codat has not pulled back yet: Codat "
            "does not put pushed records in its cache, so until the refresh the gateway queues "
            "lands, `status` and `amountDue` are as before the payment. Empty once it lands."
        )
    )
    async def pending_payments(self, info: Info) -> list[PendingPayment]:
        pending = await info.context.loaders.pending_payments.load(self.company_id)
        return [PendingPayment.from_model(p) for p in pending.get(self.model.id, [])]

    @strawberry.field(
        description=(
            "UP_TO_DATE when what Codat holds includes every payment pushed through the "
            "gateway; PENDING_REFRESH while one is in flight (see `pendingPayments`)."
        )
    )
    async def sync_state(self, info: Info) -> SyncState:
        pending = await info.context.loaders.pending_payments.load(self.company_id)
        return bill_sync_state(pending.get(self.model.id, []))

    @strawberry.field(
        description=(
            "The amount of `pendingPayments` Codat has accepted (push Success) but not yet "
            "pulled back: what `amountDue` will drop by once the refresh lands."
        )
    )
    async def pending_amount(self, info: Info) -> Decimal:
        pending = await info.context.loaders.pending_payments.load(self.company_id)
        return sum((p.amount for p in pending.get(self.model.id, []) if p.accepted), Decimal(0))

    @strawberry.field(
        description=(
            "Files attached to the bill in the accounting software (read through the "
            "company's linked connection)."
        )
    )
    async def attachments(self, info: Info) -> list[_LazyAttachment]:
        found = await info.context.loaders.bill_attachments.load((self.company_id, self.model.id))
        return [Attachment.from_model(model) for model in found]

    @strawberry.field(
        description=(
            "Credit notes applied to this bill: allocations that are credit notes, and "
            "`CreditNote` links on the lines of its payments that settle this bill."
        )
    )
    async def bill_credit_notes(self, info: Info) -> list[BillCreditNote]:
        ids = self._allocated_ids()
        as_credit_notes, payments = await asyncio.gather(
            load_records(info, DataType.BILL_CREDIT_NOTES, self.company_id, ids),
            load_records(info, DataType.BILL_PAYMENTS, self.company_id, ids),
        )
        linked = [
            link.id
            for payment in payments
            for line in payment.lines or ()
            if any(
                link.type is BillPaymentLineLinkType.Bill and link.id == self.model.id
                for link in line.links or ()
            )
            for link in line.links or ()
            if link.type is BillPaymentLineLinkType.CreditNote
        ]
        from_links = await load_records(info, DataType.BILL_CREDIT_NOTES, self.company_id, linked)
        unique = {record.id: record for record in [*as_credit_notes, *from_links]}
        return [BillCreditNote.from_model(self.company_id, record) for record in unique.values()]


@strawberry.type(description="The record a credit note was created from.")
class CreatedFromRef(FromModel):
    id: str | None
    data_type: str | None


@strawberry.type(description="A supplier's credit note, which can be allocated against bills.")
class BillCreditNote(Record, data_type=DataType.BILL_CREDIT_NOTES):
    model: strawberry.Private[models.BillCreditNote]
    bill_credit_note_number: str | None
    supplier_ref: SupplierRef | None = nested(SupplierRef)
    withholding_tax: list[WithholdingTax] | None = nested(WithholdingTax)
    total_amount: Decimal
    total_discount: Decimal
    sub_total: Decimal
    total_tax_amount: Decimal
    discount_percentage: Decimal
    remaining_credit: Decimal | None
    status: BillCreditNoteStatus
    issue_date: CodatDateTime | None
    allocated_on_date: CodatDateTime | None
    currency: str | None
    currency_rate: Decimal | None
    line_items: list[BillCreditNoteLineItem] | None = nested(BillCreditNoteLineItem)
    payment_allocations: list[PaymentAllocation] | None = nested(PaymentAllocation)
    created_from_refs: list[CreatedFromRef] | None = nested(CreatedFromRef)
    note: str | None
    metadata: Metadata | None = nested(Metadata)
    supplemental_data: JSON | None = converted(supplemental)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @strawberry.field(description=_SUPPLIER)
    def supplier(self, info: Info) -> Supplier | None:
        ref = self.model.supplier_ref
        return field_result(referenced(info, Supplier, self.company_id, ref, "supplier_name"))


@strawberry.type(description="A file attached to a bill in the company's software.")
class Attachment(FromModel):
    model: strawberry.Private[models.Attachment]
    id: str
    name: str | None
    content_type: str | None
    date_created: CodatDateTime | None
    file_size: int | None
    include_when_sent: bool
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None
