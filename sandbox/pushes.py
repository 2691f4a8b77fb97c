"""Push operations: Pending now; later Success (the software changed), Failed or TimedOut.

A successful push changes the company's software, not Codat's cache: reads show it after a pull
of the data types it changed (a refresh, or the scheduled sync), as Codat does since 2024-01-10.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sandbox import events
from sandbox.push_rules import Outcome
from sandbox.runtime import Sandbox
from sandbox.store import Company, utc_now_precise
from sandbox.webhooks import client_id

Record = dict[str, Any]


def start(
    sandbox: Sandbox,
    company: Company,
    data_type: str,
    write_type: str,
    timeout_minutes: int | None,
    decide: Callable[[], Outcome],
    connection_id: str | None = None,
) -> Record:
    """Record a Pending push and schedule its completion; returns the Pending PushOperation.

    A push to a connection that is not Linked is accepted and then fails (statusCode 401) when
    it is processed: the software can no longer be reached (inference, sandbox/README.md).
    """
    connection = company.require_connection(connection_id) if connection_id else company.connection
    operation: Record = {
        "changes": [],
        "dataType": data_type,
        "companyId": company.id,
        "pushOperationKey": sandbox.store.new_uuid(),
        "dataConnectionKey": connection["id"],
        "requestedOnUtc": utc_now_precise(),
        "status": "Pending",
        "validation": {"errors": [], "warnings": []},
        "statusCode": 202,
    }
    if timeout_minutes is not None:
        operation["timeoutInMinutes"] = timeout_minutes
    company.pushes[operation["pushOperationKey"]] = operation
    delay = sandbox.config.push_delay_seconds
    if timeout_minutes is not None and timeout_minutes * 60 < delay:
        sandbox.timers.later(
            max(0.0, timeout_minutes * 60.0),
            lambda: _time_out(sandbox, company, operation, write_type),
        )
    else:
        sandbox.timers.later(
            delay,
            lambda: _finish(sandbox, company, operation, write_type, _decide(connection, decide)),
        )
    return copy.deepcopy(operation)


def _decide(connection: Record, decide: Callable[[], Outcome]) -> Outcome:
    """The push's outcome, as the connection is when it is processed."""
    if connection["status"] != "Linked":
        outcome = Outcome(status_code=401)
        outcome.error(
            connection["id"],
            f"The data connection {connection['id']} is {connection['status']}: the company must"
            " link its software again before data can be written.",
            "DataConnectionStatusValidator",
        )
        return outcome
    return decide()


def _finish(
    sandbox: Sandbox, company: Company, operation: Record, write_type: str, outcome: Outcome
) -> None:
    operation["completedOnUtc"] = utc_now_precise()
    if outcome.errors:
        operation.update(
            status="Failed",
            statusCode=outcome.status_code,
            validation={"errors": outcome.errors, "warnings": []},
        )
        operation["errorMessage"] = "Push failed validation: " + "; ".join(
            e["message"] for e in outcome.errors
        )
    else:
        assert outcome.apply is not None
        outcome.apply()
        operation.update(status="Success", statusCode=200, changes=outcome.changes)
    # The software changed; Codat's cache shows it after the next pull of those data types
    # (store.Company.software): no read.completed now, unlike before 2024-01-10.
    _announce(sandbox, company, operation, write_type)


def _time_out(sandbox: Sandbox, company: Company, operation: Record, write_type: str) -> None:
    operation.update(status="TimedOut", statusCode=504, completedOnUtc=utc_now_precise())
    operation["errorMessage"] = (
        f"Push operation timed out after {operation['timeoutInMinutes']} minutes."
    )
    _announce(sandbox, company, operation, write_type)


def _announce(sandbox: Sandbox, company: Company, operation: Record, write_type: str) -> None:
    cid, cname = client_id(sandbox.config), sandbox.config.client_name
    data = {
        "dataType": operation["dataType"],
        "status": operation["status"],
        "pushOperationKey": operation["pushOperationKey"],
    }
    message = (
        f"{operation['dataType']} triggered notification for PushOperationStatusChanged"
        f" at {operation['completedOnUtc']}"
    )
    legacy = [events.legacy(company, cid, cname, events.PUSH_STATUS_CHANGED, message, data)]
    if operation["status"] == "TimedOut":
        timed_out = {
            "dataType": operation["dataType"],
            "pushOperationKey": operation["pushOperationKey"],
            "pushOperationGuid": operation["pushOperationKey"],
        }
        message = f"Push operation {operation['pushOperationKey']} timed out"
        legacy.append(events.legacy(company, cid, cname, events.PUSH_TIMED_OUT, message, timed_out))
    sandbox.dispatcher.emit(events.write_event(company, operation, write_type), legacy)
