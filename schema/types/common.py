"""Shapes shared by several records (references, metadata, addresses) and node lookups by id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.models import DataType
from gateway.codat.types import CodatDateTime, CompanyId
from gateway.reads.loaders import MISSING
from schema.context import Info
from schema.enums import AddressType, BilledToType
from schema.errors import NotFoundError
from schema.ids import parse_node_id

T = TypeVar("T")
R = TypeVar("R")


MaybeAwaitable: TypeAlias = T | Awaitable[T]


def then(value: MaybeAwaitable[T], convert: Callable[[T], R]) -> MaybeAwaitable[R]:
    """`convert(value)` now if the value is here, else once it arrives."""
    if isinstance(value, Awaitable):
        pending: Awaitable[T] = value

        async def converted() -> R:
            return convert(await pending)

        return converted()
    return convert(value)


def field_result(value: MaybeAwaitable[T]) -> T:
    """Hand graphql-core a value, or an awaitable of it, under the field's own type.

    graphql-core awaits a resolver's result when it is awaitable, so a plain `def` resolver may
    return a coroutine when (and only when) its data is not in memory yet. On the warm path the
    value is returned directly, which skips the coroutine, task and gather per field that
    dominated warm execution (see bench/results/dashboard-profile.txt).
    """
    return cast(T, value)


def lookup(
    info: Info, data_type: DataType, company_id: CompanyId, record_id: str | None
) -> MaybeAwaitable[Any]:
    """One record by id (None when absent): at once if held in memory, else a batched load."""
    if not record_id:
        return None
    loader = info.context.loaders.records(data_type)
    key = (company_id, record_id)
    record = loader.peek(key)
    return loader.load(key) if record is MISSING else record


def lookup_many(
    info: Info, data_type: DataType, company_id: CompanyId, ids: Iterable[str | None]
) -> MaybeAwaitable[list[Any]]:
    """The records of these ids that exist, in order, duplicates dropped; one batched load."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    if not wanted:
        return []
    loader = info.context.loaders.records(data_type)
    keys = [(company_id, record_id) for record_id in wanted]
    held = [loader.peek(key) for key in keys]
    if all(record is not MISSING for record in held):
        return _present(held)
    pending: Awaitable[list[Any]] = loader.load_many(keys)
    return then(pending, _present)


def _present(records: list[Any]) -> list[Any]:
    return [record for record in records if record is not None]


async def load_records(
    info: Info, data_type: DataType, company_id: CompanyId, ids: Iterable[str | None]
) -> list[Any]:
    """`lookup_many`, awaited."""
    found = lookup_many(info, data_type, company_id, ids)
    return await found if isinstance(found, Awaitable) else found


async def load_record(
    info: Info, data_type: DataType, company_id: CompanyId, record_id: str | None
) -> Any:
    """`lookup`, awaited."""
    found = lookup(info, data_type, company_id, record_id)
    return await found if isinstance(found, Awaitable) else found


async def resolve_record_nodes(
    info: Info,
    data_type: DataType,
    node_ids: Iterable[str],
    wrap: Callable[[CompanyId, Any], T | None],
    *,
    required: bool,
) -> list[T | None]:
    """`Node.resolve_nodes` for a Codat record type: node ids are `{companyId}:{recordId}`."""
    keys = [parse_node_id(node_id) for node_id in node_ids]
    loader = info.context.loaders.records(data_type)
    found = await loader.load_many([key.as_loader_key() for key in keys])
    nodes = [
        None if record is None else wrap(key.company_id, record)
        for key, record in zip(keys, found, strict=True)
    ]
    if required and any(node is None for node in nodes):
        missing = [k.record_id for k, n in zip(keys, nodes, strict=True) if n is None]
        raise NotFoundError(f"no {data_type.value} record with id {', '.join(missing)}")
    return nodes


def supplemental(data: models.SupplementalData | None) -> JSON | None:
    return None if data is None or data.content is None else JSON(data.content)


def many(items: Sequence[Any] | None, convert: Callable[[Any], T]) -> list[T] | None:
    """Codat's optional arrays: None stays None (not sent), otherwise converted item by item."""
    return None if items is None else [convert(item) for item in items]


@strawberry.type(description="A reference to a supplier (`supplierRef`).")
class SupplierRef:
    id: str
    supplier_name: str | None

    @classmethod
    def from_model(cls, model: models.SupplierRef) -> SupplierRef:
        return cls(id=model.id, supplier_name=model.supplier_name)


@strawberry.type(description="A reference to an account (`accountRef`).")
class AccountRef:
    id: str | None
    name: str | None

    @classmethod
    def from_model(cls, model: models.AccountRef) -> AccountRef:
        return cls(id=model.id, name=model.name)


