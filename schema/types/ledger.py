# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Ledger reference data: accounts, bank accounts, payment methods, tax rates, tracking tree."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry import relay
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
from schema.ids import format_node_id
from schema.memo import per_record
from schema.types.common import (
    Metadata,
    ValidDataTypeLinks,
    load_record,
    many,
    resolve_record_nodes,
    supplemental,
)

CODAT_ID = "The record's own id in Codat and the accounting software (`id` is the global id)."


@strawberry.type(description="An account in the company's chart of accounts.")
class Account(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.Account]
    codat_id: str = strawberry.field(description=CODAT_ID)
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
    valid_datatype_links: list[ValidDataTypeLinks] | None
    metadata: Metadata | None
    supplemental_data: JSON | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.Account) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            nominal_code=model.nominal_code,
            name=model.name,
            description=model.description,
            fully_qualified_category=model.fully_qualified_category,
            fully_qualified_name=model.fully_qualified_name,
            currency=model.currency,
            current_balance=model.current_balance,
            type=model.type,
            status=model.status,
            is_bank_account=model.is_bank_account,
            valid_datatype_links=many(model.valid_datatype_links, ValidDataTypeLinks.from_model),
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
            info, DataType.CHART_OF_ACCOUNTS, node_ids, cls.from_model, required=required
        )


@strawberry.type(
    description="An account flagged as a bank account (`isBankAccount`): where bills are paid from."
)
class BankAccount(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.Account]
    codat_id: str = strawberry.field(description=CODAT_ID)
    name: str | None
    nominal_code: str | None
    description: str | None
    fully_qualified_category: str | None
    fully_qualified_name: str | None
    currency: str | None
    current_balance: Decimal | None
    status: AccountStatus
    metadata: Metadata | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.Account) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            name=model.name,
            nominal_code=model.nominal_code,
            description=model.description,
            fully_qualified_category=model.fully_qualified_category,
            fully_qualified_name=model.fully_qualified_name,
            currency=model.currency,
            current_balance=model.current_balance,
            status=model.status,
            metadata=Metadata.from_model(model.metadata),
            modified_date=model.modified_date,
            source_modified_date=model.source_modified_date,
        )

    @classmethod
    def from_bank_account(cls, company_id: CompanyId, model: models.Account) -> Self | None:
        """Only an account Codat flags as a bank account is a `BankAccount`."""
        return cls.from_model(company_id, model) if model.is_bank_account else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await resolve_record_nodes(
            info, DataType.CHART_OF_ACCOUNTS, node_ids, cls.from_bank_account, required=required
        )

    @strawberry.field(description="The same record as a chart-of-accounts account.")
    def account(self) -> Account:
        return Account.from_model(self.company_id, self.model)


@strawberry.type(description="A way of paying (cash, check, card, transfer...).")
class PaymentMethod(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.PaymentMethod]
    codat_id: str = strawberry.field(description=CODAT_ID)
    name: str | None
    type: PaymentMethodType
    status: PaymentMethodStatus
    metadata: Metadata | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.PaymentMethod) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            name=model.name,
            type=model.type,
            status=model.status,
            metadata=Metadata.from_model(model.metadata),
            modified_date=model.modified_date,
            source_modified_date=model.source_modified_date,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await resolve_record_nodes(
            info, DataType.PAYMENT_METHODS, node_ids, cls.from_model, required=required
        )


@strawberry.type(description="One component of a (possibly compound) tax rate.")
class TaxRateComponent:
    name: str | None
    rate: Decimal | None
    is_compound: bool

    @classmethod
    def from_model(cls, model: models.TaxRateComponent) -> TaxRateComponent:
        return cls(name=model.name, rate=model.rate, is_compound=model.is_compound)


@strawberry.type(description="A tax rate lines can be taxed at.")
class TaxRate(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.TaxRate]
    codat_id: str = strawberry.field(description=CODAT_ID)
    name: str | None
    code: str | None
    status: TaxRateStatus
    effective_tax_rate: Decimal | None
    total_tax_rate: Decimal | None
    components: list[TaxRateComponent] | None
    valid_datatype_links: list[ValidDataTypeLinks] | None
    metadata: Metadata | None
    supplemental_data: JSON | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.TaxRate) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            name=model.name,
            code=model.code,
            status=model.status,
            effective_tax_rate=model.effective_tax_rate,
            total_tax_rate=model.total_tax_rate,
            components=many(model.components, TaxRateComponent.from_model),
            valid_datatype_links=many(model.valid_datatype_links, ValidDataTypeLinks.from_model),
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
            info, DataType.TAX_RATES, node_ids, cls.from_model, required=required
        )


@strawberry.type(description="A tracking category, in a tree: `parent` up, `subCategories` down.")
class TrackingCategory(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.TrackingCategory]
    codat_id: str = strawberry.field(description=CODAT_ID)
    name: str | None
    status: TrackingCategoryStatus
    parent_id: str | None
    has_children: bool
    metadata: Metadata | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.TrackingCategory) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            name=model.name,
            status=model.status,
            parent_id=model.parent_id,
            has_children=model.has_children,
            metadata=Metadata.from_model(model.metadata),
            modified_date=model.modified_date,
            source_modified_date=model.source_modified_date,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await resolve_record_nodes(
            info, DataType.TRACKING_CATEGORIES, node_ids, cls.from_model, required=required
        )

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
