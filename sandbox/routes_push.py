"""Writes: pushes, attachment upload, create/update models, and push-operation history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from sandbox import fields, pushes
from sandbox.errors import CodatError
from sandbox.jsonio import JSONResponse, loads
from sandbox.options import OPTION_DATA_TYPES, push_option
from sandbox.paging import paged
from sandbox.push_rules import Outcome, PushValidator
from sandbox.records import Attachment
from sandbox.runtime import Sandbox, sandbox_of
from sandbox.store import DATA_TYPE_OF, Company, utc_now

router = APIRouter()

Record = dict[str, Any]
CONNECTION = "/companies/{company_id}/connections/{connection_id}"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def _target(request: Request, company_id: str, connection_id: str) -> tuple[Sandbox, Company]:
    sandbox = sandbox_of(request)
    company = sandbox.store.company(company_id)
    company.require_connection(connection_id)
    return sandbox, company


def _timeout(request: Request) -> int | None:
    raw = request.query_params.get("timeoutInMinutes")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise CodatError(400, f"The value '{raw}' is not valid for timeoutInMinutes.") from None
    if value < 0:
        raise CodatError(400, "timeoutInMinutes must not be negative.")
    return value


def _force_update(request: Request) -> None:
    raw = request.query_params.get("forceUpdate")
    if raw is not None and raw.lower() not in {"true", "false"}:
        raise CodatError(400, f"The value '{raw}' is not valid for forceUpdate.")


async def _body(request: Request) -> Record:
    try:
        body = loads(await request.body())
    except ValueError:
        raise CodatError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise CodatError(400, "The request body must be a JSON object.")
    return body


def _respond(operation: Record, path: str, body: Record) -> JSONResponse:
    """The Create/Update*Response: the PushOperation without the deprecated `data` echo, which
    Codat stopped returning on 2024-01-10 (changelog "stop returning data on push")."""
    return JSONResponse(operation)


async def _push(
    request: Request,
    company_id: str,
    connection_id: str,
    path: str,
    record_id: str | None,
) -> JSONResponse:
    """Accept a create (record_id None) or update push: Pending now, decided later."""
    sandbox, company = _target(request, company_id, connection_id)
    timeout = _timeout(request)
    if record_id is not None:
        _force_update(request)
    body = await _body(request)
    validator = PushValidator(sandbox, company)
    decide: Callable[[], Outcome]
    if path == "billPayments":
        decide = lambda: validator.bill_payment(body)  # noqa: E731
    else:
        decide = lambda: validator.record_write(path, body, record_id)  # noqa: E731
    write_type = "Create" if record_id is None else "Update"
    data_type = DATA_TYPE_OF[path]
    operation = pushes.start(
        sandbox, company, data_type, write_type, timeout, decide, connection_id
    )
    return _respond(operation, path, body)


async def _delete(
    request: Request, company_id: str, connection_id: str, path: str, record_id: str
) -> JSONResponse:
    """A delete is a push operation too: Pending now, then Success (change `Deleted`) or Failed."""
    sandbox, company = _target(request, company_id, connection_id)
    timeout = _timeout(request)
    validator = PushValidator(sandbox, company)
    operation = pushes.start(
        sandbox,
        company,
        DATA_TYPE_OF[path],
        "Delete",
        timeout,
        lambda: validator.delete(path, record_id),
        connection_id,
    )
    return JSONResponse(operation)


def _register_delete(path: str) -> None:
    async def delete_one(
        request: Request, company_id: str, connection_id: str, record_id: str
    ) -> JSONResponse:
        return await _delete(request, company_id, connection_id, path, record_id)

    router.add_api_route(
        f"{CONNECTION}/push/{path}/{{record_id}}",
        delete_one,
        methods=["DELETE"],
        name=f"delete_{path}",
    )


def _register_write(path: str, update: bool) -> None:
    async def create(request: Request, company_id: str, connection_id: str) -> JSONResponse:
        return await _push(request, company_id, connection_id, path, None)

    async def update_one(
        request: Request, company_id: str, connection_id: str, record_id: str
    ) -> JSONResponse:
        return await _push(request, company_id, connection_id, path, record_id)

    suffix = "/{record_id}" if update else ""
    router.add_api_route(
        f"{CONNECTION}/push/{path}{suffix}",
        update_one if update else create,
        methods=["PUT" if update else "POST"],
        name=f"{'update' if update else 'create'}_{path}",
    )


for _path, _update in [
    ("bills", False), ("bills", True), ("billPayments", False), ("billCreditNotes", False),
    ("billCreditNotes", True), ("suppliers", False), ("suppliers", True),
    ("accounts", False), ("bankAccounts", False),
]:  # fmt: skip
    _register_write(_path, _update)

for _path in ("bills", "billPayments"):
    _register_delete(_path)


@router.post(CONNECTION + "/push/bills/{bill_id}/attachments")
async def upload_bill_attachment(
    request: Request, company_id: str, connection_id: str, bill_id: str
) -> JSONResponse:
    sandbox, company = _target(request, company_id, connection_id)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise CodatError(
            400, "Attachments must be uploaded as multipart/form-data with a 'file' field."
        )
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise CodatError(400, "The multipart body has no 'file' field.")
        content = await upload.read(MAX_ATTACHMENT_BYTES + 1)
        name = upload.filename or "attachment"
        content_type = upload.content_type or "application/octet-stream"
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise CodatError(400, "Attachments must be at most 20 MB.")
    now = utc_now()
    record = {
        "id": sandbox.store.new_uuid(),
        "name": name,
        "contentType": content_type,
        "dateCreated": now,
        "fileSize": len(content),
        "includeWhenSent": False,
        "modifiedDate": now,
        "sourceModifiedDate": now,
    }
    attachment = Attachment(record, content)
    validator = PushValidator(sandbox, company)
    operation = pushes.start(
        sandbox,
        company,
        "bills",
        "UploadAttachment",
        None,
        lambda: validator.attachment(bill_id, attachment),
        connection_id,
    )
    return JSONResponse(operation)


@router.get(CONNECTION + "/options/{data_type}")
async def get_push_options(
    request: Request, company_id: str, connection_id: str, data_type: str
) -> JSONResponse:
    _, company = _target(request, company_id, connection_id)
    connection = company.require_connection(connection_id)
    if data_type not in OPTION_DATA_TYPES:
        raise CodatError(
            404, f"Datatype {data_type} not supported by platform(s) {connection['platformName']}"
        )
    return JSONResponse(push_option(company, connection, data_type))


@router.get("/companies/{company_id}/push")
async def list_push_operations(request: Request, company_id: str) -> JSONResponse:
    company = sandbox_of(request).store.company(company_id)
    operations = list(company.pushes.values())
    path = f"/companies/{company_id}/push"
    return JSONResponse(paged(path, operations, dict(request.query_params), fields.PUSH_OPERATIONS))


@router.get("/companies/{company_id}/push/{push_operation_key}")
async def get_push_operation(
    request: Request, company_id: str, push_operation_key: str
) -> JSONResponse:
    company = sandbox_of(request).store.company(company_id)
    operation = company.pushes.get(push_operation_key)
    if operation is None:
        raise CodatError(404, f"No push operation was found with key {push_operation_key}")
    return JSONResponse(operation)
