"""The sandbox's mutable state: companies, their cached records, sync status, pulls and pushes."""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox import fields
from sandbox.config import SandboxConfig
from sandbox.errors import (
    NOT_REQUESTED,
    STILL_SYNCING,
    CodatError,
    company_not_found,
    connection_not_found,
    record_not_found,
)
from sandbox.fields import Kind
from sandbox.records import Attachment, codat_utc
from sandbox.seed import generate

Record = dict[str, Any]


@dataclass(frozen=True)
class DataTypeSpec:
    """A cached data type: its URL segment, its Codat dataType name and its queryable fields."""

    path: str
    data_type: str
    fields: Mapping[str, Kind]


DATA_TYPES: dict[str, DataTypeSpec] = {
    spec.path: spec
    for spec in (
        DataTypeSpec("bills", "bills", fields.BILLS),
        DataTypeSpec("billPayments", "billPayments", fields.BILL_PAYMENTS),
        DataTypeSpec("billCreditNotes", "billCreditNotes", fields.BILL_CREDIT_NOTES),
        DataTypeSpec("suppliers", "suppliers", fields.SUPPLIERS),
        DataTypeSpec("accounts", "chartOfAccounts", fields.ACCOUNTS),
        DataTypeSpec("paymentMethods", "paymentMethods", fields.PAYMENT_METHODS),
        DataTypeSpec("taxRates", "taxRates", fields.TAX_RATES),
        DataTypeSpec("trackingCategories", "trackingCategories", fields.TRACKING_CATEGORIES),
    )
}
BY_DATA_TYPE: dict[str, DataTypeSpec] = {spec.data_type: spec for spec in DATA_TYPES.values()}
# Bank accounts are read per connection (`/connections/{id}/data/bankAccounts`, Codat's
# Accounting API), not from the company-wide cache the v1 spec lists.
BANK_ACCOUNTS = "bankAccounts"
# Every data type the sandbox syncs; "company" is the company info (/data/info). These are also
# the types it fetches on first link (codat-notes §7: payables needs bankAccounts, bills,
# billPayments, chartOfAccounts, company, paymentMethods, suppliers set to fetch on first link).
SYNCED_DATA_TYPES: tuple[str, ...] = (*BY_DATA_TYPE, BANK_ACCOUNTS, "company")
DATA_TYPE_OF: dict[str, str] = {
    **{path: spec.data_type for path, spec in DATA_TYPES.items()},
    BANK_ACCOUNTS: BANK_ACCOUNTS,
}
"""Codat's data type name of each records path (accounts are chartOfAccounts)."""


def utc_now() -> str:
    """Now, as Codat writes record dates (`modifiedDate`: whole seconds)."""
    return codat_utc(datetime.now(UTC))


def utc_now_precise() -> str:
    """Now, as Codat writes push and pull times: fractional seconds (the v1 examples'
    `requestedOnUtc` "2023-03-31T14:53:44.6401039Z", `requested` "2022-11-14T11:18:37.2798351Z"),
    so a pull requested a moment after a push completed reads as later than it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class SyncState:
    """One data type's dataset status for one company."""

    data_type: str
    current_status: str = "Initial"
    ever_completed: bool = False
    last_successful_sync: str | None = None
    latest_sync_id: str | None = None
    latest_successful_sync_id: str | None = None
    modified_since_sync: bool = False

    @property
    def in_progress(self) -> bool:
        return self.current_status in {"Queued", "Fetching"}

    def as_data_status(self) -> Record:
        status: Record = {"dataType": self.data_type, "currentStatus": self.current_status}
        if self.last_successful_sync is not None:
            status["lastSuccessfulSync"] = self.last_successful_sync
        if self.latest_sync_id is not None:
            status["latestSyncId"] = self.latest_sync_id
        if self.latest_successful_sync_id is not None:
            status["latestSuccessfulSyncId"] = self.latest_successful_sync_id
        return status


