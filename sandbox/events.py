"""Webhook payloads: Platform API envelopes and legacy rule bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sandbox.store import Company

Record = dict[str, Any]

# RuleType strings exactly as Codat's legacy rules service sends them.
DATASET_DATA_CHANGED = "Dataset data changed"
DATA_SYNC_COMPLETED = "Data sync completed"
NEW_COMPANY_SYNCHRONIZED = "New company synchronized"
PUSH_STATUS_CHANGED = "Push Operation Status Changed()"
PUSH_TIMED_OUT = "Push Operation Timed Out"
DATA_SYNC_ERROR = "Data Sync Status Changed To Error"
RATE_LIMIT_REACHED = "Rate Limit Reached"
RATE_LIMIT_RESET = "Rate Limit Reset"

WRITE_TYPES = {"Created": "Create", "Modified": "Update", "Deleted": "Delete"}


def generated_date() -> str:
    """Now, in the form Codat uses for generatedDate: 2022-10-23T00:00:00.000Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def envelope(event_type: str, payload: Record) -> Record:
    """The Platform API webhook envelope."""
    return {
        "id": str(uuid.uuid4()),
        "eventType": event_type,
        "generatedDate": generated_date(),
        "payload": payload,
    }


def read_completed(company: Company, summaries: list[Record], initial: bool) -> Record:
    """read.completed(.initial): one dataTypes entry per data type read."""
    payload: Record = {
        "referenceCompany": company.reference(),
        "modifiedFromDate": generated_date(),
        "dataTypes": summaries,
    }
    return envelope("read.completed.initial" if initial else "read.completed", payload)


def data_type_summary(
    company: Company, data_type: str, modified: bool, status: str, issue: str | None = None
) -> Record:
    summary: Record = {
        "connectionId": company.connection_id,
        "dataType": data_type,
        "recordsModified": modified,
        "status": status,
    }
    if issue is not None:
        summary["issues"] = [{"type": "error.read", "message": issue}]
    return summary


def write_event(company: Company, operation: Record, write_type: str) -> Record:
    """{dataType}.write.successful or .unsuccessful for a finished push operation."""
    outcome = "successful" if operation["status"] == "Success" else "unsuccessful"
    payload: Record = {
        "id": operation["pushOperationKey"],
        "type": write_type,
        "referenceCompany": company.reference(),
        "connectionId": operation["dataConnectionKey"],
        "requestedOnDate": operation["requestedOnUtc"],
        "completedOnDate": operation.get("completedOnUtc", generated_date()),
        "status": operation["status"],
    }
    changes = operation.get("changes") or []
    if changes and changes[0].get("recordRef", {}).get("id"):
        payload["record"] = {"id": changes[0]["recordRef"]["id"]}
    if changes and changes[0].get("attachmentId"):
        payload["attachmentId"] = changes[0]["attachmentId"]
    return envelope(f"{operation['dataType']}.write.{outcome}", payload)


def connection_event(company: Company, event_type: str, connection: Record | None = None) -> Record:
    """connection.* with the connection (by default the company's) as it is now."""
    chosen = company.connection if connection is None else connection
    payload = {"referenceCompany": company.reference(), "connection": dict(chosen)}
    return envelope(event_type, payload)


def company_event(company: Company, event_type: str) -> Record:
    """company.created / company.deleted: the payload is the company's details."""
    details = {k: v for k, v in company.record.items() if k != "dataConnections"}
    return envelope(event_type, details)


def legacy(
    company: Company,
    client_id: str,
    client_name: str,
    rule_type: str,
    message: str,
    data: Record | None,
    connection_id: str | None = None,
) -> Record:
    """A legacy rule-based webhook body (flat PascalCase)."""
    body: Record = {
        "ClientId": client_id,
        "ClientName": client_name,
        "CompanyId": company.id,
        "DataConnectionId": connection_id or company.connection_id,
        "RuleId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"codat-sandbox-rule:{rule_type}")),
        "RuleType": rule_type,
        "AlertId": str(uuid.uuid4()),
        "Message": message,
    }
    if data is not None:
        body["Data"] = data
    return body


def legacy_client(
    client_id: str, client_name: str, rule_type: str, message: str, data: Record
) -> Record:
    """A legacy body about the client, not a company (ClientRateLimitReached/Reset: the
    catalogue's schemas have no CompanyId or DataConnectionId)."""
    return {
        "ClientId": client_id,
        "ClientName": client_name,
        "RuleId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"codat-sandbox-rule:{rule_type}")),
        "RuleType": rule_type,
        "AlertId": str(uuid.uuid4()),
        "Message": message,
        "Data": data,
    }
