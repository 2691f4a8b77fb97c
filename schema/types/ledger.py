# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Ledger reference data: accounts, bank accounts, payment methods, tax rates, tracking tree."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.models import DataType
from gateway.codat.query import where
from gateway.codat.types import CodatDateTime, CompanyId
from gateway.reads.loaders import ListRequest
from schema.context import Info
from schema.enums import (
    AccountStatus,
    AccountType,
    PaymentMethodStatus,
    PaymentMethodType,
    TaxRateStatus,
    TrackingCategoryStatus,
)
from schema.filters import TrackingCategoryFilter, list_query
from schema.types.base import FromModel, Record, converted, nested
from schema.types.common import Metadata, ValidDataTypeLinks, load_record, supplemental


@strawberry.type(description="An account in the company's chart of accounts.")
class Account(Record, data_type=DataType.CHART_OF_ACCOUNTS):
    model: strawberry.Private[models.Account]
    nominal_code: str | None
    name: str | None
    description: str | None
    fully_qualified_category: str | None = strawberry.field(description="e.g. Liability.Current")
    fully_qualified_name: str | None
    currency: str | None
    current_balance: Decimal | None
    type: AccountType
    status: AccountStatus
    is_bank_account: bool
    valid_datatype_links: list[ValidDataTypeLinks] | None = nested(ValidDataTypeLinks)
    metadata: Metadata | None = nested(Metadata)
    supplemental_data: JSON | None = converted(supplemental)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None


@strawberry.type(
    description="An account flagged as a bank account (`isBankAccount`): where bills are paid from."
)
class BankAccount(Record, data_type=DataType.CHART_OF_ACCOUNTS):
    model: strawberry.Private[models.Account]
    name: str | None
    nominal_code: str | None
    description: str | None
    fully_qualified_category: str | None
    fully_qualified_name: str | None
    currency: str | None
    current_balance: Decimal | None
    status: AccountStatus
    metadata: Metadata | None = nested(Metadata)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    def as_node(cls, company_id: CompanyId, model: models.Account) -> Self | None:
        """Only an account Codat flags as a bank account is a `BankAccount`."""
        return cls.from_model(company_id, model) if model.is_bank_account else None

    @strawberry.field(description="The same record as a chart-of-accounts account.")
    def account(self) -> Account:
        return Account.from_model(self.company_id, self.model)


@strawberry.type(description="A way of paying (cash, check, card, transfer...).")
class PaymentMethod(Record, data_type=DataType.PAYMENT_METHODS):
    model: strawberry.Private[models.PaymentMethod]
    name: str | None
    type: PaymentMethodType
    status: PaymentMethodStatus
    metadata: Metadata | None = nested(Metadata)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None


@strawberry.type(description="One component of a (possibly compound) tax rate.")
class TaxRateComponent(FromModel):
    name: str | None
    rate: Decimal | None
    is_compound: bool


@strawberry.type(description="A tax rate lines can be taxed at.")
class TaxRate(Record, data_type=DataType.TAX_RATES):
    model: strawberry.Private[models.TaxRate]
    name: str | None
    code: str | None
    status: TaxRateStatus
    effective_tax_rate: Decimal | None
    total_tax_rate: Decimal | None
    components: list[TaxRateComponent] | None = nested(TaxRateComponent)
    valid_datatype_links: list[ValidDataTypeLinks] | None = nested(ValidDataTypeLinks)
    metadata: Metadata | None = nested(Metadata)
    supplemental_data: JSON | None = converted(supplemental)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None


@strawberry.type(description="A tracking category, in a tree: `parent` up, `subCategories` down.")
class TrackingCategory(Record, data_type=DataType.TRACKING_CATEGORIES):
    model: strawberry.Private[models.TrackingCategory]
    name: str | None
    status: TrackingCategoryStatus
    parent_id: str | None
    has_children: bool
    metadata: Metadata | None = nested(Metadata)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @strawberry.field(description="The category this one sits under, if any.")
    async def parent(self, info: Info) -> TrackingCategory | None:
        record = await load_record(
            info, DataType.TRACKING_CATEGORIES, self.company_id, self.model.parent_id
        )
        return None if record is None else TrackingCategory.from_model(self.company_id, record)

    @strawberry.field(description="The categories directly under this one (deleted ones left out).")
    async def sub_categories(self, info: Info) -> list[TrackingCategory]:
        if isinstance(self.model, models.TrackingCategoryTree) and self.model.sub_categories:
            children: Iterable[Any] = self.model.sub_categories
        elif not self.model.has_children:
            return []
        else:
            # Codat filters the flat list by parent; one query per category that has children.
            parent = where("parentId").eq(self.model.id)
            query = list_query(TrackingCategoryFilter(), None, parent)
            request = ListRequest(self.company_id, DataType.TRACKING_CATEGORIES, query=query)
            children = await info.context.loaders.all(request)
        return [TrackingCategory.from_model(self.company_id, child) for child in children]
