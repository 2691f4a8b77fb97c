"""What the writes take: new bills, suppliers, credit notes, companies, accounts and bank
accounts, changes, uploads.

Plain values from the schema's inputs; `gateway/writes/records.py` and `onboarding.py` check them
and turn them into Codat bodies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.codat.models import (
    AccountStatus,
    AccountType,
    AddressType,
    BankAccountType,
    BillCreditNoteStatus,
    BillStatus,
    CompanyInput,
    SupplierStatus,
)
from gateway.writes.payments import LineDraft

SupplementalContent = dict[str, dict[str, Any]]
"""Codat's `supplementalData.content`: an object of objects, keyed by the integration's names."""


@dataclass(frozen=True, slots=True)
class PurchaseOrderRefDraft:
    id: str | None = None
    purchase_order_number: str | None = None


@dataclass(frozen=True, slots=True)
class WithholdingTaxDraft:
    name: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AddressDraft:
    type: AddressType
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True, slots=True)
class BillDraft:
    supplier_id: str
    issue_date: str
    line_items: tuple[LineDraft, ...]
    due_date: str | None = None
    status: BillStatus = BillStatus.Open
    currency: str | None = None
    currency_rate: Decimal | None = None
    reference: str | None = None
    note: str | None = None
    total_amount: Decimal | None = None
    purchase_order_refs: tuple[PurchaseOrderRefDraft, ...] | None = None
    withholding_tax: tuple[WithholdingTaxDraft, ...] | None = None
    supplemental_data: SupplementalContent | None = None


@dataclass(frozen=True, slots=True)
class BillChanges:
    """What to change on a bill; None leaves a field as it is. New lines replace all lines."""

    bill_id: str
    supplier_id: str | None = None
    issue_date: str | None = None
    due_date: str | None = None
    status: BillStatus | None = None
    reference: str | None = None
    note: str | None = None
    line_items: tuple[LineDraft, ...] | None = None
    total_amount: Decimal | None = None
    purchase_order_refs: tuple[PurchaseOrderRefDraft, ...] | None = None
    withholding_tax: tuple[WithholdingTaxDraft, ...] | None = None
    supplemental_data: SupplementalContent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _SupplierDetails:
    """A supplier's fields that a new one may leave out and a change may leave alone."""

    contact_name: str | None = None
    email_address: str | None = None
    phone: str | None = None
    registration_number: str | None = None
    tax_number: str | None = None
    default_currency: str | None = None
    addresses: tuple[AddressDraft, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplierDraft(_SupplierDetails):
    supplier_name: str
    status: SupplierStatus = SupplierStatus.Active


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplierChanges(_SupplierDetails):
    supplier_id: str
    supplier_name: str | None = None
    status: SupplierStatus | None = None


@dataclass(frozen=True, slots=True)
class CreditNoteDraft:
    supplier_id: str
    line_items: tuple[LineDraft, ...]
    issue_date: str | None = None
    status: BillCreditNoteStatus = BillCreditNoteStatus.Submitted
    currency: str | None = None
    currency_rate: Decimal | None = None
    bill_credit_note_number: str | None = None
    note: str | None = None
    total_amount: Decimal | None = None
    withholding_tax: tuple[WithholdingTaxDraft, ...] | None = None
    supplemental_data: SupplementalContent | None = None


@dataclass(frozen=True, slots=True)
class AttachmentUpload:
    bill_id: str
    filename: str
    content_type: str
    content: bytes

    def fingerprinted(self) -> dict[str, Any]:
        """What the upload means, for the key's fingerprint and the echo (not the bytes)."""
        return {
            "billId": self.bill_id,
            "filename": self.filename,
            "contentType": self.content_type,
            "size": len(self.content),
            "sha256": hashlib.sha256(self.content).hexdigest(),
        }


@dataclass(frozen=True, slots=True)
class CompanyDraft:
    name: str | None = None
    description: str | None = None
    tags: tuple[tuple[str, str], ...] | None = None

    def body(self) -> CompanyInput:
        return CompanyInput(
            name=self.name,
            description=self.description,
            tags=None if self.tags is None else dict(self.tags),
        )


@dataclass(frozen=True, slots=True)
class CreditNoteChanges:
    credit_note_id: str
    bill_credit_note_number: str | None = None
    issue_date: str | None = None
    status: BillCreditNoteStatus | None = None
    note: str | None = None
    line_items: tuple[LineDraft, ...] | None = None


@dataclass(frozen=True, slots=True)
class AccountDraft:
    name: str
    type: AccountType
    fully_qualified_category: str | None = None
    nominal_code: str | None = None
    description: str | None = None
    currency: str | None = None
    status: AccountStatus | None = None


@dataclass(frozen=True, slots=True)
class BankAccountDraft:
    account_name: str
    account_type: BankAccountType
    currency: str
    nominal_code: str | None = None
    sort_code: str | None = None
    account_number: str | None = None
    i_ban: str | None = None
    institution: str | None = None
    overdraft_limit: Decimal | None = None