@dataclass
class Company:
    """One company: its Company and Connection records, cache, sync state and operations."""

    record: Record
    connections: dict[str, Record]
    info: Record
    records: dict[str, dict[str, Record]]
    attachments: dict[str, list[Attachment]]
    sync: dict[str, SyncState]
    pulls: dict[str, Record] = field(default_factory=dict)
    pushes: dict[str, Record] = field(default_factory=dict)
    initial_read_done: bool = True
    software: dict[str, dict[str, Record]] | None = None
    """The company's accounting software, once a push changed it: `records` is Codat's cache
    of it, which shows a pushed change only after a pull of that data type (`sync_from_software`).
    Codat stopped storing pushed data in its cache on 2024-01-10 (codat-notes.md §7: "Records
    written through Codat are not put in its cache")."""

    def source(self) -> dict[str, dict[str, Record]]:
        """The accounting software's records (a push validates against and changes these)."""
        if self.software is None:
            self.software = copy.deepcopy(self.records)
        return self.software

    def sync_from_software(self, data_type: str) -> None:
        """A pull of `data_type` completed: Codat's cache now has the software's records."""
        if self.software is None:
            return
        for path, of in DATA_TYPE_OF.items():
            if of == data_type:
                self.records[path] = copy.deepcopy(self.software[path])

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def connection(self) -> Record:
        """The connection data lives behind: the first linked one, else the first one."""
        linked = [c for c in self.connections.values() if c["status"] == "Linked"]
        found = linked or list(self.connections.values())
        if not found:
            raise CodatError(404, f"Company {self.id} has no data connection")
        return found[0]

    @property
    def connection_id(self) -> str:
        return str(self.connection["id"])

    def reference(self) -> Record:
        """The companyReference used in webhook payloads."""
        return {
            "id": self.id,
            "name": self.record["name"],
            "description": self.record.get("description", ""),
            "links": {"portal": f"https://app.codat.io/companies/{self.id}/summary"},
            "tags": dict(self.record.get("tags", {})),
        }

    def require_connection(self, connection_id: str) -> Record:
        found = self.connections.get(connection_id)
        if found is None:
            raise connection_not_found(connection_id)
        return found

    def require_synced(self, data_type: str) -> None:
        """409 unless this data type has completed at least one sync."""
        state = self.sync[data_type]
        if not state.ever_completed:
            raise CodatError(409, STILL_SYNCING if state.in_progress else NOT_REQUESTED)

    def cached(self, path: str) -> dict[str, Record]:
        """The cached records of a data type (by URL segment), or 409 if never synced."""
        spec = DATA_TYPES[path]
        self.require_synced(spec.data_type)
        return self.records[path]

    def cached_record(self, path: str, record_id: str) -> Record:
        record = self.cached(path).get(record_id)
        if record is None:
            raise record_not_found(path, record_id)
        return record


