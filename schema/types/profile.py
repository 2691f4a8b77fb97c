# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""A company's profile: its data connections, company info, data status, tags and references."""

from __future__ import annotations

from typing import Self

import strawberry
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.types import CodatDateTime, CompanyId, ConnectionId
from schema.context import Info
from schema.enums import (
    ConnectionErrorStatus,
    ConnectionStatus,
    DataType,
    MappingDataType,
    PhoneNumberType,
    PullOperationStatus,
    SourceType,
    WebLinkType,
)
from schema.planner import partial
from schema.types.base import FromModel, ModelType, converted, nested
from schema.types.common import Address, supplemental
from schema.types.connection_data import ConnectionBankAccount, MappingOptions


@strawberry.type(description="A company tag (Codat's `tags` map, one entry).")
class Tag:
    key: str
    value: str

    @classmethod
    def from_mapping(cls, tags: dict[str, str] | None) -> list[Tag]:
        return [cls(key=key, value=value) for key, value in (tags or {}).items()]


@strawberry.type(description="A parent or subsidiary company, as Codat references it.")
class CompanyReference(FromModel):
    id: str | None
    name: str | None
    description: str | None
    tags: list[Tag] = converted(Tag.from_mapping)


@strawberry.type(description="An error a data connection reported.")
class DataConnectionError(FromModel):
    status_code: str | None
    status_text: str | None
    error_message: str | None
    errored_on_utc: CodatDateTime | None
    status: ConnectionErrorStatus | None
    resolved_on_utc: CodatDateTime | None


@strawberry.type(
    name="DataConnectionLink",
    description="A company's link to one piece of software (Codat's data connection; named so "
    "that only Relay connections end in Connection).",
)
class DataConnection(FromModel):
    model: strawberry.Private[models.Connection]
    id: str
    integration_id: str
    integration_key: str | None
    source_id: str
    source_type: SourceType
    platform_name: str
    link_url: str
    status: ConnectionStatus
    last_sync: CodatDateTime | None
    created: CodatDateTime
    data_connection_errors: list[DataConnectionError] | None = nested(DataConnectionError)
    connection_info: JSON | None

    company_id: strawberry.Private[str] = ""

    @strawberry.field(
        description="The software's create/update model of a data type: its fields, which are "
        "required, and their allowed values (accounts, tax rates, bank accounts...)."
    )
    async def mapping_options(self, info: Info, data_type: MappingDataType) -> MappingOptions:
        kind = models.DataType(data_type.value)
        found = await info.context.loaders.upstream.push_options(
            CompanyId(self.company_id), ConnectionId(self.id), kind
        )
        return MappingOptions.from_model(data_type.value, found)

    @strawberry.field(
        description="The bank accounts the software holds, with Codat's bank fields (read per "
        "connection from Codat's Accounting API)."
    )
    async def bank_accounts(
        self, info: Info, first: int = 100, query: str | None = None
    ) -> list[ConnectionBankAccount]:
        size = max(1, min(first, info.context.max_page_size))
        upstream = info.context.loaders.upstream
        if query is not None:
            page = await upstream.client.list_connection_bank_accounts(
                CompanyId(self.company_id), ConnectionId(self.id), page_size=size, query=query
            )
        else:
            page = await upstream.connection_bank_accounts(
                CompanyId(self.company_id), ConnectionId(self.id), size
            )
        return [ConnectionBankAccount.from_model(model) for model in page.results]

    @classmethod
    def from_model(cls, model: models.Connection, company_id: str = "") -> Self:
        return cls.build(model, company_id=company_id)


@strawberry.type(description="A phone number of the company.")
class PhoneNumber(FromModel):
    number: str | None
    type: PhoneNumberType


@strawberry.type(description="A web link of the company.")
class WebLink(FromModel):
    type: WebLinkType
    url: str | None


@strawberry.type(description="The company's accounting profile, from its software.")
class CompanyInfo(FromModel):
    model: strawberry.Private[models.CompanyInfo]
    company_name: str | None
    accounting_platform_ref: str | None
    company_legal_name: str | None
    addresses: list[Address] | None = nested(Address)
    phone_numbers: list[PhoneNumber] | None = nested(PhoneNumber)
    web_links: list[WebLink] | None = nested(WebLink)
    ledger_lock_date: CodatDateTime | None
    registration_number: str | None
    tax_number: str | None
    financial_year_start_date: CodatDateTime | None
    base_currency: str | None
    source_urls: JSON | None
    created_date: CodatDateTime | None
    supplemental_data: JSON | None = converted(supplemental)


@strawberry.type(description="One data type's sync state in Codat's cache.")
class DataStatus(ModelType):
    data_type: DataType
    data_type_name: str = strawberry.field(description="Codat's own name, e.g. chartOfAccounts.")
    current_status: PullOperationStatus | None = strawberry.field(
        description="Absent for a data type that was never synced."
    )
    last_successful_sync: CodatDateTime | None
    latest_sync_id: str | None
    latest_successful_sync_id: str | None

    @classmethod
    def from_entry(cls, name: str, model: models.DataStatus | None) -> Self:
        """One entry of Codat's `dataStatus` map; a null entry is a known type never synced."""
        if model is None:
            return partial(cls, data_type=DataType(name), data_type_name=name)
        return cls.build(model, data_type_name=name)
