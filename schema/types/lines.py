# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Line items of bills and credit notes, with their edges to accounts, tax rates and tracking."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import strawberry

from gateway.codat import models
from gateway.codat.models import DataType
from gateway.codat.types import CompanyId
from schema.context import Info
from schema.planner import from_ref
from schema.types.base import OfCompany, nested
from schema.types.common import (
    AccountRef,
    LineRef,
    MaybeAwaitable,
    NamedRef,
    TaxRateRef,
    Tracking,
    field_result,
    lookup_many,
    referenced,
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
class BillLineItem(OfCompany):
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
    account_ref: AccountRef | None = nested(AccountRef)
    tax_rate_ref: TaxRateRef | None = nested(TaxRateRef)
    item_ref: NamedRef | None = nested(NamedRef)
    purchase_order_line_ref: LineRef | None = nested(LineRef)
    tracking_category_refs: list[NamedRef] | None = nested(NamedRef)
    tracking: Tracking | None = nested(Tracking)
    is_direct_cost: bool | None

    @strawberry.field(description="The account the line is coded to (`accountRef`).")
    def account(self, info: Info) -> Account | None:
        ref = self.model.account_ref
        return field_result(referenced(info, Account, self.company_id, ref, "name"))

    @strawberry.field(description="The line's tax rate (`taxRateRef`).")
    def tax_rate(self, info: Info) -> TaxRate | None:
        ref = self.model.tax_rate_ref
        carried = ("name", "effective_tax_rate")
        return field_result(referenced(info, TaxRate, self.company_id, ref, *carried))

    @strawberry.field(description="The line's tracking categories (from either kind of ref).")
    def tracking_categories(self, info: Info) -> list[TrackingCategory]:
        refs = _tracking_refs(self.model.tracking_category_refs, self.model.tracking)
        return field_result(_tracking_categories(info, self.company_id, refs))


@strawberry.type(description="One line of a bill credit note.")
class BillCreditNoteLineItem(OfCompany):
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
    account_ref: AccountRef | None = nested(AccountRef)
    tax_rate_ref: TaxRateRef | None = nested(TaxRateRef)
    item_ref: NamedRef | None = nested(NamedRef)
    created_from_line_ref: LineRef | None = nested(LineRef)
    tracking_category_refs: list[NamedRef] | None = nested(
        NamedRef, deprecation_reason="Codat deprecated it: use tracking.categoryRefs."
    )
    tracking: Tracking | None = nested(Tracking)

    @strawberry.field(description="The account the line is coded to (`accountRef`).")
    def account(self, info: Info) -> Account | None:
        ref = self.model.account_ref
        return field_result(referenced(info, Account, self.company_id, ref, "name"))

    @strawberry.field(description="The line's tax rate (`taxRateRef`).")
    def tax_rate(self, info: Info) -> TaxRate | None:
        ref = self.model.tax_rate_ref
        carried = ("name", "effective_tax_rate")
        return field_result(referenced(info, TaxRate, self.company_id, ref, *carried))

    @strawberry.field(description="The line's tracking categories (from either kind of ref).")
    def tracking_categories(self, info: Info) -> list[TrackingCategory]:
        refs = _tracking_refs(self.model.tracking_category_refs, self.model.tracking)
        return field_result(_tracking_categories(info, self.company_id, refs))
