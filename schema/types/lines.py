# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Line items of bills and credit notes, with their edges to accounts, tax rates and tracking."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Self

import strawberry

from gateway.codat import models
from gateway.codat.models import DataType
from gateway.codat.types import CompanyId
from schema.context import Info
from schema.planner import from_ref
from schema.types.common import (
    AccountRef,
    LineRef,
    MaybeAwaitable,
    NamedRef,
    TaxRateRef,
    Tracking,
    field_result,
    lookup,
    lookup_many,
    many,
    then,
)
from schema.types.ledger import Account, TaxRate, TrackingCategory


def _tracking_refs(
    refs: Iterable[models.TrackingCategoryRef] | None, tracking: models.Tracking | None
) -> list[models.TrackingCategoryRef]:
    # A line may carry `trackingCategoryRefs` (deprecated by v1 on credit-note lines only) and
    # `tracking.categoryRefs`; read both.
    every = [*(refs or ()), *(tracking.category_refs if tracking else ())]
    unique: dict[str, models.TrackingCategoryRef] = {}
    for ref in every:
        unique.setdefault(ref.id, ref)
    return list(unique.values())


def _account(
    info: Info, company_id: CompanyId, ref: models.AccountRef | None
) -> MaybeAwaitable[Account | None]:
    if ref is not None:
        answered = from_ref(info, Account, company_id, ref.id, name=ref.name)
        if answered is not None:
            return answered
    found = lookup(info, DataType.CHART_OF_ACCOUNTS, company_id, ref.id if ref else None)
    return then(found, lambda record: Account.from_model(company_id, record) if record else None)


def _tax_rate(
    info: Info, company_id: CompanyId, ref: models.TaxRateRef | None
) -> MaybeAwaitable[TaxRate | None]:
    if ref is not None:
        answered = from_ref(
            info,
            TaxRate,
            company_id,
            ref.id,
            name=ref.name,
            effective_tax_rate=ref.effective_tax_rate,
        )
        if answered is not None:
            return answered
    found = lookup(info, DataType.TAX_RATES, company_id, ref.id if ref else None)
    return then(found, lambda record: TaxRate.from_model(company_id, record) if record else None)


def _tracking_categories(
    info: Info, company_id: CompanyId, refs: list[models.TrackingCategoryRef]
) -> MaybeAwaitable[list[TrackingCategory]]:
    answered = [from_ref(info, TrackingCategory, company_id, r.id, name=r.name) for r in refs]
    if all(category is not None for category in answered):
        return [category for category in answered if category is not None]
    ids = [ref.id for ref in refs]
    found = lookup_many(info, DataType.TRACKING_CATEGORIES, company_id, ids)
    return then(
        found, lambda records: [TrackingCategory.from_model(company_id, r) for r in records]
    )


