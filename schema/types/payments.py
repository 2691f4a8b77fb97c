# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Bill payments: what was paid, from which account, and the bills and credit notes it settles."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.models import BillPaymentLineLinkType, DataType
from gateway.codat.types import CodatDateTime, CompanyId
from schema.context import Info
from schema.ids import format_node_id
from schema.memo import per_record
from schema.planner import from_ref
from schema.types.bills import Bill, BillCreditNote
from schema.types.common import (
    AccountRef,
    Metadata,
    NamedRef,
    SupplierRef,
    load_record,
    load_records,
    many,
    resolve_record_nodes,
    supplemental,
)
from schema.types.ledger import CODAT_ID, Account, PaymentMethod
from schema.types.suppliers import Supplier

# Which data type a link's id names, by the link's type (Codat's BillPayment description).
_LINKED = {
    BillPaymentLineLinkType.Bill: DataType.BILLS,
    BillPaymentLineLinkType.CreditNote: DataType.BILL_CREDIT_NOTES,
    BillPaymentLineLinkType.BillPayment: DataType.BILL_PAYMENTS,
    BillPaymentLineLinkType.PaymentOnAccount: DataType.SUPPLIERS,
    BillPaymentLineLinkType.Refund: DataType.SUPPLIERS,
}


@strawberry.type(
    description=(
        "What a payment line settles. `id` names a record whose kind depends on `type`; a "
        "negative `amount` reduces what is owed (a bill paid in full has -totalAmount)."
    )
)
class BillPaymentLineLink:
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.BillPaymentLineLink]
    type: BillPaymentLineLinkType
    id: str | None
    amount: Decimal | None
    currency_rate: Decimal | None

    @classmethod
    def from_model(cls, company_id: CompanyId, model: models.BillPaymentLineLink) -> Self:
        return cls(
            company_id=company_id,
            model=model,
            type=model.type,
            id=model.id,
            amount=model.amount,
            currency_rate=model.currency_rate,
        )

    async def _linked(self, info: Info, link_type: BillPaymentLineLinkType) -> Any:
        if self.model.type is not link_type:
            return None
        return await load_record(info, _LINKED[link_type], self.company_id, self.model.id)

    @strawberry.field(description="The bill, when `type` is Bill.")
    async def bill(self, info: Info) -> Bill | None:
        record = await self._linked(info, BillPaymentLineLinkType.Bill)
        return None if record is None else Bill.from_model(self.company_id, record)

    @strawberry.field(description="The credit note, when `type` is CreditNote.")
    async def bill_credit_note(self, info: Info) -> BillCreditNote | None:
        record = await self._linked(info, BillPaymentLineLinkType.CreditNote)
        return None if record is None else BillCreditNote.from_model(self.company_id, record)

    @strawberry.field(description="The supplier, when `type` is PaymentOnAccount or Refund.")
    async def supplier(self, info: Info) -> Supplier | None:
        record = await self._linked(info, BillPaymentLineLinkType.PaymentOnAccount)
        if record is None:
            record = await self._linked(info, BillPaymentLineLinkType.Refund)
        return None if record is None else Supplier.from_model(self.company_id, record)


@strawberry.type(description="One line of a bill payment: an amount and what it settles.")
class BillPaymentLine:
    amount: Decimal
    links: list[BillPaymentLineLink] | None
    allocated_on_date: CodatDateTime | None

    @classmethod
    def from_model(cls, company_id: CompanyId, model: models.BillPaymentLine) -> Self:
        return cls(
            amount=model.amount,
            links=many(model.links, lambda m: BillPaymentLineLink.from_model(company_id, m)),
            allocated_on_date=model.allocated_on_date,
        )


@strawberry.type(description="A payment to a supplier, settling bills and using credit notes.")
class BillPayment(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.BillPayment]
    codat_id: str = strawberry.field(description=CODAT_ID)
    supplier_ref: SupplierRef | None
    account_ref: AccountRef | None
    total_amount: Decimal | None
    currency: str | None
    currency_rate: Decimal | None
    date: CodatDateTime
    note: str | None
    payment_method_ref: NamedRef | None
    lines: list[BillPaymentLine] | None
    reference: str | None
    metadata: Metadata | None
    supplemental_data: JSON | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.BillPayment) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            supplier_ref=None
            if model.supplier_ref is None
            else SupplierRef.from_model(model.supplier_ref),
            account_ref=None
            if model.account_ref is None
            else AccountRef.from_model(model.account_ref),
            total_amount=model.total_amount,
            currency=model.currency,
            currency_rate=model.currency_rate,
            date=model.date,
            note=model.note,
            payment_method_ref=None
            if model.payment_method_ref is None
            else NamedRef.from_model(model.payment_method_ref),
            lines=many(model.lines, lambda m: BillPaymentLine.from_model(company_id, m)),
            reference=model.reference,
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
            info, DataType.BILL_PAYMENTS, node_ids, cls.from_model, required=required
        )

    def _link_ids(self, link_type: BillPaymentLineLinkType) -> list[str | None]:
        return [
            link.id
            for line in self.model.lines or ()
            for link in line.links or ()
            if link.type is link_type
        ]

    @strawberry.field(description="The supplier paid (`supplierRef`).")
    async def supplier(self, info: Info) -> Supplier | None:
        ref = self.model.supplier_ref
        if ref is not None:
            answered = from_ref(
                info, Supplier, self.company_id, ref.id, supplier_name=ref.supplier_name
            )
            if answered is not None:
                return answered
        record = await load_record(
            info, DataType.SUPPLIERS, self.company_id, ref.id if ref else None
        )
        return None if record is None else Supplier.from_model(self.company_id, record)

    @strawberry.field(description="The account paid from (`accountRef`).")
    async def account(self, info: Info) -> Account | None:
        ref = self.model.account_ref
        if ref is not None:
            answered = from_ref(info, Account, self.company_id, ref.id, name=ref.name)
            if answered is not None:
                return answered
        record = await load_record(
            info, DataType.CHART_OF_ACCOUNTS, self.company_id, ref.id if ref else None
        )
        return None if record is None else Account.from_model(self.company_id, record)

    @strawberry.field(description="How it was paid (`paymentMethodRef`).")
    async def payment_method(self, info: Info) -> PaymentMethod | None:
        ref = self.model.payment_method_ref
        if ref is not None:
            answered = from_ref(info, PaymentMethod, self.company_id, ref.id, name=ref.name)
            if answered is not None:
                return answered
        record = await load_record(
            info, DataType.PAYMENT_METHODS, self.company_id, ref.id if ref else None
        )
        return None if record is None else PaymentMethod.from_model(self.company_id, record)

    @strawberry.field(description="The bills this payment settles (its `Bill` links).")
    async def bills(self, info: Info) -> list[Bill]:
        ids = self._link_ids(BillPaymentLineLinkType.Bill)
        records = await load_records(info, DataType.BILLS, self.company_id, ids)
        return [Bill.from_model(self.company_id, record) for record in records]

    @strawberry.field(description="The credit notes this payment uses (its `CreditNote` links).")
    async def bill_credit_notes(self, info: Info) -> list[BillCreditNote]:
        ids = self._link_ids(BillPaymentLineLinkType.CreditNote)
        records = await load_records(info, DataType.BILL_CREDIT_NOTES, self.company_id, ids)
        return [BillCreditNote.from_model(self.company_id, record) for record in records]
