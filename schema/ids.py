"""Global ids: a record's node id is `{companyId}:{recordId}`; a company's is its own id."""

from __future__ import annotations

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
    try:
        global_id = GlobalID.from_id(value)
    except GlobalIDValueError:
        return parse_company_node_id(value)
    if global_id.type_name != "Company":
        raise UserInputError(f"{value!r} is the id of a {global_id.type_name}, not of a company")
    return parse_company_node_id(global_id.node_id)
