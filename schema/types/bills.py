# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Bills and bill credit notes, their payment allocations, and bill attachments."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.models import BillPaymentLineLinkType, DataType
from gateway.codat.types import CodatDateTime, CompanyId
from gateway.writes.pending import PendingPayment as PendingPaymentModel
from gateway.writes.pending import bill_sync_state
from schema.context import Info
from schema.enums import BillCreditNoteStatus, BillStatus, PushOperationStatus, SyncState
from schema.ids import format_node_id
from schema.memo import per_record
from schema.planner import from_ref
from schema.types.common import (
    Allocation,
    MaybeAwaitable,
    Metadata,
    PaymentAllocationPayment,
    SupplierRef,
    WithholdingTax,
    field_result,
    load_records,
    lookup,
    lookup_many,
    many,
    resolve_record_nodes,
    supplemental,
    then,
)
from schema.types.ledger import CODAT_ID
from schema.types.lines import BillCreditNoteLineItem, BillLineItem
from schema.types.suppliers import Supplier

if TYPE_CHECKING:
    # Payments refer back to bills, so BillPayment is lazy (imported when resolved).
    from schema.types.payments import BillPayment


@strawberry.type(description="A payment of a bill pushed to Codat and not yet pulled back.")
class PendingPayment:
    push_operation_key: str
    status: PushOperationStatus = strawberry.field(
        description="Pending: Codat is writing it; Success: the software has it."
    )
    amount: Decimal = strawberry.field(description="How much of the bill it pays.")
    requested_on_utc: CodatDateTime

    @classmethod
    def from_model(cls, model: PendingPaymentModel) -> Self:
        return cls(
            push_operation_key=model.push_operation_key,
            status=model.status,
            amount=model.amount,
            requested_on_utc=CodatDateTime(model.requested_on_utc),
        )


_LazyBillPayment = Annotated["BillPayment", strawberry.lazy("schema.types.payments")]
_LazyAttachment = Annotated["Attachment", strawberry.lazy("schema.types.bills")]


def _supplier(
    info: Info, company_id: CompanyId, ref: models.SupplierRef | None
) -> MaybeAwaitable[Supplier | None]:
    if ref is not None:
        answered = from_ref(info, Supplier, company_id, ref.id, supplier_name=ref.supplier_name)
        if answered is not None:
            return answered
    found = lookup(info, DataType.SUPPLIERS, company_id, ref.id if ref else None)
    return then(found, lambda record: Supplier.from_model(company_id, record) if record else None)


_SUPPLIER = (
    "The supplier (`supplierRef`): answered from the ref when it carries every field asked "
    "(id, codatId, supplierName), else read by id."
)


@strawberry.type(description="A purchase order a bill was raised against.")
class PurchaseOrderRef:
    id: str | None
    purchase_order_number: str | None

    @classmethod
    def from_model(cls, model: models.PurchaseOrderRef) -> PurchaseOrderRef:
        return cls(id=model.id, purchase_order_number=model.purchase_order_number)


@strawberry.type(description="A payment (or credit note) applied here, and how much of it.")
class PaymentAllocation:
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.PaymentAllocation]
    payment: PaymentAllocationPayment
    allocation: Allocation

    @classmethod
    def from_model(cls, company_id: CompanyId, model: models.PaymentAllocation) -> Self:
        return cls(
            company_id=company_id,
            model=model,
            payment=PaymentAllocationPayment.from_model(model.payment),
            allocation=Allocation.from_model(model.allocation),
        )

    @strawberry.field(description="The bill payment `payment.id` names, when it is one.")
    def bill_payment(self, info: Info) -> _LazyBillPayment | None:
        from schema.types.payments import BillPayment

        company_id = self.company_id
        found = lookup(info, DataType.BILL_PAYMENTS, company_id, self.model.payment.id)
        return field_result(
            then(found, lambda r: BillPayment.from_model(company_id, r) if r else None)
        )

    @strawberry.field(description="The credit note `payment.id` names, when it is one.")
    def bill_credit_note(self, info: Info) -> BillCreditNote | None:
        company_id = self.company_id
        found = lookup(info, DataType.BILL_CREDIT_NOTES, company_id, self.model.payment.id)
        return field_result(
            then(found, lambda r: BillCreditNote.from_model(company_id, r) if r else None)
        )


