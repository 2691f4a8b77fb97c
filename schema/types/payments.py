# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Bill payments: what was paid, from which account, and the bills and credit notes it settles."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.models import BillPaymentLineLinkType, DataType
from gateway.codat.types import CodatDateTime
from schema.context import Info
from schema.types.base import OfCompany, Record, converted, nested
from schema.types.bills import Bill, BillCreditNote
from schema.types.common import (
    AccountRef,
    Metadata,
    NamedRef,
    SupplierRef,
    field_result,
    load_record,
    load_records,
    referenced,
    supplemental,
)
from schema.types.ledger import Account, PaymentMethod
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
class BillPaymentLineLink(OfCompany):
    model: strawberry.Private[models.BillPaymentLineLink]
    type: BillPaymentLineLinkType
    id: str | None
    amount: Decimal | None
    currency_rate: Decimal | None

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
class BillPaymentLine(OfCompany):
    amount: Decimal
    links: list[BillPaymentLineLink] | None = nested(BillPaymentLineLink)
    allocated_on_date: CodatDateTime | None


@strawberry.type(description="A payment to a supplier, settling bills and using credit notes.")
class BillPayment(Record, data_type=DataType.BILL_PAYMENTS):
    model: strawberry.Private[models.BillPayment]
    supplier_ref: SupplierRef | None = nested(SupplierRef)
    account_ref: AccountRef | None = nested(AccountRef)
    total_amount: Decimal | None
    currency: str | None
    currency_rate: Decimal | None
    date: CodatDateTime
    note: str | None
    payment_method_ref: NamedRef | None = nested(NamedRef)
    lines: list[BillPaymentLine] | None = nested(BillPaymentLine)
    reference: str | None
    metadata: Metadata | None = nested(Metadata)
    supplemental_data: JSON | None = converted(supplemental)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    def _link_ids(self, link_type: BillPaymentLineLinkType) -> list[str | None]:
        return [
            link.id
            for line in self.model.lines or ()
            for link in line.links or ()
            if link.type is link_type
        ]

    @strawberry.field(description="The supplier paid (`supplierRef`).")
    def supplier(self, info: Info) -> Supplier | None:
        ref = self.model.supplier_ref
        return field_result(referenced(info, Supplier, self.company_id, ref, "supplier_name"))

    @strawberry.field(description="The account paid from (`accountRef`).")
    def account(self, info: Info) -> Account | None:
        ref = self.model.account_ref
        return field_result(referenced(info, Account, self.company_id, ref, "name"))

    @strawberry.field(description="How it was paid (`paymentMethodRef`).")
    def payment_method(self, info: Info) -> PaymentMethod | None:
        ref = self.model.payment_method_ref
        return field_result(referenced(info, PaymentMethod, self.company_id, ref, "name"))

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
