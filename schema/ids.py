"""Global ids: a record's node id is `{companyId}:{recordId}`; a company's is its own id.

The rule for every id argument (`company(id:)`, `bill(id:)`, `supplier(id:)`, `billPayment(id:)`,
the `...Id` fields of every input): it takes the `id` a query returned (a global id) or Codat's
own id (`codatId`). A value that is exactly the global id of an object of the expected type is
read as one; a global id of another type is refused (BAD_USER_INPUT), as is a record's global id
under another company than the one asked about. Anything else is Codat's id, as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strawberry.relay import GlobalID, GlobalIDValueError

from gateway.codat.types import CompanyId
from schema.errors import UserInputError


@dataclass(frozen=True, slots=True)
class RecordKey:
    """Which company's record, by Codat's ids; the record id is opaque and may hold colons."""

    company_id: CompanyId
    record_id: str

    def as_loader_key(self) -> tuple[CompanyId, str]:
        return (self.company_id, self.record_id)


def format_node_id(company_id: str, record_id: str) -> str:
    """The node id of a record: the company comes first, since it has no colon."""
    return f"{company_id}:{record_id}"


def parse_node_id(node_id: str) -> RecordKey:
    """Split on the first colon; UserInputError when either side is missing."""
    company_id, colon, record_id = node_id.partition(":")
    if not colon or not company_id or not record_id:
        raise UserInputError(f"{node_id!r} is not a record id of the form companyId:recordId")
    return RecordKey(CompanyId(company_id), record_id)


def parse_company_node_id(node_id: str) -> CompanyId:
    if not node_id or ":" in node_id:
        raise UserInputError(f"{node_id!r} is not a company id")
    return CompanyId(node_id)


def parse_global_id(value: str) -> GlobalID:
    """A Relay global id (base64 of `TypeName:nodeId`), or UserInputError."""
    try:
        global_id = GlobalID.from_id(value)
    except GlobalIDValueError:
        raise UserInputError(f"{value!r} is not a global id") from None
    if not global_id.type_name or not global_id.node_id:
        raise UserInputError(f"{value!r} is not a global id")
    return global_id


def company_id_from_argument(value: str) -> CompanyId:
    """A company given as Codat's id or as a `Company` global id."""
    global_id = _as_global_id(value)
    if global_id is None:
        return parse_company_node_id(value)
    if global_id.type_name != "Company":
        raise UserInputError(f"{value!r} is the id of a {global_id.type_name}, not of a company")
    return parse_company_node_id(global_id.node_id)


BILL = ("Bill",)
SUPPLIER = ("Supplier",)
ACCOUNT = ("Account", "BankAccount")
TAX_RATE = ("TaxRate",)
PAYMENT_METHOD = ("PaymentMethod",)
TRACKING_CATEGORY = ("TrackingCategory",)
BILL_CREDIT_NOTE = ("BillCreditNote",)
"""The global id types an argument naming a record of each kind may be given as."""

_TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")


def _as_global_id(value: str) -> GlobalID | None:
    """`value` read as a global id only when it is exactly one (it encodes back to itself), of a
    GraphQL type name; a Codat id is never taken for one by accident."""
    try:
        global_id = GlobalID.from_id(value)
    except (GlobalIDValueError, ValueError):
        return None
    if not _TYPE_NAME.fullmatch(global_id.type_name) or not global_id.node_id:
        return None
    if str(global_id) != value:
        return None
    return global_id


def record_id_from_argument(value: str, company_id: CompanyId, *type_names: str) -> str:
    """Codat's id of a record of `company_id` given as its global id (of one of `type_names`)
    or as Codat's id (see the module's rule); UserInputError for another type's or company's."""
    global_id = _as_global_id(value)
    if global_id is None:
        return value
    expected = " or ".join(type_names)
    if global_id.type_name not in type_names:
        raise UserInputError(f"{value!r} is the id of a {global_id.type_name}, not of a {expected}")
    key = parse_node_id(global_id.node_id)
    if key.company_id != company_id:
        raise UserInputError(
            f"{value!r} is the id of a {global_id.type_name} of company {key.company_id}, "
            f"not of company {company_id}"
        )
    return key.record_id


def optional_record_id(value: str | None, company_id: CompanyId, *type_names: str) -> str | None:
    return None if value is None else record_id_from_argument(value, company_id, *type_names)
