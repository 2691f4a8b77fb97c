"""Companies, connections, company info, data status, refresh and pull-operation history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from sandbox import events, fields, syncs
from sandbox.errors import CodatError
from sandbox.fields import Kind
from sandbox.jsonio import JSONResponse, loads
from sandbox.paging import paged
from sandbox.query import compile_query, parse, paths
from sandbox.runtime import sandbox_of
from sandbox.store import SYNCED_DATA_TYPES, Company
from sandbox.webhooks import client_id

router = APIRouter()

Record = dict[str, Any]


def _company(request: Request, company_id: str) -> Company:
    return sandbox_of(request).store.company(company_id)


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _tag_filter(tags_query: str | None, companies: list[Record]) -> list[Record]:
    """The `tags` parameter: the query language applied to each company's tags."""
    if not tags_query:
        return companies
    kinds: dict[str, Kind] = dict.fromkeys(paths(parse(tags_query)), "string")
    predicate = compile_query(tags_query, kinds)
    assert predicate is not None
    return [c for c in companies if predicate(c.get("tags", {}))]


@router.get("/companies")
async def list_companies(request: Request) -> JSONResponse:
    store = sandbox_of(request).store
    companies = [company.record for company in store.companies.values()]
    companies = _tag_filter(request.query_params.get("tags"), companies)
    return JSONResponse(paged("/companies", companies, _params(request), fields.COMPANIES))


@router.get("/companies/{company_id}")
async def get_company(request: Request, company_id: str) -> JSONResponse:
    return JSONResponse(_company(request, company_id).record)


@router.get("/companies/{company_id}/connections")
async def list_connections(request: Request, company_id: str) -> JSONResponse:
    company = _company(request, company_id)
    path = f"/companies/{company_id}/connections"
    return JSONResponse(paged(path, [company.connection], _params(request), fields.CONNECTIONS))


@router.get("/companies/{company_id}/connections/{connection_id}")
async def get_connection(request: Request, company_id: str, connection_id: str) -> JSONResponse:
    return JSONResponse(_company(request, company_id).require_connection(connection_id))


@router.patch("/companies/{company_id}/connections/{connection_id}")
async def update_connection(request: Request, company_id: str, connection_id: str) -> JSONResponse:
    """Unlink (or, sandbox-only, relink) a connection and announce it (connection.*)."""
    sandbox = sandbox_of(request)
    company = _company(request, company_id)
    connection = company.require_connection(connection_id)
    try:
        body = loads(await request.body() or b"{}")
    except ValueError:
        raise CodatError(400, "The request body is not valid JSON.") from None
    status = body.get("status") if isinstance(body, dict) else None
    if status not in {"Unlinked", "Linked", "Deauthorized", "PendingAuth", None}:
        raise CodatError(400, f"'{status}' is not a valid connection status.")
    if status is not None and status != connection["status"]:
        old = connection["status"]
        connection["status"] = status
        event_type = "connection.reconnected" if status == "Linked" else "connection.disconnected"
        data = {
            "dataConnectionId": connection_id,
            "platformKey": connection["integrationKey"],
            "newStatus": status,
            "oldStatus": old,
        }
        legacy = events.legacy(
            company,
            client_id(sandbox.config),
            sandbox.config.client_name,
            "DataConnectionStatusChanged",
            f"Data connection {connection_id} changed status from {old} to {status}",
            data,
        )
        sandbox.dispatcher.emit(events.connection_event(company, event_type), [legacy])
    return JSONResponse(connection)


@router.get("/companies/{company_id}/data/info")
async def get_company_info(request: Request, company_id: str) -> JSONResponse:
    company = _company(request, company_id)
    company.require_synced("company")
    return JSONResponse(company.info)


@router.get("/companies/{company_id}/dataStatus")
async def get_data_status(request: Request, company_id: str) -> JSONResponse:
    company = _company(request, company_id)
    return JSONResponse({name: state.as_data_status() for name, state in company.sync.items()})


@router.post("/companies/{company_id}/data/all")
async def refresh_all(request: Request, company_id: str) -> Response:
    sandbox = sandbox_of(request)
    syncs.queue(sandbox, _company(request, company_id), list(SYNCED_DATA_TYPES))
    return Response(status_code=204)


@router.post("/companies/{company_id}/data/queue/{data_type}")
async def refresh_data_type(request: Request, company_id: str, data_type: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    company = _company(request, company_id)
    connection_id = request.query_params.get("connectionId")
    if connection_id:
        company.require_connection(connection_id)
    if data_type not in company.sync:
        raise CodatError(
            404,
            f"Datatype {data_type} not supported by platform(s)"
            f" {company.connection['platformName']}",
        )
    return JSONResponse(syncs.queue_one(sandbox, company, data_type))


@router.get("/companies/{company_id}/data/history")
async def list_pull_operations(request: Request, company_id: str) -> JSONResponse:
    company = _company(request, company_id)
    path = f"/companies/{company_id}/data/history"
    pulls = list(company.pulls.values())
    return JSONResponse(paged(path, pulls, _params(request), fields.PULL_OPERATIONS))


@router.get("/companies/{company_id}/data/history/{dataset_id}")
async def get_pull_operation(request: Request, company_id: str, dataset_id: str) -> JSONResponse:
    pull = _company(request, company_id).pulls.get(dataset_id)
    if pull is None:
        raise CodatError(404, f"No dataset was found with ID {dataset_id}")
    return JSONResponse(pull)