class Store:
    """All companies, rebuilt from the seed on reset."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.companies: dict[str, Company] = {}
        self.rng = random.Random(config.seed)
        self.reset()

    def active_connected_companies(self) -> int:
        """Companies with a Linked connection: what Codat's daily quota is counted from."""
        return sum(
            any(c["status"] == "Linked" for c in company.connections.values())
            for company in self.companies.values()
        )

    def reset(self) -> None:
        self.rng = random.Random(f"{self.config.seed}:runtime")
        seeds = generate(self.config)
        first_unsynced = len(seeds) - self.config.unsynced_companies
        self.companies = {}
        for index, seed in enumerate(seeds):
            synced = index < first_unsynced
            sync = {
                name: self._initial_sync(name, seed.company, synced) for name in SYNCED_DATA_TYPES
            }
            company = Company(
                record=seed.company,
                connections={seed.connection["id"]: seed.connection},
                info=seed.info,
                records=seed.records,
                attachments=seed.attachments,
                sync=sync,
                initial_read_done=synced,
            )
            if not synced:
                company.record.pop("lastSync", None)
                company.connection.pop("lastSync", None)
            for state in company.sync.values():
                self._seed_pull(company, state)
            self.companies[company.id] = company

    def _initial_sync(self, data_type: str, company: Record, synced: bool) -> SyncState:
        if not synced:
            return SyncState(data_type)
        sync_id = self.new_uuid()
        return SyncState(
            data_type,
            current_status="Complete",
            ever_completed=True,
            last_successful_sync=company["lastSync"],
            latest_sync_id=sync_id,
            latest_successful_sync_id=sync_id,
        )

    @staticmethod
    def _seed_pull(company: Company, state: SyncState) -> None:
        """The dataset a seeded sync state names, so `data/history/{datasetId}` answers for it
        as Codat's does for every id `dataStatus` gives."""
        if state.latest_successful_sync_id is None or state.last_successful_sync is None:
            return
        at = state.last_successful_sync
        company.pulls[state.latest_successful_sync_id] = {
            "id": state.latest_successful_sync_id,
            "companyId": company.id,
            "connectionId": company.connection_id,
            "dataType": state.data_type,
            "status": "Complete",
            "requested": at,
            "completed": at,
            "progress": 100,
            "isCompleted": True,
            "isErrored": False,
        }

    def new_uuid(self) -> str:
        """A fresh id; deterministic for a seed, so runs are reproducible."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def company(self, company_id: str) -> Company:
        found = self.companies.get(company_id)
        if found is None:
            raise company_not_found(company_id)
        return found

    def create_company(self, name: str, description: str | None, tags: dict[str, str]) -> Company:
        """A new company with no connection and nothing synced (as `POST /companies` makes)."""
        company_id = self.new_uuid()
        record: Record = {
            "id": company_id,
            "name": name,
            "redirect": f"https://link.codat.io/company/{company_id}",
            "created": utc_now(),
            "createdByUserName": "sandbox@codat.example",
            "products": ["payables"],
            "tags": dict(tags),
            "referenceSubsidiaryCompanies": [],
            "dataConnections": [],
        }
        if description is not None:
            record["description"] = description
        company = Company(
            record=record,
            connections={},
            info={},
            records={path: {} for path in DATA_TYPE_OF},
            attachments={},
            sync={name: SyncState(name) for name in SYNCED_DATA_TYPES},
            initial_read_done=False,
        )
        self.companies[company_id] = company
        return company

    def add_connection(self, company: Company, platform_key: str, platform_name: str) -> Record:
        """A new PendingAuth connection; the end user completes it through its linkUrl."""
        connection_id = self.new_uuid()
        connection: Record = {
            "id": connection_id,
            "integrationId": str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"codat-integration:{platform_key}")
            ),
            "integrationKey": platform_key,
            "sourceId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"codat-source:{platform_key}")),
            "sourceType": "Accounting",
            "platformName": platform_name,
            "linkUrl": (
                f"https://link-api.codat.io/companies/{company.id}/connections/{connection_id}/start"
            ),
            "status": "PendingAuth",
            "created": utc_now(),
            "dataConnectionErrors": [],
        }
        company.connections[connection_id] = connection
        company.record.setdefault("dataConnections", []).append(connection)
        return connection

    def remove_connection(self, company: Company, connection_id: str) -> Record:
        connection = company.require_connection(connection_id)
        del company.connections[connection_id]
        company.record["dataConnections"] = [
            c for c in company.record.get("dataConnections", []) if c["id"] != connection_id
        ]
        return connection

    def touch(self, company: Company, path: str, record: Record) -> None:
        """Mark a record as changed in Codat's cache now."""
        record["modifiedDate"] = utc_now()
        record.setdefault("sourceModifiedDate", record["modifiedDate"])
        company.sync[DATA_TYPE_OF[path]].modified_since_sync = True

    def summary(self) -> Record:
        """Company ids and record counts, for tests and benchmarks."""
        return {
            "seed": self.config.seed,
            "today": self.config.today.isoformat(),
            "companies": [
                {
                    "id": company.id,
                    "name": company.record["name"],
                    "connectionId": company.connection_id if company.connections else None,
                    "synced": company.initial_read_done,
                    "counts": {path: len(records) for path, records in company.records.items()},
                    "attachments": sum(len(files) for files in company.attachments.values()),
                }
                for company in self.companies.values()
            ],
        }
