"""Bill payments: money paid to suppliers, linked to the bills and credit notes it settles."""

from __future__ import annotations

from decimal import Decimal

from gateway.codat.models.base import CodatModel
from gateway.codat.models.common import (
    AccountRef,
    Metadata,
    PaymentMethodRef,
    SupplementalData,
    SupplierRef,
)
from gateway.codat.models.enums import BillPaymentLineLinkType
from gateway.codat.types import CodatDateTime


class BillPaymentLineLink(CodatModel):
    """What a payment line settles; `id` names a record whose data type depends on `type`.

    A negative `amount` reduces the amount owed (a bill link in a simple payment is `-totalAmount`);
    for `PaymentOnAccount` and `Refund` the id is the supplier's.
    """

    type: BillPaymentLineLinkType
    id: str | None = None
    amount: Decimal | None = None
    currency_rate: Decimal | None = None


class BillPaymentLine(CodatModel):
    amount: Decimal
    links: tuple[BillPaymentLineLink, ...] | None = None
    allocated_on_date: CodatDateTime | None = None


class BillPayment(CodatModel):
    id: str
    supplier_ref: SupplierRef | None = None
    account_ref: AccountRef | None = None
    total_amount: Decimal | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    date: CodatDateTime
    note: str | None = None
    payment_method_ref: PaymentMethodRef | None = None
    lines: tuple[BillPaymentLine, ...] | None = None
    reference: str | None = None
    metadata: Metadata | None = None
    supplemental_data: SupplementalData | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None