@strawberry.type(description="A reference to a tax rate (`taxRateRef`).")
class TaxRateRef:
    id: str | None
    name: str | None
    effective_tax_rate: Decimal | None

    @classmethod
    def from_model(cls, model: models.TaxRateRef) -> TaxRateRef:
        return cls(id=model.id, name=model.name, effective_tax_rate=model.effective_tax_rate)


@strawberry.type(description="A reference to a record with an id and a name.")
class NamedRef:
    id: str
    name: str | None

    @classmethod
    def from_model(
        cls,
        model: models.ItemRef
        | models.PaymentMethodRef
        | models.TrackingCategoryRef
        | models.ProjectRef,
    ) -> NamedRef:
        return cls(id=model.id, name=model.name)


@strawberry.type(description="A reference to a customer (`customerRef`).")
class CustomerRef:
    id: str
    company_name: str | None

    @classmethod
    def from_model(cls, model: models.CustomerRef) -> CustomerRef:
        return cls(id=model.id, company_name=model.company_name)


@strawberry.type(description="A reference to a line of another record.")
class LineRef:
    id: str | None
    data_type: str | None
    line_number: str | None

    @classmethod
    def from_model(cls, model: models.LineRef) -> LineRef:
        return cls(id=model.id, data_type=model.data_type, line_number=model.line_number)


@strawberry.type(description="How a line is tracked: categories, customer, project, rebilling.")
class Tracking:
    category_refs: list[NamedRef]
    customer_ref: CustomerRef | None
    project_ref: NamedRef | None
    is_billed_to: BilledToType
    is_rebilled_to: BilledToType

    @classmethod
    def from_model(cls, model: models.Tracking) -> Tracking:
        return cls(
            category_refs=[NamedRef.from_model(ref) for ref in model.category_refs],
            customer_ref=None
            if model.customer_ref is None
            else CustomerRef.from_model(model.customer_ref),
            project_ref=None
            if model.project_ref is None
            else NamedRef.from_model(model.project_ref),
            is_billed_to=model.is_billed_to,
            is_rebilled_to=model.is_rebilled_to,
        )


@strawberry.type(description="Codat's bookkeeping about a record.")
class Metadata:
    is_deleted: bool | None = strawberry.field(
        description="True when the record was deleted in the source since the last sync."
    )

    @classmethod
    def from_model(cls, model: models.Metadata | None) -> Metadata | None:
        return None if model is None else cls(is_deleted=model.is_deleted)


@strawberry.type(description="A postal address.")
class Address:
    type: AddressType
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    country: str | None
    postal_code: str | None

    @classmethod
    def from_model(cls, model: models.Address) -> Address:
        return cls(
            type=model.type,
            line1=model.line1,
            line2=model.line2,
            city=model.city,
            region=model.region,
            country=model.country,
            postal_code=model.postal_code,
        )


@strawberry.type(description="Tax withheld from a bill or credit note.")
class WithholdingTax:
    name: str
    amount: Decimal

    @classmethod
    def from_model(cls, model: models.WithholdingTax) -> WithholdingTax:
        return cls(name=model.name, amount=model.amount)


@strawberry.type(description="The payment side of a payment allocation.")
class PaymentAllocationPayment:
    id: str | None
    note: str | None
    reference: str | None
    account_ref: AccountRef | None
    currency: str | None
    currency_rate: Decimal | None
    paid_on_date: CodatDateTime | None
    total_amount: Decimal | None

    @classmethod
    def from_model(cls, model: models.PaymentAllocationPayment) -> PaymentAllocationPayment:
        return cls(
            id=model.id,
            note=model.note,
            reference=model.reference,
            account_ref=None
            if model.account_ref is None
            else AccountRef.from_model(model.account_ref),
            currency=model.currency,
            currency_rate=model.currency_rate,
            paid_on_date=model.paid_on_date,
            total_amount=model.total_amount,
        )


@strawberry.type(description="How much of a payment was allocated here, and when.")
class Allocation:
    currency: str | None
    currency_rate: Decimal | None
    allocated_on_date: CodatDateTime | None
    total_amount: Decimal | None

    @classmethod
    def from_model(cls, model: models.Allocation) -> Allocation:
        return cls(
            currency=model.currency,
            currency_rate=model.currency_rate,
            allocated_on_date=model.allocated_on_date,
            total_amount=model.total_amount,
        )


@strawberry.type(description="Which data types may reference this record, per property.")
class ValidDataTypeLinks:
    property: str | None
    links: list[str] | None

    @classmethod
    def from_model(cls, model: models.ValidDataTypeLinks) -> ValidDataTypeLinks:
        return cls(
            property=model.property, links=None if model.links is None else list(model.links)
        )
