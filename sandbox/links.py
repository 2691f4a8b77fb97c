"""Completing a connection's link, as the end user would through its linkUrl, and the first sync.

Codat links a connection when the end user finishes its Link flow; then the data types set to
"fetch on first link" are queued (codat-notes §7). The sandbox has no Link UI, so a knob
(`POST /_sandbox/companies/{companyId}/connections/{connectionId}/link`) does it: the connection
turns Linked (`connection.connected`, or `connection.reconnected` after an unlink; legacy
`DataConnectionStatusChanged`), a new company's software is filled with generated data, and the
first sync is queued: Queued -> Fetching -> Complete, then `read.completed.initial` and the
legacy "Data sync completed", "Dataset data changed" and "New company synchronized".
"""

from __future__ import annotations

from typing import Any

from sandbox import events, syncs
from sandbox.runtime import Sandbox
from sandbox.seed import software
from sandbox.store import SYNCED_DATA_TYPES, Company, utc_now
from sandbox.webhooks import client_id

Record = dict[str, Any]


def link(sandbox: Sandbox, company: Company, connection: Record) -> list[Record]:
    """Link `connection`; returns the pull operations of the first sync (none after that)."""
    old = connection["status"]
    if old != "Linked":
        connection["status"] = "Linked"
        event_type = "connection.connected" if old == "PendingAuth" else "connection.reconnected"
        announce_status(sandbox, company, connection, old, event_type)
    if company.initial_read_done:
        return []
    if not company.info:
        _fill(sandbox, company)
    waiting = [name for name, state in company.sync.items() if not state.ever_completed]
    return syncs.queue(sandbox, company, [t for t in SYNCED_DATA_TYPES if t in waiting])


def announce_status(
    sandbox: Sandbox, company: Company, connection: Record, old: str, event_type: str
) -> None:
    """Tell the webhooks that `connection` went from `old` to its status now: `event_type`
    (connection.*) and the legacy `DataConnectionStatusChanged`."""
    new = connection["status"]
    data = {
        "dataConnectionId": connection["id"],
        "platformKey": connection["integrationKey"],
        "newStatus": new,
        "oldStatus": old,
    }
    legacy = events.legacy(
        company,
        client_id(sandbox.config),
        sandbox.config.client_name,
        "DataConnectionStatusChanged",
        f"Data connection {connection['id']} changed status from {old} to {new}",
        data,
        connection["id"],
    )
    sandbox.dispatcher.emit(events.connection_event(company, event_type, connection), [legacy])


def _fill(sandbox: Sandbox, company: Company) -> None:
    """What the newly linked software holds, generated as a seeded company's would be."""
    index = sandbox.config.companies + sum(1 for c in sandbox.store.companies.values() if c.info)
    held = software(sandbox.config, index)
    company.records = held.records
    company.attachments = held.attachments
    company.info = {**held.info, "companyName": company.record["name"]}


def fail(sandbox: Sandbox, company: Company, connection: Record, reason: str) -> None:
    """The end user's Link flow fails (cancelled, wrong credentials): the connection stays
    PendingAuth with an active `dataConnectionErrors` entry, and `connection.failed` is sent
    (Platform `webhooks:` connection.failed, "a connection failed linking", whose example
    carries exactly this). No legacy rule matches: the status did not change."""
    errors = connection.setdefault("dataConnectionErrors", [])
    errors.append(
        {
            "statusCode": "403",
            "statusText": reason,
            "errorMessage": reason,
            "erroredOnUtc": utc_now(),
            "status": "Active",
        }
    )
    sandbox.dispatcher.emit(events.connection_event(company, "connection.failed", connection), [])
