"""Bodies we push to Codat: new or updated bills, bill payments, bill credit notes, suppliers.

Read-only fields (`id`, `modifiedDate`, `sourceModifiedDate`) are absent on purpose.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from gateway.codat.models.base import WriteModel
from gateway.codat.models.bills import BillCreditNoteLineItem, BillLineItem, PurchaseOrderRef
from gateway.codat.models.common import (
    AccountRef,
    Address,
    PaymentMethodRef,
    SupplementalData,
    SupplierRef,
    WithholdingTax,
)
from gateway.codat.models.enums import (
    AccountStatus,
    AccountType,
    BankAccountType,
    BillCreditNoteStatus,
    BillStatus,
    SupplierStatus,
)
from gateway.codat.models.payments import BillPaymentLine
from gateway.codat.types import CodatDateTime


class BillInput(WriteModel):
    supplier_ref: SupplierRef
    issue_date: CodatDateTime
    due_date: CodatDateTime | None = None
    status: BillStatus
    sub_total: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    amount_due: Decimal | None = None
    reference: str | None = None
    purchase_order_refs: tuple[PurchaseOrderRef, ...] | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    line_items: tuple[BillLineItem, ...] | None = None
    withholding_tax: tuple[WithholdingTax, ...] | None = None
    note: str | None = None
    supplemental_data: SupplementalData | None = None


class BillPaymentInput(WriteModel):
    """A payment; for one bill: one line of `total_amount` with a `Bill` link of `-total_amount`."""

    date: CodatDateTime
    supplier_ref: SupplierRef | None = None
    account_ref: AccountRef | None = None
    total_amount: Decimal | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    note: str | None = None
    payment_method_ref: PaymentMethodRef | None = None
    lines: tuple[BillPaymentLine, ...] | None = None
    reference: str | None = None
    supplemental_data: SupplementalData | None = None


class BillCreditNoteInput(WriteModel):
    status: BillCreditNoteStatus
    total_amount: Decimal
    total_discount: Decimal
    sub_total: Decimal
    total_tax_amount: Decimal
    discount_percentage: Decimal
    bill_credit_note_number: str | None = None
    supplier_ref: SupplierRef | None = None
    withholding_tax: tuple[WithholdingTax, ...] | None = None
    remaining_credit: Decimal | None = None
    issue_date: CodatDateTime | None = None
    allocated_on_date: CodatDateTime | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    line_items: tuple[BillCreditNoteLineItem, ...] | None = None
    note: str | None = None
    supplemental_data: SupplementalData | None = None


class SupplierInput(WriteModel):
    status: SupplierStatus
    supplier_name: str | None = None
    contact_name: str | None = None
    email_address: str | None = None
    phone: str | None = None
    addresses: tuple[Address, ...] | None = None
    registration_number: str | None = None
    tax_number: str | None = None
    default_currency: str | None = None
    supplemental_data: SupplementalData | None = None


class CompanyInput(WriteModel):
    """`POST /companies` and `PUT /companies/{id}` (CompanyRequestBody); PATCH sends only the
    fields given (CompanyUpdateRequest: absent ones are left alone)."""

    name: str | None = None
    description: str | None = None
    tags: dict[str, str] | None = None


class AccountInput(WriteModel):
    """A new chart-of-accounts entry (`POST .../push/accounts`)."""

    name: str
    fully_qualified_category: str | None = None
    fully_qualified_name: str | None = None
    nominal_code: str | None = None
    description: str | None = None
    currency: str | None = None
    current_balance: Decimal | None = None
    type: AccountType
    status: AccountStatus | None = None


class BankAccountInput(WriteModel):
    """A new bank account (`POST .../push/bankAccounts`, v1's bankAccountPrototype)."""

    account_name: str
    account_type: BankAccountType
    currency: str
    nominal_code: str | None = None
    sort_code: str | None = None
    account_number: str | None = None
    i_ban: str | None = Field(default=None, alias="iBan")
    institution: str | None = None
    balance: Decimal | None = None
    overdraft_limit: Decimal | None = None
    status: AccountStatus | None = None
