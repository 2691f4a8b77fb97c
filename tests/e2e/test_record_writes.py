"""Creating and changing bills, suppliers and credit notes, attachments and refreshes, end to end.

Each success is pushed to the sandbox, followed to Success over the WebSocket subscription, and
then read back through the gateway with no cache clearing: the push's success evicted it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from tests.e2e.paying import (
    Payable,
    codat_get,
    graphql,
    hearing_webhooks,
    payables,
    writing_settings,
)
from tests.e2e.records import (
    BILL,
    CREATE_BILL,
    CREATE_CREDIT_NOTE,
    CREATE_SUPPLIER,
    CREDIT_NOTE,
    LINES,
    REFRESH,
    SUPPLIER,
    SUPPLIERS,
    UPDATE_BILL,
    UPDATE_SUPPLIER,
    UPLOAD_ATTACHMENT,
    mutate,
    rename_supplier,
    written_record,
)
from tests.e2e.test_payment_checks import unconnected_company
from tests.upstream import clear_calls, recorded_calls

UPLOAD_LIMIT = 1024


@pytest.fixture
def gateway(sandbox_url: str) -> Iterator[str]:
    settings = writing_settings(sandbox_url, UPLOAD_MAX_BYTES=str(UPLOAD_LIMIT))
    with hearing_webhooks(sandbox_url, create_app(settings)) as url:
        yield url


def pushes(sandbox_url: str) -> list[str]:
    """The writes the sandbox received (not the status polls)."""
    calls = recorded_calls(sandbox_url)
    return [f"{c.method} {c.path}" for c in calls if "/push/" in c.path and c.method != "GET"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def test_create_supplier_shows_in_the_next_list_of_suppliers(
    sandbox_url: str, gateway: str
) -> None:
    # given: the suppliers list is cached
    company = payables(sandbox_url)[0].company_id
    graphql(gateway, SUPPLIERS, company=company)
    # when
    payload = mutate(
        gateway, CREATE_SUPPLIER, "createSupplier", companyId=company, supplierName="Acme Paper"
    )
    supplier_id = await written_record(gateway, company, payload)
    # then
    nodes = graphql(gateway, SUPPLIERS, company=company)["company"]["suppliers"]["nodes"]
    assert {"codatId": supplier_id, "supplierName": "Acme Paper"} in nodes
    assert payload["input"]["status"] == "Active"


async def test_update_supplier_changes_only_the_given_fields(
    sandbox_url: str, gateway: str
) -> None:
    # given: a supplier, read once so the gateway caches it
    target = payables(sandbox_url)[0]
    company, supplier_id = target.company_id, target.bill["supplierRef"]["id"]
    before = graphql(gateway, SUPPLIER, company=company, id=supplier_id)["company"]["supplier"]
    # when
    await rename_supplier(gateway, company, supplier_id, "Renamed Ltd")
    # then
    after = graphql(gateway, SUPPLIER, company=company, id=supplier_id)["company"]["supplier"]
    assert after == {**before, "supplierName": "Renamed Ltd"}


async def test_create_bill_totals_follow_from_its_lines(sandbox_url: str, gateway: str) -> None:
    # given
    target = payables(sandbox_url)[0]
    company = target.company_id
    # when
    payload = mutate(
        gateway,
        CREATE_BILL,
        "createBill",
        **target.of_its_supplier(),
        issueDate="2026-11-20",
        dueDate="2026-12-20",
        reference="PO-77",
        lineItems=LINES,
        totalAmount="106",
    )
    bill_id = await written_record(gateway, company, payload)
    # then
    bill = graphql(gateway, BILL, company=company, id=bill_id)["company"]["bill"]
    assert bill["reference"] == "PO-77"
    assert float(bill["totalAmount"]) == 106
    assert bill["status"] == "Open"
    assert payload["input"]["totalAmount"] == "106"


async def test_update_bill_is_seen_by_the_next_query(sandbox_url: str, gateway: str) -> None:
    # given: an open bill, cached by a first read
    target = payables(sandbox_url)[0]
    company, bill_id = target.company_id, target.bill["id"]
    graphql(gateway, BILL, company=company, id=bill_id)
    # when
    payload = mutate(
        gateway,
        UPDATE_BILL,
        "updateBill",
        companyId=company,
        billId=bill_id,
        note="Approved by AP",
        reference="REF-1",
    )
    await written_record(gateway, company, payload)
    # then
    bill = graphql(gateway, BILL, company=company, id=bill_id)["company"]["bill"]
    assert (bill["note"], bill["reference"]) == ("Approved by AP", "REF-1")
    assert float(bill["totalAmount"]) == float(target.bill["totalAmount"])


async def test_create_bill_credit_note_is_readable_once_written(
    sandbox_url: str, gateway: str
) -> None:
    target = payables(sandbox_url)[0]
    company = target.company_id
    payload = mutate(
        gateway,
        CREATE_CREDIT_NOTE,
        "createBillCreditNote",
        **target.of_its_supplier(),
        issueDate="2026-11-21",
        lineItems=LINES,
        note="Damaged goods",
    )
    note_id = await written_record(gateway, company, payload)
    found = graphql(gateway, CREDIT_NOTE, company=company, id=note_id)["company"]
    assert float(found["billCreditNote"]["totalAmount"]) == 106
    assert found["billCreditNote"]["note"] == "Damaged goods"


def upload(
    gateway_url: str, variables: dict[str, Any], content: bytes, *, preflight: bool = True
) -> httpx.Response:
    """A GraphQL multipart request (the `operations` and `map` fields, then the file)."""
    operations = {"query": UPLOAD_ATTACHMENT, "variables": {"input": {**variables, "file": None}}}
    return httpx.post(
        f"{gateway_url}/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": ("invoice.pdf", content, "application/pdf")},
        headers={"Apollo-Require-Preflight": "true"} if preflight else {},
        timeout=30,
    )


async def test_upload_bill_attachment_through_a_multipart_request(
    sandbox_url: str, gateway: str, target: Payable
) -> None:
    # given
    company, bill_id = target.company_id, target.bill["id"]
    graphql(gateway, BILL, company=company, id=bill_id)
    # when
    response = upload(gateway, {"companyId": company, "billId": bill_id}, b"%PDF-1.4 hello")
    # then
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["uploadBillAttachment"]
    assert payload["errors"] == []
    assert payload["input"]["size"] == 14
    names: list[str] = []
    for _ in range(50):  # the sandbox applies the attachment after its push delay
        bill = graphql(gateway, BILL, company=company, id=bill_id)["company"]["bill"]
        names = [a["name"] for a in bill["attachments"]]
        if "invoice.pdf" in names:
            break
        await asyncio.sleep(0.1)
    assert "invoice.pdf" in names


def test_an_upload_without_a_preflight_header_is_refused(
    sandbox_url: str, gateway: str, target: Payable
) -> None:
    clear_calls(sandbox_url)
    variables = {"companyId": target.company_id, "billId": target.bill["id"]}
    response = upload(gateway, variables, b"x", preflight=False)
    assert response.status_code == 400
    assert recorded_calls(sandbox_url) == []


def test_an_upload_over_the_limit_is_refused_before_reaching_codat(
    sandbox_url: str, gateway: str, target: Payable
) -> None:
    clear_calls(sandbox_url)
    variables = {"companyId": target.company_id, "billId": target.bill["id"]}
    response = upload(gateway, variables, b"x" * (UPLOAD_LIMIT + 1))
    if response.status_code == 413:  # refused by the body cap in front of /graphql
        assert recorded_calls(sandbox_url) == []
        return
    payload = response.json()["data"]["uploadBillAttachment"]
    assert codes(payload) == ["FILE_TOO_LARGE"]
    assert recorded_calls(sandbox_url) == []


def test_refresh_company_data_queues_the_data_types_asked_for(
    sandbox_url: str, gateway: str
) -> None:
    # given
    company = payables(sandbox_url)[0].company_id
    clear_calls(sandbox_url)
    # when
    some = mutate(
        gateway, REFRESH, "refreshCompanyData", companyId=company, dataTypes=["SUPPLIERS"]
    )
    every = mutate(gateway, REFRESH, "refreshCompanyData", companyId=company)
    # then
    assert some["errors"] == []
    assert some["accepted"] is True
    assert [p["dataType"] for p in some["pullOperations"]] == ["SUPPLIERS"]
    assert some["pullOperations"][0]["status"] in {"Queued", "Fetching", "Complete"}
    assert every["accepted"] is True
    assert every["pullOperations"] == []
    posts = [c.path for c in recorded_calls(sandbox_url) if c.method == "POST"]
    assert posts == [f"/companies/{company}/data/queue/suppliers", f"/companies/{company}/data/all"]


def test_create_supplier_with_the_same_key_replays_without_a_second_push(
    sandbox_url: str, gateway: str
) -> None:
    company = payables(sandbox_url)[0].company_id
    key = str(uuid.uuid4())
    fields = {"companyId": company, "supplierName": "Once Only", "idempotencyKey": key}
    clear_calls(sandbox_url)
    first = mutate(gateway, CREATE_SUPPLIER, "createSupplier", **fields)
    again = mutate(gateway, CREATE_SUPPLIER, "createSupplier", **fields)
    other = mutate(gateway, CREATE_SUPPLIER, "createSupplier", **{**fields, "phone": "0123"})
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["pushOperation"] == first["pushOperation"]
    assert codes(other) == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(pushes(sandbox_url)) == 1


DOCUMENTS = {
    "createBill": CREATE_BILL,
    "updateBill": UPDATE_BILL,
    "createSupplier": CREATE_SUPPLIER,
    "updateSupplier": UPDATE_SUPPLIER,
    "createBillCreditNote": CREATE_CREDIT_NOTE,
    "refreshCompanyData": REFRESH,
}


def refusals(
    company_id: str, supplier: str, bill: str
) -> dict[str, tuple[str, dict[str, Any], str, bool]]:
    """case: (mutation, input, code, whether the check reads Codat before refusing)."""
    company = {"companyId": company_id}
    good = {**company, "supplierId": supplier, "issueDate": "2026-11-20", "lineItems": LINES}
    negative = [{**LINES[0], "unitAmount": "-1"}]
    negative_tax = [{**LINES[0], "taxAmount": "-2"}]
    return {
        "bill with a negative line": (
            "createBill",
            {**good, "lineItems": negative},
            "AMOUNT_NEGATIVE",
            False,
        ),
        "bill whose total disagrees": (
            "createBill",
            {**good, "totalAmount": "100"},
            "TOTALS_INCONSISTENT",
            False,
        ),
        "bill with no lines": ("createBill", {**good, "lineItems": []}, "FIELD_REQUIRED", False),
        "bill of an unknown supplier": (
            "createBill",
            {**good, "supplierId": "nope"},
            "SUPPLIER_NOT_FOUND",
            True,
        ),
        "update of an unknown bill": (
            "updateBill",
            {**company, "billId": "nope", "note": "x"},
            "BILL_NOT_FOUND",
            True,
        ),
        "update of a bill's total alone": (
            "updateBill",
            {**company, "billId": bill, "totalAmount": "1"},
            "TOTALS_INCONSISTENT",
            False,
        ),
        "supplier with a blank name": (
            "createSupplier",
            {**company, "supplierName": "  "},
            "FIELD_REQUIRED",
            False,
        ),
        "update of an unknown supplier": (
            "updateSupplier",
            {**company, "supplierId": "nope", "phone": "1"},
            "SUPPLIER_NOT_FOUND",
            True,
        ),
        "credit note of an unknown supplier": (
            "createBillCreditNote",
            {**good, "supplierId": "nope"},
            "SUPPLIER_NOT_FOUND",
            True,
        ),
        "credit note with a negative tax": (
            "createBillCreditNote",
            {**good, "lineItems": negative_tax},
            "AMOUNT_NEGATIVE",
            False,
        ),
        "refresh of no data type": (
            "refreshCompanyData",
            {**company, "dataTypes": []},
            "FIELD_REQUIRED",
            False,
        ),
    }


CASES = list(refusals("company", "supplier", "bill"))


@pytest.mark.parametrize("case", CASES)
def test_a_refused_write_names_the_problem_and_writes_nothing(
    sandbox_url: str, gateway: str, case: str, target: Payable
) -> None:
    # given
    rows = refusals(target.company_id, target.bill["supplierRef"]["id"], target.bill["id"])
    name, fields, code, reads = rows[case]
    clear_calls(sandbox_url)
    # when
    payload = mutate(gateway, DOCUMENTS[name], name, **fields)
    # then
    assert payload["pushOperation"] is None
    assert codes(payload) == [code], payload["errors"]
    assert payload["errors"][0]["message"]
    calls = recorded_calls(sandbox_url)
    if reads:
        assert all(c.method == "GET" for c in calls), calls
    else:
        assert calls == [], "a check of the input alone calls nothing"


def test_a_write_to_a_company_without_a_linked_connection_is_refused(
    sandbox_url: str, gateway: str
) -> None:
    company = unconnected_company(sandbox_url)
    clear_calls(sandbox_url)
    payload = mutate(gateway, REFRESH, "refreshCompanyData", companyId=company)
    assert codes(payload) == ["CONNECTION_NOT_LINKED"]
    assert all(c.method == "GET" for c in recorded_calls(sandbox_url))
    assert codat_get(sandbox_url, f"/companies/{company}")["id"] == company