@strawberry.type(description="A bill (an accounts-payable invoice) from a supplier.")
class Bill(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.Bill]
    codat_id: str = strawberry.field(description=CODAT_ID)
    reference: str | None
    supplier_ref: SupplierRef | None
    purchase_order_refs: list[PurchaseOrderRef] | None
    issue_date: CodatDateTime
    due_date: CodatDateTime | None
    currency: str | None
    currency_rate: Decimal | None
    line_items: list[BillLineItem] | None
    withholding_tax: list[WithholdingTax] | None
    status: BillStatus
    sub_total: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    amount_due: Decimal | None
    note: str | None
    payment_allocations: list[PaymentAllocation] | None
    metadata: Metadata | None
    supplemental_data: JSON | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.Bill) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            reference=model.reference,
            supplier_ref=None
            if model.supplier_ref is None
            else SupplierRef.from_model(model.supplier_ref),
            purchase_order_refs=many(model.purchase_order_refs, PurchaseOrderRef.from_model),
            issue_date=model.issue_date,
            due_date=model.due_date,
            currency=model.currency,
            currency_rate=model.currency_rate,
            line_items=many(model.line_items, lambda m: BillLineItem.from_model(company_id, m)),
            withholding_tax=many(model.withholding_tax, WithholdingTax.from_model),
            status=model.status,
            sub_total=model.sub_total,
            tax_amount=model.tax_amount,
            total_amount=model.total_amount,
            amount_due=model.amount_due,
            note=model.note,
            payment_allocations=many(
                model.payment_allocations, lambda m: PaymentAllocation.from_model(company_id, m)
            ),
            metadata=Metadata.from_model(model.metadata),
            supplemental_data=supplemental(model.supplemental_data),
            modified_date=model.modified_date,
            source_modified_date=model.source_modified_date,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await resolve_record_nodes(
            info, DataType.BILLS, node_ids, cls.from_model, required=required
        )

    def _allocated_ids(self) -> list[str | None]:
        return [allocation.payment.id for allocation in self.model.payment_allocations or ()]

    @strawberry.field(description=_SUPPLIER)
    def supplier(self, info: Info) -> Supplier | None:
        return field_result(_supplier(info, self.company_id, self.model.supplier_ref))

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
class CreatedFromRef:
    id: str | None
    data_type: str | None

    @classmethod
    def from_model(cls, model: models.CreatedFromRef) -> CreatedFromRef:
        return cls(id=model.id, data_type=model.data_type)


@strawberry.type(description="A supplier's credit note, which can be allocated against bills.")
class BillCreditNote(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.BillCreditNote]
    codat_id: str = strawberry.field(description=CODAT_ID)
    bill_credit_note_number: str | None
    supplier_ref: SupplierRef | None
    withholding_tax: list[WithholdingTax] | None
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
    line_items: list[BillCreditNoteLineItem] | None
    payment_allocations: list[PaymentAllocation] | None
    created_from_refs: list[CreatedFromRef] | None
    note: str | None
    metadata: Metadata | None
    supplemental_data: JSON | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.BillCreditNote) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            bill_credit_note_number=model.bill_credit_note_number,
            supplier_ref=None
            if model.supplier_ref is None
            else SupplierRef.from_model(model.supplier_ref),
            withholding_tax=many(model.withholding_tax, WithholdingTax.from_model),
            total_amount=model.total_amount,
            total_discount=model.total_discount,
            sub_total=model.sub_total,
            total_tax_amount=model.total_tax_amount,
            discount_percentage=model.discount_percentage,
            remaining_credit=model.remaining_credit,
            status=model.status,
            issue_date=model.issue_date,
            allocated_on_date=model.allocated_on_date,
            currency=model.currency,
            currency_rate=model.currency_rate,
            line_items=many(
                model.line_items, lambda m: BillCreditNoteLineItem.from_model(company_id, m)
            ),
            payment_allocations=many(
                model.payment_allocations, lambda m: PaymentAllocation.from_model(company_id, m)
            ),
            created_from_refs=many(model.created_from_refs, CreatedFromRef.from_model),
            note=model.note,
            metadata=Metadata.from_model(model.metadata),
            supplemental_data=supplemental(model.supplemental_data),
            modified_date=model.modified_date,
            source_modified_date=model.source_modified_date,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await resolve_record_nodes(
            info, DataType.BILL_CREDIT_NOTES, node_ids, cls.from_model, required=required
        )

    @strawberry.field(description=_SUPPLIER)
    def supplier(self, info: Info) -> Supplier | None:
        return field_result(_supplier(info, self.company_id, self.model.supplier_ref))


@strawberry.type(description="A file attached to a bill in the company's software.")
class Attachment:
    model: strawberry.Private[models.Attachment]
    id: str
    name: str | None
    content_type: str | None
    date_created: CodatDateTime | None
    file_size: int | None
    include_when_sent: bool
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    def from_model(cls, model: models.Attachment) -> Self:
        return cls(
            model=model,
            id=model.id,
            name=model.name,
            content_type=model.content_type,
            date_created=model.date_created,
            file_size=model.file_size,
            include_when_sent=model.include_when_sent,
            modified_date=model.modified_date,
            source_modified_date=model.source_modified_date,
        )
