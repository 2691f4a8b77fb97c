"""Data sync lifecycle: pulls go Queued -> Fetching -> Complete, then reads are announced."""

from __future__ import annotations

from typing import Any

from sandbox import events
from sandbox.errors import CodatError
from sandbox.runtime import Sandbox
from sandbox.store import Company, utc_now_precise
from sandbox.webhooks import client_id

Record = dict[str, Any]


def _pull(sandbox: Sandbox, company: Company, data_type: str) -> Record:
    return {
        "id": sandbox.store.new_uuid(),
        "companyId": company.id,
        "connectionId": company.connection_id,
        "dataType": data_type,
        "status": "Queued",
        "requested": utc_now_precise(),
        "progress": 0,
        "isCompleted": False,
        "isErrored": False,
    }


def queue(sandbox: Sandbox, company: Company, data_types: list[str]) -> list[Record]:
    """Queue a pull per data type (skipping ones in progress); returns the new pulls."""
    pulls: list[Record] = []
    for data_type in data_types:
        state = company.sync[data_type]
        if state.in_progress:
            continue
        pull = _pull(sandbox, company, data_type)
        company.pulls[pull["id"]] = pull
        state.current_status = "Queued"
        state.latest_sync_id = pull["id"]
        pulls.append(pull)
    if pulls:
        delay = sandbox.config.sync_delay_seconds
        sandbox.timers.later(delay / 2, lambda: _fetching(pulls, company))
        sandbox.timers.later(delay, lambda: _complete(sandbox, company, pulls))
    return pulls


def queue_one(sandbox: Sandbox, company: Company, data_type: str) -> Record:
    """Queue one data type; Codat refuses while a previous sync of it is still in progress."""
    state = company.sync[data_type]
    if state.in_progress:
        raise CodatError(
            400,
            f"DatasetAlreadyInProgressException: Cannot queue {data_type} sync for {company.id} "
            f"as previous sync {state.latest_sync_id} is still in progress",
        )
    return queue(sandbox, company, [data_type])[0]


def _fetching(pulls: list[Record], company: Company) -> None:
    for pull in pulls:
        if pull["status"] == "Queued":
            pull["status"] = "Fetching"
            pull["progress"] = 50
            company.sync[pull["dataType"]].current_status = "Fetching"


def _complete(sandbox: Sandbox, company: Company, pulls: list[Record]) -> None:
    now = utc_now_precise()
    summaries: list[Record] = []
    legacy: list[Record] = []
    cid, cname = client_id(sandbox.config), sandbox.config.client_name
    for pull in pulls:
        data_type = pull["dataType"]
        state = company.sync[data_type]
        failure = sandbox.knobs.pull_failures.pop((company.id, data_type), None)
        if failure is not None:
            summaries.append(_failed(sandbox, company, pull, failure, legacy))
            continue
        modified = state.modified_since_sync or not state.ever_completed
        company.sync_from_software(data_type)
        pull.update(status="Complete", progress=100, isCompleted=True, completed=now)
        state.current_status = "Complete"
        state.ever_completed = True
        state.last_successful_sync = now
        state.latest_successful_sync_id = pull["id"]
        state.modified_since_sync = False
        summaries.append(events.data_type_summary(company, data_type, modified, "Complete"))
        data = {"dataType": data_type, "datasetId": pull["id"]}
        message = f"Data sync of type {data_type} completed for company {company.id}"
        legacy.append(events.legacy(company, cid, cname, events.DATA_SYNC_COMPLETED, message, data))
        if modified:
            message = f"Data of type {data_type} changed for company {company.id}"
            legacy.append(
                events.legacy(company, cid, cname, events.DATASET_DATA_CHANGED, message, data)
            )
    company.record["lastSync"] = now
    company.connection["lastSync"] = now
    initial = not company.initial_read_done
    if initial and all(state.ever_completed for state in company.sync.values()):
        company.initial_read_done = True
        message = f"Company {company.id} synced for the first time"
        legacy.append(
            events.legacy(company, cid, cname, events.NEW_COMPANY_SYNCHRONIZED, message, None)
        )
    sandbox.dispatcher.emit(events.read_completed(company, summaries, initial), legacy)


def _failed(
    sandbox: Sandbox,
    company: Company,
    pull: Record,
    failure: tuple[str, str],
    legacy: list[Record],
) -> Record:
    """A pull that ends in an error status (the knob): the cache keeps what it had, the dataset
    says why, `read.completed` lists the error status, and the legacy rule
    "Data Sync Status Changed To Error" fires (catalogue: DataSyncStatusChangedToError)."""
    status, message = failure
    data_type = pull["dataType"]
    state = company.sync[data_type]
    pull.update(
        status=status,
        progress=100,
        isCompleted=False,
        isErrored=True,
        completed=utc_now_precise(),
        errorMessage=message,
    )
    state.current_status = status
    cid, cname = client_id(sandbox.config), sandbox.config.client_name
    data = {"dataType": data_type, "datasetStatus": status, "datasetId": pull["id"]}
    text = f"Data sync of type {data_type} for company {company.id} changed to {status}"
    legacy.append(events.legacy(company, cid, cname, events.DATA_SYNC_ERROR, text, data))
    return events.data_type_summary(company, data_type, False, status, message)


def announce_change(sandbox: Sandbox, company: Company, data_types: list[str]) -> None:
    """Records changed in the cache (a knob: a change synced at once): read.completed with
    recordsModified."""
    now = utc_now_precise()
    summaries: list[Record] = []
    legacy: list[Record] = []
    cid, cname = client_id(sandbox.config), sandbox.config.client_name
    for data_type in data_types:
        state = company.sync[data_type]
        sync_id = sandbox.store.new_uuid()
        state.last_successful_sync = now
        state.latest_sync_id = state.latest_successful_sync_id = sync_id
        state.modified_since_sync = False
        summaries.append(events.data_type_summary(company, data_type, True, "Complete"))
        data = {"dataType": data_type, "datasetId": sync_id}
        message = f"Data of type {data_type} changed for company {company.id}"
        legacy.append(
            events.legacy(company, cid, cname, events.DATASET_DATA_CHANGED, message, data)
        )
    sandbox.dispatcher.emit(events.read_completed(company, summaries, False), legacy)
