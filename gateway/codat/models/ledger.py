"""The ledger's reference data: accounts, payment methods, tax rates, tracking categories."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from gateway.codat.models.base import CodatModel
from gateway.codat.models.common import Metadata, SupplementalData, ValidDataTypeLinks
from gateway.codat.models.enums import (
    AccountStatus,
    AccountType,
    BankAccountType,
    PaymentMethodStatus,
    PaymentMethodType,
    TaxRateStatus,
    TrackingCategoryStatus,
)
from gateway.codat.types import CodatDateTime


class Account(CodatModel):
    """A chart-of-accounts entry; `is_bank_account` marks the ones bills can be paid from."""

    id: str
    nominal_code: str | None = None
    name: str | None = None
    description: str | None = None
    fully_qualified_category: str | None = None
    fully_qualified_name: str | None = None
    currency: str | None = None
    current_balance: Decimal | None = None
    type: AccountType = AccountType.Unknown
    status: AccountStatus = AccountStatus.Unknown
    is_bank_account: bool = False
    valid_datatype_links: tuple[ValidDataTypeLinks, ...] | None = None
    metadata: Metadata | None = None
    supplemental_data: SupplementalData | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None


class BankAccount(CodatModel):
    """A bank account as the Accounting API reads it per connection (v1's `BankAccount`)."""

    id: str | None = None
    account_name: str | None = None
    account_type: BankAccountType = BankAccountType.Unknown
    nominal_code: str | None = None
    sort_code: str | None = None
    account_number: str | None = None
    i_ban: str | None = Field(default=None, alias="iBan")
    currency: str | None = None
    balance: Decimal | None = None
    institution: str | None = None
    available_balance: Decimal | None = None
    overdraft_limit: Decimal | None = None
    status: AccountStatus = AccountStatus.Unknown
    metadata: Metadata | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None


class PaymentMethod(CodatModel):
    id: str
    name: str | None = None
    type: PaymentMethodType = PaymentMethodType.Unknown
    status: PaymentMethodStatus = PaymentMethodStatus.Unknown
    metadata: Metadata | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None


class TaxRateComponent(CodatModel):
    name: str | None = None
    rate: Decimal | None = None
    is_compound: bool = False


class TaxRate(CodatModel):
    id: str
    name: str | None = None
    code: str | None = None
    status: TaxRateStatus = TaxRateStatus.Unknown
    effective_tax_rate: Decimal | None = None
    total_tax_rate: Decimal | None = None
    components: tuple[TaxRateComponent, ...] | None = None
    valid_datatype_links: tuple[ValidDataTypeLinks, ...] | None = None
    metadata: Metadata | None = None
    supplemental_data: SupplementalData | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None


class TrackingCategory(CodatModel):
    """A flat tracking category (as listed); `parent_id` links it into its tree."""

    id: str
    name: str | None = None
    status: TrackingCategoryStatus = TrackingCategoryStatus.Unknown
    parent_id: str | None = None
    has_children: bool = False
    metadata: Metadata | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None


class TrackingCategoryTree(TrackingCategory):
    """A tracking category with its descendants (what get-one returns)."""

    sub_categories: tuple[TrackingCategoryTree, ...] | None = None
