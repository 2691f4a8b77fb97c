"""Shapes shared by several records (references, metadata, addresses) and record lookups by id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
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
from schema.planner import from_ref
from schema.types.base import FromModel, Record, nested

T = TypeVar("T")
R = TypeVar("R")
RecordT = TypeVar("RecordT", bound=Record)


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


def referenced(
    info: Info, node: type[RecordT], company_id: CompanyId, ref: Any, *carried: str
) -> MaybeAwaitable[RecordT | None]:
    """The record a Codat ref names (None without a ref): answered from the ref when the
    selection asks for nothing but its id and its `carried` fields (schema/planner.py), else
    looked up by id."""
    if ref is None:
        return None
    values = {name: getattr(ref, name) for name in carried}
    answered = from_ref(info, node, company_id, ref.id, **values)
    return read_node(info, node, company_id, ref.id) if answered is None else answered


def read_node(
    info: Info, node: type[RecordT], company_id: CompanyId, record_id: str | None
) -> MaybeAwaitable[RecordT | None]:
    """`lookup` of a record, as its node (None when absent)."""
    found = lookup(info, node.DATA_TYPE, company_id, record_id)
    return then(found, lambda record: node.from_model(company_id, record) if record else None)


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


def supplemental(data: models.SupplementalData | None) -> JSON | None:
    return None if data is None or data.content is None else JSON(data.content)


@strawberry.type(description="A reference to a supplier (`supplierRef`).")
class SupplierRef(FromModel):
    id: str
    supplier_name: str | None


@strawberry.type(description="A reference to an account (`accountRef`).")
class AccountRef(FromModel):
    id: str | None
    name: str | None


@strawberry.type(description="A reference to a tax rate (`taxRateRef`).")
class TaxRateRef(FromModel):
    id: str | None
    name: str | None
    effective_tax_rate: Decimal | None


@strawberry.type(description="A reference to a record with an id and a name.")
class NamedRef(FromModel):
    id: str
    name: str | None


@strawberry.type(description="A reference to a customer (`customerRef`).")
class CustomerRef(FromModel):
    id: str
    company_name: str | None


@strawberry.type(description="A reference to a line of another record.")
class LineRef(FromModel):
    id: str | None
    data_type: str | None
    line_number: str | None


@strawberry.type(description="How a line is tracked: categories, customer, project, rebilling.")
class Tracking(FromModel):
    category_refs: list[NamedRef] = nested(NamedRef)
    customer_ref: CustomerRef | None = nested(CustomerRef)
    project_ref: NamedRef | None = nested(NamedRef)
    is_billed_to: BilledToType
    is_rebilled_to: BilledToType


@strawberry.type(description="Codat's bookkeeping about a record.")
class Metadata(FromModel):
    is_deleted: bool | None = strawberry.field(
        description="True when the record was deleted in the source since the last sync."
    )


@strawberry.type(description="A postal address.")
class Address(FromModel):
    type: AddressType
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    country: str | None
    postal_code: str | None


@strawberry.type(description="Tax withheld from a bill or credit note.")
class WithholdingTax(FromModel):
    name: str
    amount: Decimal


@strawberry.type(description="The payment side of a payment allocation.")
class PaymentAllocationPayment(FromModel):
    id: str | None
    note: str | None
    reference: str | None
    account_ref: AccountRef | None = nested(AccountRef)
    currency: str | None
    currency_rate: Decimal | None
    paid_on_date: CodatDateTime | None
    total_amount: Decimal | None


@strawberry.type(description="How much of a payment was allocated here, and when.")
class Allocation(FromModel):
    currency: str | None
    currency_rate: Decimal | None
    allocated_on_date: CodatDateTime | None
    total_amount: Decimal | None


@strawberry.type(description="Which data types may reference this record, per property.")
class ValidDataTypeLinks(FromModel):
    property: str | None
    links: list[str] | None
