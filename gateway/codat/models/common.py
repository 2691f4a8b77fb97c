"""Small shapes shared by several Codat records: references, metadata, addresses, allocations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.codat.models.base import CodatModel
from gateway.codat.models.enums import AddressType, BilledToType
from gateway.codat.types import CodatDateTime


class Metadata(CodatModel):
    is_deleted: bool | None = None
    """True when the record was deleted in the source software since the last sync."""


class SupplementalData(CodatModel):
    content: dict[str, Any] | None = None


class SupplierRef(CodatModel):
    id: str
    supplier_name: str | None = None


class AccountRef(CodatModel):
    id: str | None = None
    name: str | None = None


class TaxRateRef(CodatModel):
    id: str | None = None
    name: str | None = None
    effective_tax_rate: Decimal | None = None


class ItemRef(CodatModel):
    id: str
    name: str | None = None


class PaymentMethodRef(CodatModel):
    id: str
    name: str | None = None


class TrackingCategoryRef(CodatModel):
    id: str
    name: str | None = None


class CustomerRef(CodatModel):
    id: str
    company_name: str | None = None


class ProjectRef(CodatModel):
    id: str
    name: str | None = None


class Tracking(CodatModel):
    category_refs: tuple[TrackingCategoryRef, ...] = ()
    customer_ref: CustomerRef | None = None
    project_ref: ProjectRef | None = None
    is_billed_to: BilledToType = BilledToType.Unknown
    is_rebilled_to: BilledToType = BilledToType.Unknown


class LineRef(CodatModel):
    """`purchaseOrderLineRef` / `createdFromLineRef`: a line on another record."""

    id: str | None = None
    data_type: str | None = None
    line_number: str | None = None


class Address(CodatModel):
    type: AddressType = AddressType.Unknown
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    postal_code: str | None = None


class WithholdingTax(CodatModel):
    name: str
    amount: Decimal


class PaymentAllocationPayment(CodatModel):
    id: str | None = None
    note: str | None = None
    reference: str | None = None
    account_ref: AccountRef | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    paid_on_date: CodatDateTime | None = None
    total_amount: Decimal | None = None


class Allocation(CodatModel):
    currency: str | None = None
    currency_rate: Decimal | None = None
    allocated_on_date: CodatDateTime | None = None
    total_amount: Decimal | None = None


class PaymentAllocation(CodatModel):
    """A payment applied to a bill or credit note, and how much of it was allocated there."""

    payment: PaymentAllocationPayment
    allocation: Allocation


class ValidDataTypeLinks(CodatModel):
    """Which data types may reference this record, per property (e.g. accounts on bill lines)."""

    property: str | None = None
    links: tuple[str, ...] | None = None
