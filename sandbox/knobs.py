"""The /_sandbox control API: reset, requests, latency, faults, webhooks, record edits, seed."""

from __future__ import annotations

import copy
import re
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox import links, syncs
from sandbox.errors import CodatError
from sandbox.jsonio import JSONResponse, loads
from sandbox.knobs_state import Fault, Latency
from sandbox.runtime import Sandbox, sandbox_of
from sandbox.store import DATA_TYPES
from sandbox.webhooks import Target

router = APIRouter(prefix="/_sandbox")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


B = TypeVar("B", bound=_Body)


class LatencyBody(_Body):
    ms: float = Field(ge=0, le=120_000)
    jitter_ms: float = Field(0.0, alias="jitterMs", ge=0)
    path_pattern: str | None = Field(None, alias="pathPattern")


class FaultBody(_Body):
    path_pattern: str = Field(".*", alias="pathPattern")
    methods: list[str] | None = None
    kind: Literal["status", "slow", "drop", "lost"] = "status"
    status: int = Field(500, ge=400, le=599)
    retry_after: str | None = Field(None, alias="retryAfter")
    delay_ms: float = Field(0.0, alias="delayMs", ge=0, le=120_000)
    rate: float = Field(1.0, ge=0.0, le=1.0)
    times: int | None = Field(None, ge=1)


class RateLimitsBody(_Body):
    daily_quota: int | None = Field(None, alias="dailyQuota", ge=0)
    remaining: int | None = Field(None, ge=0)
    window_seconds: float | None = Field(None, alias="windowSeconds", ge=0, le=366 * 86400)
    max_concurrency_per_company: int | None = Field(
        None, alias="maxConcurrencyPerCompany", ge=1, le=1000
    )


# The error statuses the catalogue's DataSyncStatusChangedToError lists for read.completed.
PullError = Literal[
    "FetchError",
    "MapError",
    "InternalError",
    "ProcessingError",
    "ValidationError",
    "AuthError",
    "RateLimitError",
    "PermissionsError",
    "PrerequisiteNotMet",
]


class PullFailureBody(_Body):
    data_type: str = Field(alias="dataType")
    status: PullError = "FetchError"
    message: str = Field(
        "The source platform returned an error while fetching data.", max_length=500
    )


class LinkBody(_Body):
    fail: str | None = Field(None, max_length=200)


class TargetBody(_Body):
    url: str
    format: Literal["standard", "legacy"] = "standard"


class WebhooksBody(_Body):
    targets: list[TargetBody] | None = None
    paused: bool | None = None


class KnobError(Exception):
    """A control request the sandbox cannot take: answered 400 `{"error": ...}` (sandbox/app.py)."""

    def response(self) -> JSONResponse:
        return JSONResponse({"error": str(self)}, status_code=400)


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return loads(raw) if raw else {}
    except ValueError as exc:
        raise KnobError(f"invalid JSON: {exc}") from None


async def _json_object(request: Request) -> dict[str, Any]:
    value = await _json(request)
    if not isinstance(value, dict):
        raise KnobError("body must be a JSON object")
    return value


def _validated(model: type[B], raw: Any) -> B:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise KnobError(str(exc)) from None


async def _body(request: Request, model: type[B]) -> B:
    return _validated(model, await _json(request))


def _check_pattern(pattern: str | None) -> None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise KnobError(f"pathPattern is not a valid regex: {exc}") from None


@router.post("/reset")
async def reset(request: Request) -> JSONResponse:
    sandbox_of(request).reset()
    return JSONResponse({"reset": True})


@router.get("/requests")
async def get_requests(request: Request) -> JSONResponse:
    return JSONResponse({"requests": list(sandbox_of(request).knobs.requests)})


@router.delete("/requests")
async def clear_requests(request: Request) -> Response:
    sandbox_of(request).knobs.requests.clear()
    return Response(status_code=204)


@router.put("/latency")
async def set_latency(request: Request) -> JSONResponse:
    body = await _body(request, LatencyBody)
    _check_pattern(body.path_pattern)
    latency = Latency(body.ms, body.jitter_ms, body.path_pattern)
    sandbox_of(request).knobs.latency = latency
    return JSONResponse(latency.as_json())


@router.delete("/latency")
async def clear_latency(request: Request) -> Response:
    sandbox_of(request).knobs.latency = None
    return Response(status_code=204)


@router.post("/faults")
async def add_fault(request: Request) -> JSONResponse:
    body = await _body(request, FaultBody)
    _check_pattern(body.path_pattern)
    methods = tuple(m.upper() for m in body.methods) if body.methods is not None else None
    # FaultBody has Fault's fields, bar the id the knobs give it and the methods' case.
    fault = Fault(id="", methods=methods, **body.model_dump(exclude={"methods"}))
    fault = sandbox_of(request).knobs.add_fault(fault)
    return JSONResponse({"id": fault.id, "fault": fault.as_json()})


@router.get("/faults")
async def list_faults(request: Request) -> JSONResponse:
    return JSONResponse({"faults": [fault.as_json() for fault in sandbox_of(request).knobs.faults]})


@router.delete("/faults")
async def clear_faults(request: Request) -> Response:
    sandbox_of(request).knobs.faults.clear()
    return Response(status_code=204)


def _webhooks_state(sandbox: Sandbox) -> dict[str, Any]:
    dispatcher = sandbox.dispatcher
    return {
        "targets": [target.as_json() for target in dispatcher.targets],
        "paused": dispatcher.paused,
        "deliveries": list(dispatcher.deliveries),
    }


