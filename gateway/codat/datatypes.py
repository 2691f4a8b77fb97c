"""The readable data types in one table, so caches and loaders can address any of them uniformly.

Each entry says what Codat calls the type (the `DataType` used in `dataStatus`, refresh and
webhooks), the path segment under `/companies/{companyId}/data/` (accounts are `chartOfAccounts`
as a data type but `accounts` in the path), and the models for a listed record and a fetched one
(tracking categories list flat but fetch as a tree).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gateway.codat.models import (
    Account,
    Bill,
    BillCreditNote,
    BillPayment,
    CodatModel,
    DataType,
    PaymentMethod,
    Supplier,
    TaxRate,
    TrackingCategory,
    TrackingCategoryTree,
)

ListT = TypeVar("ListT", bound=CodatModel, covariant=True)
GetT = TypeVar("GetT", bound=CodatModel, covariant=True)
M = TypeVar("M", bound=CodatModel)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadableDataType(Generic[ListT, GetT]):
    """One data type read from Codat's cache with `GET /companies/{companyId}/data/{path}`."""

    data_type: DataType
    path: str
    list_model: type[ListT]
    get_model: type[GetT]

    @property
    def name(self) -> str:
        """Codat's name for the type, e.g. `chartOfAccounts`."""
        return self.data_type.value

    def __repr__(self) -> str:
        return f"ReadableDataType({self.data_type.value!r}, path={self.path!r})"


def _one_model(data_type: DataType, path: str, model: type[M]) -> ReadableDataType[M, M]:
    """A data type whose list and single-record reads give the same model."""
    return ReadableDataType(data_type=data_type, path=path, list_model=model, get_model=model)


BILLS = _one_model(DataType.BILLS, "bills", Bill)
BILL_PAYMENTS = _one_model(DataType.BILL_PAYMENTS, "billPayments", BillPayment)
BILL_CREDIT_NOTES = _one_model(DataType.BILL_CREDIT_NOTES, "billCreditNotes", BillCreditNote)
SUPPLIERS = _one_model(DataType.SUPPLIERS, "suppliers", Supplier)
ACCOUNTS = _one_model(DataType.CHART_OF_ACCOUNTS, "accounts", Account)
PAYMENT_METHODS = _one_model(DataType.PAYMENT_METHODS, "paymentMethods", PaymentMethod)
TAX_RATES = _one_model(DataType.TAX_RATES, "taxRates", TaxRate)
TRACKING_CATEGORIES = ReadableDataType(
    data_type=DataType.TRACKING_CATEGORIES,
    path="trackingCategories",
    list_model=TrackingCategory,
    get_model=TrackingCategoryTree,
)

READABLE_DATA_TYPES: Mapping[DataType, ReadableDataType[Any, Any]] = {
    entry.data_type: entry
    for entry in (
        BILLS,
        BILL_PAYMENTS,
        BILL_CREDIT_NOTES,
        SUPPLIERS,
        ACCOUNTS,
        PAYMENT_METHODS,
        TAX_RATES,
        TRACKING_CATEGORIES,
    )
}
"""Every readable data type, keyed by its Codat `DataType`."""

DATA_TYPES_BY_PATH: Mapping[str, ReadableDataType[Any, Any]] = {
    entry.path: entry for entry in READABLE_DATA_TYPES.values()
}
"""The same entries keyed by path segment (`accounts` -> chart of accounts)."""


def readable(data_type: DataType | str) -> ReadableDataType[Any, Any]:
    """The entry for a data type given as a `DataType` or Codat's name; KeyError if not readable."""
    key = DataType(data_type)
    try:
        return READABLE_DATA_TYPES[key]
    except KeyError:
        raise KeyError(f"{data_type!r} is not a data type the gateway reads") from None
