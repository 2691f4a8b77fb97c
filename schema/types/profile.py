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
from schema.types.common import Address, many, supplemental
from schema.types.connection_data import ConnectionBankAccount, MappingOptions


@strawberry.type(description="A company tag (Codat's `tags` map, one entry).")
class Tag:
    key: str
    value: str

    @classmethod
    def from_mapping(cls, tags: dict[str, str] | None) -> list[Tag]:
        return [cls(key=key, value=value) for key, value in (tags or {}).items()]


@strawberry.type(description="A parent or subsidiary company, as Codat references it.")
class CompanyReference:
    id: str | None
    name: str | None
    description: str | None
    tags: list[Tag]

    @classmethod
    def from_model(cls, model: models.CompanyReference) -> Self:
        return cls(
            id=model.id,
            name=model.name,
            description=model.description,
            tags=Tag.from_mapping(model.tags),
        )


@strawberry.type(description="An error a data connection reported.")
class DataConnectionError:
    status_code: str | None
    status_text: str | None
    error_message: str | None
    errored_on_utc: CodatDateTime | None
    status: ConnectionErrorStatus | None
    resolved_on_utc: CodatDateTime | None

    @classmethod
    def from_model(cls, model: models.DataConnectionError) -> Self:
        return cls(
            status_code=model.status_code,
            status_text=model.status_text,
            error_message=model.error_message,
            errored_on_utc=model.errored_on_utc,
            status=model.status,
            resolved_on_utc=model.resolved_on_utc,
        )


@strawberry.type(
    name="DataConnectionLink",
    description="A company's link to one piece of software (Codat's data connection; named so "
    "that only Relay connections end in Connection).",
)
class DataConnection:
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
    data_connection_errors: list[DataConnectionError] | None
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
        return cls(
            model=model,
            company_id=company_id,
            id=model.id,
            integration_id=model.integration_id,
            integration_key=model.integration_key,
            source_id=model.source_id,
            source_type=model.source_type,
            platform_name=model.platform_name,
            link_url=model.link_url,
            status=model.status,
            last_sync=model.last_sync,
            created=model.created,
            data_connection_errors=many(
                model.data_connection_errors, DataConnectionError.from_model
            ),
            connection_info=None if model.connection_info is None else JSON(model.connection_info),
        )


@strawberry.type(description="A phone number of the company.")
class PhoneNumber:
    number: str | None
    type: PhoneNumberType

    @classmethod
    def from_model(cls, model: models.PhoneNumber) -> Self:
        return cls(number=model.number, type=model.type)


@strawberry.type(description="A web link of the company.")
class WebLink:
    type: WebLinkType
    url: str | None

    @classmethod
    def from_model(cls, model: models.WebLink) -> Self:
        return cls(type=model.type, url=model.url)


@strawberry.type(description="The company's accounting profile, from its software.")
class CompanyInfo:
    model: strawberry.Private[models.CompanyInfo]
    company_name: str | None
    accounting_platform_ref: str | None
    company_legal_name: str | None
    addresses: list[Address] | None
    phone_numbers: list[PhoneNumber] | None
    web_links: list[WebLink] | None
    ledger_lock_date: CodatDateTime | None
    registration_number: str | None
    tax_number: str | None
    financial_year_start_date: CodatDateTime | None
    base_currency: str | None
    source_urls: JSON | None
    created_date: CodatDateTime | None
    supplemental_data: JSON | None

    @classmethod
    def from_model(cls, model: models.CompanyInfo) -> Self:
        return cls(
            model=model,
            company_name=model.company_name,
            accounting_platform_ref=model.accounting_platform_ref,
            company_legal_name=model.company_legal_name,
            addresses=many(model.addresses, Address.from_model),
            phone_numbers=many(model.phone_numbers, PhoneNumber.from_model),
            web_links=many(model.web_links, WebLink.from_model),
            ledger_lock_date=model.ledger_lock_date,
            registration_number=model.registration_number,
            tax_number=model.tax_number,
            financial_year_start_date=model.financial_year_start_date,
            base_currency=model.base_currency,
            source_urls=None if model.source_urls is None else JSON(model.source_urls),
            created_date=model.created_date,
            supplemental_data=supplemental(model.supplemental_data),
        )


@strawberry.type(description="One data type's sync state in Codat's cache.")
class DataStatus:
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
            return cls(
                data_type=DataType(name),
                data_type_name=name,
                current_status=None,
                last_successful_sync=None,
                latest_sync_id=None,
                latest_successful_sync_id=None,
            )
        return cls(
            data_type=model.data_type,
            data_type_name=name,
            current_status=model.current_status,
            last_successful_sync=model.last_successful_sync,
            latest_sync_id=model.latest_sync_id,
            latest_successful_sync_id=model.latest_successful_sync_id,
        )
