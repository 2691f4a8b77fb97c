"""Filter inputs, turned into Codat query strings (Codat filters the records; we never do)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Protocol

import strawberry

from gateway.codat.errors import CodatQueryError
from gateway.codat.query import (
    MAX_QUERY_LENGTH,
    Query,
    all_of,
    any_of,
    parse_query,
    validate_query,
    where,
)
from schema.enums import (
    AccountStatus,
    AccountType,
    BillCreditNoteStatus,
    BillStatus,
    DataType,
    PaymentMethodStatus,
    PaymentMethodType,
    PushOperationStatus,
    SupplierStatus,
    TaxRateStatus,
    TrackingCategoryStatus,
)
from schema.errors import UserInputError

_CURRENCY = re.compile(r"[A-Z]{3}")


@contextmanager
def _refusing(argument: str) -> Iterator[None]:
    """Turn the query builder's refusal into a user error that names the argument."""
    try:
        yield
    except CodatQueryError as exc:
        raise UserInputError(f"{argument}: {exc.message}") from None


def _one_of(argument: str, path: str, values: Sequence[Enum] | None) -> list[Query]:
    if values is None:
        return []
    if not values:
        raise UserInputError(f"{argument}: give at least one value, or leave it out")
    with _refusing(argument):
        return [any_of(*(where(path).eq(str(value.value)) for value in dict.fromkeys(values)))]


def _equals(argument: str, path: str, value: str | None) -> list[Query]:
    if value is None:
        return []
    with _refusing(argument):
        return [where(path).eq(value)]


def _currency(argument: str, path: str, value: str | None) -> list[Query]:
    if value is not None and not _CURRENCY.fullmatch(value):
        raise UserInputError(f"{argument}: {value!r} is not an ISO-4217 code such as GBP")
    return _equals(argument, path, value)


def _contains(argument: str, path: str, value: str | None) -> list[Query]:
    if value is None:
        return []
    with _refusing(argument):
        return [where(path).contains(value)]


def _since(argument: str, path: str, value: datetime | None) -> list[Query]:
    if value is None:
        return []
    with _refusing(argument):
        return [where(path).ge(value)]


def _not_deleted(include_deleted: bool) -> list[Query]:
    # Records deleted in the source since the last sync stay in Codat's cache, flagged.
    return [] if include_deleted else [where("metadata.isDeleted").ne(True)]


@strawberry.input(description="An inclusive range of dates; either end may be left open.")
class DateRange:
    from_: date | None = strawberry.field(name="from", default=None, description="On or after.")
    to: date | None = strawberry.field(default=None, description="On or before.")

    def clauses(self, argument: str, path: str) -> list[Query]:
        if self.from_ is not None and self.to is not None and self.from_ > self.to:
            raise UserInputError(f"{argument}: from {self.from_} is after to {self.to}")
        parts: list[Query] = []
        with _refusing(argument):
            if self.from_ is not None:
                parts.append(where(path).ge(self.from_))
            if self.to is not None:
                parts.append(where(path).le(self.to))
        return parts


def _range(argument: str, path: str, value: DateRange | None) -> list[Query]:
    return [] if value is None else value.clauses(argument, path)


_DELETED = "Include records deleted in the source since the last sync (excluded by default)."
_MODIFIED = "Only records Codat's copy of which changed at or after this time (modifiedDate)."
_SUPPLIER = "Only records of this supplier (Codat's supplier id, `supplierRef.id`)."


class Filter(Protocol):
    def clauses(self) -> list[Query]: ...


