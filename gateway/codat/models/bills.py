"""Bills, bill credit notes, and bill attachments."""

from __future__ import annotations

from decimal import Decimal

from gateway.codat.models.base import CodatModel
from gateway.codat.models.common import (
    AccountRef,
    ItemRef,
    LineRef,
    Metadata,
    PaymentAllocation,
    SupplementalData,
    SupplierRef,
    TaxRateRef,
    Tracking,
    TrackingCategoryRef,
    WithholdingTax,
)
from gateway.codat.models.enums import BillCreditNoteStatus, BillStatus
from gateway.codat.types import CodatDateTime


class PurchaseOrderRef(CodatModel):
    id: str | None = None
    purchase_order_number: str | None = None


class BillLineItem(CodatModel):
    line_number: str | None = None
    description: str | None = None
    unit_amount: Decimal | None = None
    quantity: Decimal | None = None
    unit_of_measurement: str | None = None
    discount_amount: Decimal | None = None
    sub_total: Decimal | None = None
    tax_amount: Decimal | None = None
    total_amount: Decimal | None = None
    discount_percentage: Decimal | None = None
    account_ref: AccountRef | None = None
    tax_rate_ref: TaxRateRef | None = None
    item_ref: ItemRef | None = None
    purchase_order_line_ref: LineRef | None = None
    tracking_category_refs: tuple[TrackingCategoryRef, ...] | None = None
    tracking: Tracking | None = None
    is_direct_cost: bool | None = None


class Bill(CodatModel):
    """A bill (accounts payable invoice) from a supplier, as cached by Codat."""

    id: str
    reference: str | None = None
    supplier_ref: SupplierRef | None = None
    purchase_order_refs: tuple[PurchaseOrderRef, ...] | None = None
    issue_date: CodatDateTime
    due_date: CodatDateTime | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    line_items: tuple[BillLineItem, ...] | None = None
    withholding_tax: tuple[WithholdingTax, ...] | None = None
    status: BillStatus
    sub_total: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    amount_due: Decimal | None = None
    note: str | None = None
    payment_allocations: tuple[PaymentAllocation, ...] | None = None
    metadata: Metadata | None = None
    supplemental_data: SupplementalData | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None


class BillCreditNoteLineItem(CodatModel):
    description: str | None = None
    unit_amount: Decimal
    quantity: Decimal
    unit_of_measurement: str | None = None
    discount_amount: Decimal | None = None
    sub_total: Decimal | None = None
    tax_amount: Decimal | None = None
    total_amount: Decimal | None = None
    account_ref: AccountRef | None = None
    discount_percentage: Decimal | None = None
    tax_rate_ref: TaxRateRef | None = None
    item_ref: ItemRef | None = None
    created_from_line_ref: LineRef | None = None
    tracking_category_refs: tuple[TrackingCategoryRef, ...] | None = None
    tracking: Tracking | None = None


class CreatedFromRef(CodatModel):
    id: str | None = None
    data_type: str | None = None


class BillCreditNote(CodatModel):
    """A supplier's credit note, which can be allocated against bills."""

    id: str
    bill_credit_note_number: str | None = None
    supplier_ref: SupplierRef | None = None
    withholding_tax: tuple[WithholdingTax, ...] | None = None
    total_amount: Decimal
    total_discount: Decimal
    sub_total: Decimal
    total_tax_amount: Decimal
    discount_percentage: Decimal
    remaining_credit: Decimal | None = None
    status: BillCreditNoteStatus
    issue_date: CodatDateTime | None = None
    allocated_on_date: CodatDateTime | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    line_items: tuple[BillCreditNoteLineItem, ...] | None = None
    payment_allocations: tuple[PaymentAllocation, ...] | None = None
    created_from_refs: tuple[CreatedFromRef, ...] | None = None
    note: str | None = None
    metadata: Metadata | None = None
    supplemental_data: SupplementalData | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None


class Attachment(CodatModel):
    """A file attached to a bill in the company's software (read per connection, not cached)."""

    id: str
    name: str | None = None
    content_type: str | None = None
    date_created: CodatDateTime | None = None
    file_size: int | None = None
    include_when_sent: bool = False
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None
