"""Reads from Codat's cache: list and get per data type, the tracking tree, bill attachments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from sandbox import fields
from sandbox.errors import CodatError, record_not_found
from sandbox.jsonio import JSONResponse
from sandbox.paging import paged
from sandbox.records import Attachment
from sandbox.runtime import sandbox_of
from sandbox.store import BANK_ACCOUNTS, DATA_TYPES, Company, DataTypeSpec

router = APIRouter()

Record = dict[str, Any]


def _company(request: Request, company_id: str) -> Company:
    return sandbox_of(request).store.company(company_id)


def _register(spec: DataTypeSpec) -> None:
    async def list_records(request: Request, company_id: str) -> JSONResponse:
        company = _company(request, company_id)
        records = list(company.cached(spec.path).values())
        path = f"/companies/{company_id}/data/{spec.path}"
        return JSONResponse(paged(path, records, dict(request.query_params), spec.fields))

    async def get_record(request: Request, company_id: str, record_id: str) -> JSONResponse:
        company = _company(request, company_id)
        record = company.cached_record(spec.path, record_id)
        if spec.path == "trackingCategories":
            return JSONResponse(_tree(company, record))
        return JSONResponse(record)

    router.add_api_route(
        f"/companies/{{company_id}}/data/{spec.path}",
        list_records,
        methods=["GET"],
        name=f"list_{spec.path}",
    )
    router.add_api_route(
        f"/companies/{{company_id}}/data/{spec.path}/{{record_id}}",
        get_record,
        methods=["GET"],
        name=f"get_{spec.path}",
    )


def _tree(company: Company, record: Record, depth: int = 0) -> Record:
    """TrackingCategoryTree: the category with its children nested under subCategories."""
    children = [
        child
        for child in company.records["trackingCategories"].values()
        if child.get("parentId") == record.get("id")
    ]
    tree = dict(record)
    if depth < 8:
        tree["subCategories"] = [_tree(company, child, depth + 1) for child in children]
    return tree


for _spec in DATA_TYPES.values():
    _register(_spec)


BANK_ACCOUNTS_PATH = "/companies/{company_id}/connections/{connection_id}/data/bankAccounts"


def _bank_accounts(request: Request, company_id: str, connection_id: str) -> dict[str, Record]:
    """Bank accounts are read per connection (Codat's Accounting API), from the same cache."""
    company = _company(request, company_id)
    company.require_connection(connection_id)
    company.require_synced(BANK_ACCOUNTS)
    return company.records[BANK_ACCOUNTS]


@router.get(BANK_ACCOUNTS_PATH)
async def list_bank_accounts(request: Request, company_id: str, connection_id: str) -> JSONResponse:
    records = list(_bank_accounts(request, company_id, connection_id).values())
    path = f"/companies/{company_id}/connections/{connection_id}/data/bankAccounts"
    return JSONResponse(paged(path, records, dict(request.query_params), fields.BANK_ACCOUNTS))


@router.get(BANK_ACCOUNTS_PATH + "/{account_id}")
async def get_bank_account(
    request: Request, company_id: str, connection_id: str, account_id: str
) -> JSONResponse:
    record = _bank_accounts(request, company_id, connection_id).get(account_id)
    if record is None:
        raise record_not_found(BANK_ACCOUNTS, account_id)
    return JSONResponse(record)


def _attachments(
    request: Request, company_id: str, connection_id: str, bill_id: str
) -> list[Attachment]:
    company = _company(request, company_id)
    company.require_connection(connection_id)
    if bill_id not in company.cached("bills"):
        raise record_not_found("bills", bill_id)
    return company.attachments.get(bill_id, [])


def _attachment(files: list[Attachment], attachment_id: str) -> Attachment:
    for attachment in files:
        if attachment.record["id"] == attachment_id:
            return attachment
    raise CodatError(404, f"No attachment was found with ID {attachment_id}")


BILL_ATTACHMENTS = (
    "/companies/{company_id}/connections/{connection_id}/data/bills/{bill_id}/attachments"
)


@router.get(BILL_ATTACHMENTS)
async def list_bill_attachments(
    request: Request, company_id: str, connection_id: str, bill_id: str
) -> JSONResponse:
    files = _attachments(request, company_id, connection_id, bill_id)
    return JSONResponse({"attachments": [attachment.record for attachment in files]})


@router.get(BILL_ATTACHMENTS + "/{attachment_id}")
async def get_bill_attachment(
    request: Request, company_id: str, connection_id: str, bill_id: str, attachment_id: str
) -> JSONResponse:
    files = _attachments(request, company_id, connection_id, bill_id)
    return JSONResponse(_attachment(files, attachment_id).record)


@router.get(BILL_ATTACHMENTS + "/{attachment_id}/download")
async def download_bill_attachment(
    request: Request, company_id: str, connection_id: str, bill_id: str, attachment_id: str
) -> Response:
    files = _attachments(request, company_id, connection_id, bill_id)
    attachment = _attachment(files, attachment_id)
    return Response(attachment.content, media_type="application/octet-stream")
