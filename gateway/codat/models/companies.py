"""Companies, their data connections, company info, and the sync status of their datasets."""

from __future__ import annotations

from typing import Any

from gateway.codat.models.base import CodatModel
from gateway.codat.models.common import Address, SupplementalData
from gateway.codat.models.enums import (
    ConnectionErrorStatus,
    ConnectionStatus,
    DataType,
    PhoneNumberType,
    PullOperationStatus,
    SourceType,
    WebLinkType,
)
from gateway.codat.types import CodatDateTime, CompanyId, ConnectionId


class DataConnectionError(CodatModel):
    status_code: str | None = None
    status_text: str | None = None
    error_message: str | None = None
    errored_on_utc: CodatDateTime | None = None
    status: ConnectionErrorStatus | None = None
    resolved_on_utc: CodatDateTime | None = None


class Connection(CodatModel):
    id: ConnectionId
    integration_id: str
    integration_key: str | None = None
    source_id: str
    source_type: SourceType = SourceType.Unknown
    platform_name: str
    link_url: str
    status: ConnectionStatus
    last_sync: CodatDateTime | None = None
    created: CodatDateTime
    data_connection_errors: tuple[DataConnectionError, ...] | None = None
    connection_info: dict[str, Any] | None = None


class CompanyReference(CodatModel):
    id: CompanyId | None = None
    name: str | None = None
    description: str | None = None
    tags: dict[str, str] | None = None


class Company(CodatModel):
    id: CompanyId
    name: str
    description: str | None = None
    redirect: str
    last_sync: CodatDateTime | None = None
    created: CodatDateTime | None = None
    created_by_user_name: str | None = None
    products: tuple[str, ...] = ()
    tags: dict[str, str] = {}
    reference_parent_company: CompanyReference | None = None
    reference_subsidiary_companies: tuple[CompanyReference, ...] = ()
    data_connections: tuple[Connection, ...] = ()


class PhoneNumber(CodatModel):
    number: str | None = None
    type: PhoneNumberType = PhoneNumberType.Unknown


class WebLink(CodatModel):
    type: WebLinkType = WebLinkType.Unknown
    url: str | None = None


class CompanyInfo(CodatModel):
    """The company's accounting profile (`GET /companies/{id}/data/info`)."""

    company_name: str | None = None
    accounting_platform_ref: str | None = None
    company_legal_name: str | None = None
    addresses: tuple[Address, ...] | None = None
    phone_numbers: tuple[PhoneNumber, ...] | None = None
    web_links: tuple[WebLink, ...] | None = None
    ledger_lock_date: CodatDateTime | None = None
    registration_number: str | None = None
    tax_number: str | None = None
    financial_year_start_date: CodatDateTime | None = None
    base_currency: str | None = None
    source_urls: dict[str, str] | None = None
    created_date: CodatDateTime | None = None
    supplemental_data: SupplementalData | None = None


class DataStatus(CodatModel):
    """One data type's sync state; a never-synced type may come without `currentStatus`."""

    data_type: DataType
    current_status: PullOperationStatus | None = None
    last_successful_sync: CodatDateTime | None = None
    latest_sync_id: str | None = None
    latest_successful_sync_id: str | None = None


class PullOperation(CodatModel):
    """A dataset: one fetch of one data type from the company's software into Codat's cache."""

    id: str
    company_id: CompanyId
    connection_id: ConnectionId
    data_type: str
    status: PullOperationStatus
    status_description: str | None = None
    error_message: str | None = None
    requested: CodatDateTime
    completed: CodatDateTime | None = None
    progress: int = 0
    is_completed: bool = False
    is_errored: bool = False