@strawberry.type(description="One line of a bill.")
class BillLineItem:
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.BillLineItem]
    line_number: str | None
    description: str | None
    unit_amount: Decimal | None
    quantity: Decimal | None
    unit_of_measurement: str | None
    discount_amount: Decimal | None
    sub_total: Decimal | None
    tax_amount: Decimal | None
    total_amount: Decimal | None
    discount_percentage: Decimal | None
    account_ref: AccountRef | None
    tax_rate_ref: TaxRateRef | None
    item_ref: NamedRef | None
    purchase_order_line_ref: LineRef | None
    tracking_category_refs: list[NamedRef] | None
    tracking: Tracking | None
    is_direct_cost: bool | None

    @classmethod
    def from_model(cls, company_id: CompanyId, model: models.BillLineItem) -> Self:
        return cls(
            company_id=company_id,
            model=model,
            line_number=model.line_number,
            description=model.description,
            unit_amount=model.unit_amount,
            quantity=model.quantity,
            unit_of_measurement=model.unit_of_measurement,
            discount_amount=model.discount_amount,
            sub_total=model.sub_total,
            tax_amount=model.tax_amount,
            total_amount=model.total_amount,
            discount_percentage=model.discount_percentage,
            account_ref=None
            if model.account_ref is None
            else AccountRef.from_model(model.account_ref),
            tax_rate_ref=None
            if model.tax_rate_ref is None
            else TaxRateRef.from_model(model.tax_rate_ref),
            item_ref=None if model.item_ref is None else NamedRef.from_model(model.item_ref),
            purchase_order_line_ref=None
            if model.purchase_order_line_ref is None
            else LineRef.from_model(model.purchase_order_line_ref),
            tracking_category_refs=many(model.tracking_category_refs, NamedRef.from_model),
            tracking=None if model.tracking is None else Tracking.from_model(model.tracking),
            is_direct_cost=model.is_direct_cost,
        )

    @strawberry.field(description="The account the line is coded to (`accountRef`).")
    def account(self, info: Info) -> Account | None:
        return field_result(_account(info, self.company_id, self.model.account_ref))

    @strawberry.field(description="The line's tax rate (`taxRateRef`).")
    def tax_rate(self, info: Info) -> TaxRate | None:
        return field_result(_tax_rate(info, self.company_id, self.model.tax_rate_ref))

    @strawberry.field(description="The line's tracking categories (from either kind of ref).")
    def tracking_categories(self, info: Info) -> list[TrackingCategory]:
        refs = _tracking_refs(self.model.tracking_category_refs, self.model.tracking)
        return field_result(_tracking_categories(info, self.company_id, refs))


@strawberry.type(description="One line of a bill credit note.")
class BillCreditNoteLineItem:
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.BillCreditNoteLineItem]
    description: str | None
    unit_amount: Decimal
    quantity: Decimal
    unit_of_measurement: str | None
    discount_amount: Decimal | None
    sub_total: Decimal | None
    tax_amount: Decimal | None
    total_amount: Decimal | None
    discount_percentage: Decimal | None
    account_ref: AccountRef | None
    tax_rate_ref: TaxRateRef | None
    item_ref: NamedRef | None
    created_from_line_ref: LineRef | None
    tracking_category_refs: list[NamedRef] | None = strawberry.field(
        deprecation_reason="Codat deprecated it: use tracking.categoryRefs."
    )
    tracking: Tracking | None

    @classmethod
    def from_model(cls, company_id: CompanyId, model: models.BillCreditNoteLineItem) -> Self:
        return cls(
            company_id=company_id,
            model=model,
            description=model.description,
            unit_amount=model.unit_amount,
            quantity=model.quantity,
            unit_of_measurement=model.unit_of_measurement,
            discount_amount=model.discount_amount,
            sub_total=model.sub_total,
            tax_amount=model.tax_amount,
            total_amount=model.total_amount,
            discount_percentage=model.discount_percentage,
            account_ref=None
            if model.account_ref is None
            else AccountRef.from_model(model.account_ref),
            tax_rate_ref=None
            if model.tax_rate_ref is None
            else TaxRateRef.from_model(model.tax_rate_ref),
            item_ref=None if model.item_ref is None else NamedRef.from_model(model.item_ref),
            created_from_line_ref=None
            if model.created_from_line_ref is None
            else LineRef.from_model(model.created_from_line_ref),
            tracking_category_refs=many(model.tracking_category_refs, NamedRef.from_model),
            tracking=None if model.tracking is None else Tracking.from_model(model.tracking),
        )

    @strawberry.field(description="The account the line is coded to (`accountRef`).")
    def account(self, info: Info) -> Account | None:
        return field_result(_account(info, self.company_id, self.model.account_ref))

    @strawberry.field(description="The line's tax rate (`taxRateRef`).")
    def tax_rate(self, info: Info) -> TaxRate | None:
        return field_result(_tax_rate(info, self.company_id, self.model.tax_rate_ref))

    @strawberry.field(description="The line's tracking categories (from either kind of ref).")
    def tracking_categories(self, info: Info) -> list[TrackingCategory]:
        refs = _tracking_refs(self.model.tracking_category_refs, self.model.tracking)
        return field_result(_tracking_categories(info, self.company_id, refs))