@strawberry.input(description="Bills to list; every condition must hold.")
class BillFilter:
    status: list[BillStatus] | None = strawberry.field(default=None, description="Any of these.")
    supplier_id: str | None = strawberry.field(default=None, description=_SUPPLIER)
    currency: str | None = strawberry.field(default=None, description="ISO-4217 code.")
    due_date: DateRange | None = None
    issue_date: DateRange | None = None
    has_amount_due: bool | None = strawberry.field(
        default=None, description="true: amountDue > 0; false: amountDue <= 0."
    )
    modified_since: datetime | None = strawberry.field(default=None, description=_MODIFIED)
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        amount_due: list[Query] = []
        if self.has_amount_due is not None:
            zero = where("amountDue")
            amount_due = [zero.gt(Decimal(0)) if self.has_amount_due else zero.le(Decimal(0))]
        return [
            *_one_of("filter.status", "status", self.status),
            *_equals("filter.supplierId", "supplierRef.id", self.supplier_id),
            *_currency("filter.currency", "currency", self.currency),
            *_range("filter.dueDate", "dueDate", self.due_date),
            *_range("filter.issueDate", "issueDate", self.issue_date),
            *amount_due,
            *_since("filter.modifiedSince", "modifiedDate", self.modified_since),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Bill credit notes to list; every condition must hold.")
class BillCreditNoteFilter:
    status: list[BillCreditNoteStatus] | None = strawberry.field(
        default=None, description="Any of these."
    )
    supplier_id: str | None = strawberry.field(default=None, description=_SUPPLIER)
    currency: str | None = strawberry.field(default=None, description="ISO-4217 code.")
    issue_date: DateRange | None = None
    modified_since: datetime | None = strawberry.field(default=None, description=_MODIFIED)
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        return [
            *_one_of("filter.status", "status", self.status),
            *_equals("filter.supplierId", "supplierRef.id", self.supplier_id),
            *_currency("filter.currency", "currency", self.currency),
            *_range("filter.issueDate", "issueDate", self.issue_date),
            *_since("filter.modifiedSince", "modifiedDate", self.modified_since),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Bill payments to list; every condition must hold.")
class BillPaymentFilter:
    supplier_id: str | None = strawberry.field(default=None, description=_SUPPLIER)
    currency: str | None = strawberry.field(default=None, description="ISO-4217 code.")
    date: DateRange | None = strawberry.field(default=None, description="The payment date.")
    modified_since: datetime | None = strawberry.field(default=None, description=_MODIFIED)
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        return [
            *_equals("filter.supplierId", "supplierRef.id", self.supplier_id),
            *_currency("filter.currency", "currency", self.currency),
            *_range("filter.date", "date", self.date),
            *_since("filter.modifiedSince", "modifiedDate", self.modified_since),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Suppliers to list; every condition must hold.")
class SupplierFilter:
    status: list[SupplierStatus] | None = strawberry.field(
        default=None, description="Any of these."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="Part of the supplier's name (`supplierName~...`)."
    )
    default_currency: str | None = strawberry.field(default=None, description="ISO-4217 code.")
    modified_since: datetime | None = strawberry.field(default=None, description=_MODIFIED)
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        return [
            *_one_of("filter.status", "status", self.status),
            *_contains("filter.nameContains", "supplierName", self.name_contains),
            *_currency("filter.defaultCurrency", "defaultCurrency", self.default_currency),
            *_since("filter.modifiedSince", "modifiedDate", self.modified_since),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Accounts (chart of accounts) to list; every condition must hold.")
class AccountFilter:
    is_bank_account: bool | None = strawberry.field(
        default=None, description="Only accounts that are (true) or are not (false) bank accounts."
    )
    status: list[AccountStatus] | None = strawberry.field(default=None, description="Any of these.")
    type: list[AccountType] | None = strawberry.field(default=None, description="Any of these.")
    currency: str | None = strawberry.field(default=None, description="ISO-4217 code.")
    name_contains: str | None = strawberry.field(default=None, description="Part of the name.")
    modified_since: datetime | None = strawberry.field(default=None, description=_MODIFIED)
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        bank: list[Query] = []
        if self.is_bank_account is not None:
            bank = [where("isBankAccount").eq(self.is_bank_account)]
        return [
            *bank,
            *_one_of("filter.status", "status", self.status),
            *_one_of("filter.type", "type", self.type),
            *_currency("filter.currency", "currency", self.currency),
            *_contains("filter.nameContains", "name", self.name_contains),
            *_since("filter.modifiedSince", "modifiedDate", self.modified_since),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Bank accounts to list; every condition must hold.")
class BankAccountFilter:
    status: list[AccountStatus] | None = strawberry.field(default=None, description="Any of these.")
    currency: str | None = strawberry.field(default=None, description="ISO-4217 code.")
    name_contains: str | None = strawberry.field(default=None, description="Part of the name.")
    modified_since: datetime | None = strawberry.field(default=None, description=_MODIFIED)
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        return [
            where("isBankAccount").eq(True),
            *_one_of("filter.status", "status", self.status),
            *_currency("filter.currency", "currency", self.currency),
            *_contains("filter.nameContains", "name", self.name_contains),
            *_since("filter.modifiedSince", "modifiedDate", self.modified_since),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Payment methods to list; every condition must hold.")
class PaymentMethodFilter:
    status: list[PaymentMethodStatus] | None = strawberry.field(
        default=None, description="Any of these."
    )
    type: list[PaymentMethodType] | None = strawberry.field(
        default=None, description="Any of these."
    )
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        return [
            *_one_of("filter.status", "status", self.status),
            *_one_of("filter.type", "type", self.type),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Tax rates to list; every condition must hold.")
class TaxRateFilter:
    status: list[TaxRateStatus] | None = strawberry.field(default=None, description="Any of these.")
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        return [
            *_one_of("filter.status", "status", self.status),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Tracking categories to list; every condition must hold.")
class TrackingCategoryFilter:
    status: list[TrackingCategoryStatus] | None = strawberry.field(
        default=None, description="Any of these."
    )
    include_deleted: bool = strawberry.field(default=False, description=_DELETED)

    def clauses(self) -> list[Query]:
        return [
            *_one_of("filter.status", "status", self.status),
            *_not_deleted(self.include_deleted),
        ]


@strawberry.input(description="Push operations to list; every condition must hold.")
class PushOperationFilter:
    status: list[PushOperationStatus] | None = strawberry.field(
        default=None, description="Any of these."
    )
    data_type: list[DataType] | None = strawberry.field(default=None, description="Any of these.")
    requested_since: datetime | None = strawberry.field(
        default=None, description="Requested at or after this time (requestedOnUtc)."
    )

    def clauses(self) -> list[Query]:
        return [
            *_one_of("filter.status", "status", self.status),
            *_one_of("filter.dataType", "dataType", self.data_type),
            *_since("filter.requestedSince", "requestedOnUtc", self.requested_since),
        ]


def list_query(structured: Filter | None, raw: str | None, *extra: Query) -> str | None:
    """The `query` to send: the structured filter, any fixed clauses, and the raw query, ANDed.

    The raw query is checked with the query module's validator (syntax, braces, values, length)
    and grouped in braces when it is an OR; the whole must stay under Codat's length limit.
    """
    parts: list[Query] = [*extra, *(structured.clauses() if structured is not None else [])]
    if raw is not None:
        with _refusing("query"):
            parts.append(parse_query(validate_query(raw)))
    if not parts:
        return None
    combined = all_of(*parts)
    try:
        return combined.render()
    except CodatQueryError:
        raise UserInputError(
            f"query: the filter and query together are too long for Codat "
            f"(it needs fewer than {MAX_QUERY_LENGTH} URL-encoded characters)"
        ) from None