@router.put("/webhooks")
async def set_webhooks(request: Request) -> JSONResponse:
    body = await _body(request, WebhooksBody)
    sandbox = sandbox_of(request)
    if body.targets is not None:
        sandbox.dispatcher.targets = [Target(t.url, t.format) for t in body.targets]
    if body.paused is not None:
        sandbox.dispatcher.paused = body.paused
    return JSONResponse(_webhooks_state(sandbox))


@router.get("/webhooks")
async def get_webhooks(request: Request) -> JSONResponse:
    return JSONResponse(_webhooks_state(sandbox_of(request)))


def _data_type(data_type: str) -> str:
    if data_type not in DATA_TYPES:
        known = ", ".join(DATA_TYPES)
        raise CodatError(404, f"Unknown data type {data_type}; one of {known}")
    return data_type


@router.patch("/companies/{company_id}/data/{data_type}/{record_id}")
async def patch_record(
    request: Request, company_id: str, data_type: str, record_id: str
) -> JSONResponse:
    """Merge a partial record into the cache, as if a sync had brought the change in."""
    sandbox = sandbox_of(request)
    company = sandbox.store.company(company_id)
    path = _data_type(data_type)
    record = company.records[path].get(record_id)
    if record is None:
        raise CodatError(404, f"No {path} record with ID {record_id}")
    change = await _json_object(request)
    _merge(record, {k: v for k, v in change.items() if k != "id"})
    sandbox.store.touch(company, path, record)
    if company.software is not None:  # the change is the software's too, synced at once
        company.software[path][record_id] = copy.deepcopy(record)
    syncs.announce_change(sandbox, company, [DATA_TYPES[path].data_type])
    return JSONResponse(record)


@router.post("/companies/{company_id}/data/{data_type}")
async def add_record(request: Request, company_id: str, data_type: str) -> JSONResponse:
    """Add a record to the cache (id generated unless given) and announce the change."""
    sandbox = sandbox_of(request)
    company = sandbox.store.company(company_id)
    path = _data_type(data_type)
    record = await _json_object(request)
    record.setdefault("id", sandbox.store.new_uuid())
    record.setdefault("metadata", {"isDeleted": False})
    company.records[path][str(record["id"])] = record
    sandbox.store.touch(company, path, record)
    if company.software is not None:  # the change is the software's too, synced at once
        company.software[path][str(record["id"])] = copy.deepcopy(record)
    syncs.announce_change(sandbox, company, [DATA_TYPES[path].data_type])
    return JSONResponse(record, status_code=201)


def _merge(target: dict[str, Any], change: dict[str, Any]) -> None:
    """JSON merge patch: objects merge recursively, null removes, anything else replaces."""
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


@router.post("/companies/{company_id}/connections/{connection_id}/link")
async def link_connection(request: Request, company_id: str, connection_id: str) -> JSONResponse:
    """Complete the connection's link (as its linkUrl would) and queue the first sync."""
    sandbox = sandbox_of(request)
    company = sandbox.store.company(company_id)
    connection = company.require_connection(connection_id)
    body = await _body(request, LinkBody)
    if body.fail is not None:
        links.fail(sandbox, company, connection, body.fail)
        return JSONResponse({"connection": connection, "pullOperations": []})
    pulls = links.link(sandbox, company, connection)
    return JSONResponse({"connection": connection, "pullOperations": pulls})


@router.get("/seed")
async def seed_summary(request: Request) -> JSONResponse:
    return JSONResponse(sandbox_of(request).store.summary())


@router.get("/rateLimits")
async def get_rate_limits(request: Request) -> JSONResponse:
    return JSONResponse(sandbox_of(request).rate_limits.as_json())


@router.put("/rateLimits")
async def set_rate_limits(request: Request) -> JSONResponse:
    """Change the quota (`dailyQuota`, null: Codat's formula), what is left of it (`remaining`),
    its window (`windowSeconds`, 0: until 00:00 UTC) or the per-company cap."""
    raw = await _json(request)
    body = _validated(RateLimitsBody, raw)
    limits = sandbox_of(request).rate_limits
    limits.set(
        daily_quota=body.daily_quota if "dailyQuota" in raw else "keep",
        remaining=body.remaining,
        window_seconds=body.window_seconds,
        max_concurrency_per_company=body.max_concurrency_per_company,
    )
    return JSONResponse(limits.as_json())


@router.post("/rateLimits/reset")
async def reset_rate_limits(request: Request) -> JSONResponse:
    """The quota resets now (`client.rateLimit.reset` if it had been reached)."""
    limits = sandbox_of(request).rate_limits
    limits.reset_quota()
    return JSONResponse(limits.as_json())


@router.post("/companies/{company_id}/pullFailures")
async def fail_next_pull(request: Request, company_id: str) -> JSONResponse:
    """The next pull of `dataType` for this company ends in an error `status` (FetchError...)."""
    sandbox = sandbox_of(request)
    company = sandbox.store.company(company_id)
    body = await _body(request, PullFailureBody)
    if body.data_type not in company.sync:
        raise KnobError(f"dataType {body.data_type!r} is not synced by the sandbox")
    sandbox.knobs.pull_failures[(company.id, body.data_type)] = (body.status, body.message)
    return JSONResponse(
        {"dataType": body.data_type, "status": body.status, "message": body.message}
    )
