"""Companies, connections, company info, data status, refresh and pull-operation history."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response

from sandbox import events, fields, syncs
from sandbox.catalogue import PLATFORMS
from sandbox.errors import CodatError
from sandbox.fields import Kind
from sandbox.jsonio import JSONResponse, loads
from sandbox.links import announce_status
from sandbox.paging import paged
from sandbox.query import compile_query, parse, paths
from sandbox.runtime import Sandbox, sandbox_of
from sandbox.store import SYNCED_DATA_TYPES, Company

router = APIRouter()

Record = dict[str, Any]


def _company(request: Request, company_id: str) -> Company:
    return sandbox_of(request).store.company(company_id)


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _page(
    request: Request, path: str, records: Iterable[Record], kind: Mapping[str, Kind]
) -> JSONResponse:
    """One page of `records` (listed at `path`), as the request's query and paging ask."""
    return JSONResponse(paged(path, list(records), _params(request), kind))


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
    return _page(request, "/companies", companies, fields.COMPANIES)


# Characters CompanyRequestBody.name allows (its `pattern`); Codat removes the others.
_NAME_ALLOWED = re.compile(r"[^A-Za-z0-9\s\-',&@.?!]")
_PLATFORM_NAMES = {key: name for name, key in PLATFORMS}


async def _json_body(request: Request) -> Record:
    try:
        body = loads(await request.body() or b"{}")
    except ValueError:
        raise CodatError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise CodatError(400, "The request body must be a JSON object.")
    return body


def _company_fields(body: Record, *, partial: bool) -> Record:
    """name (forbidden characters removed), description and tags, checked as Codat does."""
    changes: Record = {}
    name = body.get("name")
    if name is not None or not partial:
        cleaned = _NAME_ALLOWED.sub("", name).strip() if isinstance(name, str) else ""
        if not cleaned:
            raise CodatError(400, "Company name is required and must contain letters or digits.")
        changes["name"] = cleaned
    description = body.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise CodatError(400, "Company description must be a string.")
        changes["description"] = description
    tags = body.get("tags")
    if tags is not None:
        ok = isinstance(tags, dict) and all(
            isinstance(k, str) and isinstance(v, str) and len(v) <= 100 for k, v in tags.items()
        )
        if not ok:
            raise CodatError(400, "Company tags must map strings to strings of at most 100.")
        changes["tags"] = dict(tags)
    return changes


def _announce_company(sandbox: Sandbox, company: Company, event_type: str) -> None:
    sandbox.dispatcher.emit(events.company_event(company, event_type), [])


@router.post("/companies")
async def create_company(request: Request) -> JSONResponse:
    """A company with no connection; `redirect` is its Link URL."""
    sandbox = sandbox_of(request)
    fields_ = _company_fields(await _json_body(request), partial=False)
    company = sandbox.store.create_company(
        fields_["name"], fields_.get("description"), fields_.get("tags", {})
    )
    _announce_company(sandbox, company, "company.created")
    return JSONResponse(company.record)


@router.get("/companies/{company_id}")
async def get_company(request: Request, company_id: str) -> JSONResponse:
    return JSONResponse(_company(request, company_id).record)


@router.put("/companies/{company_id}")
async def replace_company(request: Request, company_id: str) -> JSONResponse:
    """PUT replaces name, description and tags (absent ones are cleared)."""
    company = _company(request, company_id)
    changes = _company_fields(await _json_body(request), partial=False)
    company.record.pop("description", None)
    company.record["tags"] = {}
    company.record.update(changes)
    return JSONResponse(company.record)


@router.patch("/companies/{company_id}")
async def update_company(request: Request, company_id: str) -> JSONResponse:
    """PATCH changes only the fields given (CompanyUpdateRequest: null ones are left alone)."""
    company = _company(request, company_id)
    company.record.update(_company_fields(await _json_body(request), partial=True))
    return JSONResponse(company.record)


@router.delete("/companies/{company_id}")
async def delete_company(request: Request, company_id: str) -> Response:
    sandbox = sandbox_of(request)
    company = _company(request, company_id)
    del sandbox.store.companies[company.id]
    _announce_company(sandbox, company, "company.deleted")
    return Response(status_code=204)


@router.get("/companies/{company_id}/connections")
async def list_connections(request: Request, company_id: str) -> JSONResponse:
    connections = _company(request, company_id).connections.values()
    return _page(request, f"/companies/{company_id}/connections", connections, fields.CONNECTIONS)


@router.post("/companies/{company_id}/connections")
async def create_connection(request: Request, company_id: str) -> JSONResponse:
    """A PendingAuth connection to the platform `platformKey`; its linkUrl starts the link."""
    sandbox = sandbox_of(request)
    company = _company(request, company_id)
    key = (await _json_body(request)).get("platformKey")
    name = _PLATFORM_NAMES.get(key) if isinstance(key, str) else None
    if name is None or not isinstance(key, str):
        # The operation declares no 400: Codat answers an unknown integration as not found.
        raise CodatError(404, f"No integration was found with platform key '{key}'.")
    connection = sandbox.store.add_connection(company, key, name)
    event = events.connection_event(company, "connection.created", connection)
    sandbox.dispatcher.emit(event, [])
    return JSONResponse(connection)


@router.delete("/companies/{company_id}/connections/{connection_id}")
async def delete_connection(request: Request, company_id: str, connection_id: str) -> Response:
    """Revoke and remove a connection (not reversible); 200 with no body, as the spec says."""
    sandbox = sandbox_of(request)
    company = _company(request, company_id)
    connection = sandbox.store.remove_connection(company, connection_id)
    sandbox.dispatcher.emit(events.connection_event(company, "connection.deleted", connection), [])
    return Response(status_code=200)


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
        announce_status(sandbox, company, connection, old, event_type)
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
    if data_type not in company.sync or not company.connections:
        platform = company.connection["platformName"] if company.connections else "none"
        raise CodatError(404, f"Datatype {data_type} not supported by platform(s) {platform}")
    return JSONResponse(syncs.queue_one(sandbox, company, data_type))


@router.get("/companies/{company_id}/data/history")
async def list_pull_operations(request: Request, company_id: str) -> JSONResponse:
    pulls = _company(request, company_id).pulls.values()
    return _page(request, f"/companies/{company_id}/data/history", pulls, fields.PULL_OPERATIONS)


@router.get("/companies/{company_id}/data/history/{dataset_id}")
async def get_pull_operation(request: Request, company_id: str, dataset_id: str) -> JSONResponse:
    pull = _company(request, company_id).pulls.get(dataset_id)
    if pull is None:
        raise CodatError(404, f"No dataset was found with ID {dataset_id}")
    return JSONResponse(pull)
