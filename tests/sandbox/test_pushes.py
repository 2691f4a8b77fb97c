"""Push operations: Pending -> Success with the change applied, Failed with validation errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import (
    all_records,
    bank_account,
    payable_bill,
    payment_body,
    push_url,
    refresh,
    wait_for_push,
)
from tests.upstream import SeededCompany


def test_paying_a_bill_in_full_goes_pending_then_success_and_settles_the_bill(
    codat: httpx.Client, company: SeededCompany
) -> None:
    bill = payable_bill(codat, company)
    amount = bill["amountDue"]
    body = payment_body(bill, bank_account(codat, company), amount)
    pending = codat.post(push_url(company, "billPayments"), json=body).json()
    assert pending["status"] == "Pending"
    assert pending["statusCode"] == 202
    assert pending["dataConnectionKey"] == company.connection_id
    assert pending["dataType"] == "billPayments"
    assert "completedOnUtc" not in pending
    done = wait_for_push(codat, company, pending["pushOperationKey"])
    assert done["status"] == "Success"
    # Codat's cache does not have the pushed payment until the data types are pulled again.
    unchanged = codat.get(f"/companies/{company.id}/data/bills/{bill['id']}").json()
    assert unchanged["amountDue"] == amount
    assert unchanged["status"] == bill["status"]
    refresh(codat, company)  # pushed data is read back only after a pull
    assert done["statusCode"] == 200
    payment_id = done["changes"][0]["recordRef"]["id"]
    assert done["changes"][0]["type"] == "Created"
    paid = codat.get(f"/companies/{company.id}/data/bills/{bill['id']}").json()
    assert paid["status"] == "Paid"
    assert paid["amountDue"] == 0
    assert paid["paymentAllocations"][-1]["payment"]["id"] == payment_id
    assert paid["paymentAllocations"][-1]["allocation"]["totalAmount"] == amount
    payment = codat.get(f"/companies/{company.id}/data/billPayments/{payment_id}").json()
    assert payment["lines"][0]["links"][0] == {"type": "Bill", "id": bill["id"], "amount": -amount}
    assert payment["supplierRef"]["supplierName"]


def test_paying_part_of_a_bill_makes_it_partially_paid(
    codat: httpx.Client, company: SeededCompany
) -> None:
    bill = payable_bill(codat, company)
    part = round(bill["amountDue"] / 4, 2)
    body = payment_body(bill, bank_account(codat, company), part)
    key = codat.post(push_url(company, "billPayments"), json=body).json()["pushOperationKey"]
    assert wait_for_push(codat, company, key)["status"] == "Success"
    refresh(codat, company)  # pushed data is read back only after a pull
    after = codat.get(f"/companies/{company.id}/data/bills/{bill['id']}").json()
    assert after["status"] == "PartiallyPaid"
    assert after["amountDue"] == round(bill["amountDue"] - part, 2)


def test_foreign_currency_bill_can_be_paid_from_base_currency_with_a_rate(
    codat: httpx.Client, company: SeededCompany
) -> None:
    bill = payable_bill(codat, company, currency="USD")
    body = payment_body(bill, bank_account(codat, company), 10.0, currency="GBP")
    body["currencyRate"] = 1.25
    key = codat.post(push_url(company, "billPayments"), json=body).json()["pushOperationKey"]
    assert wait_for_push(codat, company, key)["status"] == "Success"
    refresh(codat, company)  # pushed data is read back only after a pull
    after = codat.get(f"/companies/{company.id}/data/bills/{bill['id']}").json()
    assert after["amountDue"] == round(bill["amountDue"] - 12.5, 2)


def _unknown_bill(body: dict[str, Any], _: dict[str, Any]) -> None:
    body["lines"][0]["links"][0]["id"] = "no-such-bill"


def _over_due(body: dict[str, Any], bill: dict[str, Any]) -> None:
    too_much = bill["amountDue"] + 100
    body["totalAmount"] = body["lines"][0]["amount"] = too_much
    body["lines"][0]["links"][0]["amount"] = -too_much


def _currency_mismatch(body: dict[str, Any], _: dict[str, Any]) -> None:
    body["currency"] = "EUR"


def _unknown_supplier(body: dict[str, Any], _: dict[str, Any]) -> None:
    body["supplierRef"] = {"id": "no-such-supplier"}


def _missing_fields(body: dict[str, Any], _: dict[str, Any]) -> None:
    del body["date"]
    del body["totalAmount"]


@pytest.mark.parametrize(
    ("break_it", "validator", "status"),
    [
        (_unknown_bill, "BillExistsValidator", "Open"),
        (_over_due, "BillAmountDueValidator", "Open"),
        (_currency_mismatch, "CurrencyValidator", "Open"),
        (_unknown_supplier, "SupplierExistsValidator", "Open"),
        (_missing_fields, "RequiredFieldValidator", "Open"),
        (lambda body, bill: None, "BillStatusValidator", "Paid"),
        (lambda body, bill: None, "BillStatusValidator", "Void"),
    ],
)
def test_rejected_payments_fail_with_validation_errors_and_change_nothing(
    codat: httpx.Client,
    company: SeededCompany,
    break_it: Callable[[dict[str, Any], dict[str, Any]], None],
    validator: str,
    status: str,
) -> None:
    bill = payable_bill(codat, company, status=status)
    body = payment_body(bill, bank_account(codat, company), max(bill["amountDue"], 1.0))
    break_it(body, bill)
    key = codat.post(push_url(company, "billPayments"), json=body).json()["pushOperationKey"]
    failed = wait_for_push(codat, company, key)
    assert failed["status"] == "Failed"
    assert failed["statusCode"] == 400
    assert failed["errorMessage"]
    assert validator in {e["validatorName"] for e in failed["validation"]["errors"]}
    assert all(e["itemId"] and e["message"] for e in failed["validation"]["errors"])
    after = codat.get(f"/companies/{company.id}/data/bills/{bill['id']}").json()
    assert after["amountDue"] == bill["amountDue"]
    assert after["status"] == bill["status"]


def test_creating_and_updating_a_bill(codat: httpx.Client, company: SeededCompany) -> None:
    template = payable_bill(codat, company)
    body = {
        key: template[key]
        for key in ("supplierRef", "issueDate", "dueDate", "currency", "lineItems", "subTotal")
    }
    body.update(status="Open", taxAmount=template["taxAmount"], totalAmount=template["totalAmount"])
    body["reference"] = "NEW-BILL-1"
    created = codat.post(push_url(company, "bills"), json=body, params={"timeoutInMinutes": 5})
    assert "data" not in created.json()  # Codat stopped echoing pushed data on 2024-01-10
    assert created.json()["timeoutInMinutes"] == 5
    done = wait_for_push(codat, company, created.json()["pushOperationKey"])
    refresh(codat, company)  # pushed data is read back only after a pull
    assert done["status"] == "Success"
    new_id = done["changes"][0]["recordRef"]["id"]
    new_bill = codat.get(f"/companies/{company.id}/data/bills/{new_id}").json()
    assert new_bill["amountDue"] == template["totalAmount"]
    body["note"] = "Edited"
    updated = codat.put(push_url(company, "bills", f"/{new_id}"), json=body).json()
    done = wait_for_push(codat, company, updated["pushOperationKey"])
    refresh(codat, company)  # pushed data is read back only after a pull
    assert done["changes"][0]["type"] == "Modified"
    assert codat.get(f"/companies/{company.id}/data/bills/{new_id}").json()["note"] == "Edited"


def test_updating_a_paid_bill_fails(codat: httpx.Client, company: SeededCompany) -> None:
    bill = payable_bill(codat, company, status="Paid")
    operation = codat.put(push_url(company, "bills", f"/{bill['id']}"), json=bill).json()
    failed = wait_for_push(codat, company, operation["pushOperationKey"])
    assert failed["status"] == "Failed"


def test_creating_and_updating_a_supplier(codat: httpx.Client, company: SeededCompany) -> None:
    body = {"supplierName": "Zebra Crossings Ltd", "status": "Active", "defaultCurrency": "GBP"}
    created = codat.post(push_url(company, "suppliers"), json=body).json()
    done = wait_for_push(codat, company, created["pushOperationKey"])
    refresh(codat, company)  # pushed data is read back only after a pull
    supplier_id = done["changes"][0]["recordRef"]["id"]
    body["status"] = "Archived"
    updated = codat.put(push_url(company, "suppliers", f"/{supplier_id}"), json=body).json()
    assert wait_for_push(codat, company, updated["pushOperationKey"])["status"] == "Success"
    refresh(codat, company)  # pushed data is read back only after a pull
    supplier = codat.get(f"/companies/{company.id}/data/suppliers/{supplier_id}").json()
    assert supplier["status"] == "Archived"
    assert supplier["supplierName"] == "Zebra Crossings Ltd"


def test_supplier_without_a_name_fails(codat: httpx.Client, company: SeededCompany) -> None:
    operation = codat.post(push_url(company, "suppliers"), json={"status": "Active"}).json()
    assert "data" not in operation
    failed = wait_for_push(codat, company, operation["pushOperationKey"])
    assert failed["validation"]["errors"][0]["itemId"] == "supplierName"


def test_creating_and_updating_a_credit_note(codat: httpx.Client, company: SeededCompany) -> None:
    supplier = all_records(codat, company, "suppliers")[0]
    body = {
        "supplierRef": {"id": supplier["id"]},
        "totalAmount": 120.0,
        "totalDiscount": 0,
        "subTotal": 100.0,
        "totalTaxAmount": 20.0,
        "discountPercentage": 0,
        "status": "Submitted",
        "currency": supplier["defaultCurrency"],
        "issueDate": "2026-11-20T00:00:00",
    }
    created = codat.post(push_url(company, "billCreditNotes"), json=body).json()
    done = wait_for_push(codat, company, created["pushOperationKey"])
    refresh(codat, company)  # pushed data is read back only after a pull
    note_id = done["changes"][0]["recordRef"]["id"]
    note = codat.get(f"/companies/{company.id}/data/billCreditNotes/{note_id}").json()
    assert note["remainingCredit"] == 120.0
    body["note"] = "Revised"
    updated = codat.put(push_url(company, "billCreditNotes", f"/{note_id}"), json=body).json()
    assert wait_for_push(codat, company, updated["pushOperationKey"])["status"] == "Success"


def test_a_credit_note_can_be_used_against_a_bill(
    codat: httpx.Client, company: SeededCompany
) -> None:
    notes = all_records(codat, company, "billCreditNotes")
    bills = all_records(codat, company, "bills")
    pair = next(
        (n, b)
        for n in notes
        for b in bills
        if n["status"] == "Submitted"
        and b["status"] == "Open"
        and b["supplierRef"]["id"] == n["supplierRef"]["id"]
        and b["currency"] == n["currency"]
        and not b["metadata"]["isDeleted"]
        and n["remainingCredit"] > 0
    )
    note, bill = pair
    amount = min(note["remainingCredit"], bill["amountDue"])
    body = payment_body(bill, bank_account(codat, company), 0)
    body["lines"][0]["links"] = [
        {"type": "Bill", "id": bill["id"], "amount": -amount},
        {"type": "CreditNote", "id": note["id"], "amount": amount},
    ]
    operation = codat.post(push_url(company, "billPayments"), json=body).json()
    assert wait_for_push(codat, company, operation["pushOperationKey"])["status"] == "Success"
    refresh(codat, company)  # pushed data is read back only after a pull
    after = codat.get(f"/companies/{company.id}/data/billCreditNotes/{note['id']}").json()
    assert after["remainingCredit"] == round(note["remainingCredit"] - amount, 2)


def test_uploading_a_bill_attachment(codat: httpx.Client, company: SeededCompany) -> None:
    bill = payable_bill(codat, company)
    files = {"file": ("receipt.txt", b"paid with thanks", "text/plain")}
    url = push_url(company, "bills", f"/{bill['id']}/attachments")
    operation = codat.post(url, files=files).json()
    done = wait_for_push(codat, company, operation["pushOperationKey"])
    assert done["changes"][0]["type"] == "AttachmentUploaded"
    attachment_id = done["changes"][0]["attachmentId"]
    base = f"/companies/{company.id}/connections/{company.connection_id}/data/bills/{bill['id']}"
    download = codat.get(f"{base}/attachments/{attachment_id}/download")
    assert download.content == b"paid with thanks"


def test_push_with_zero_timeout_times_out(codat: httpx.Client, company: SeededCompany) -> None:
    body = {"supplierName": "Slowpoke Ltd", "status": "Active"}
    operation = codat.post(
        push_url(company, "suppliers"), json=body, params={"timeoutInMinutes": 0}
    ).json()
    timed_out = wait_for_push(codat, company, operation["pushOperationKey"])
    assert timed_out["status"] == "TimedOut"


def test_push_to_another_companys_connection_is_404(
    codat: httpx.Client, companies: list[SeededCompany]
) -> None:
    first, second = companies[0], companies[1]
    url = f"/companies/{first.id}/connections/{second.connection_id}/push/suppliers"
    response = codat.post(url, json={"supplierName": "X", "status": "Active"})
    assert response.status_code == 404


def test_push_with_a_non_json_body_is_400(codat: httpx.Client, company: SeededCompany) -> None:
    response = codat.post(
        push_url(company, "suppliers"),
        content=b"not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("data_type", ["bills", "billPayments", "billCreditNotes", "suppliers"])
def test_options_describe_the_create_model(
    codat: httpx.Client, company: SeededCompany, data_type: str
) -> None:
    url = f"/companies/{company.id}/connections/{company.connection_id}/options/{data_type}"
    option = codat.get(url).json()
    assert option["type"] == "Object"
    assert any(prop["required"] for prop in option["properties"].values())


def test_push_operations_are_listed_with_paging(
    codat: httpx.Client, company: SeededCompany
) -> None:
    for n in range(3):
        codat.post(
            push_url(company, "suppliers"), json={"supplierName": f"S{n}", "status": "Active"}
        )
    page = codat.get(f"/companies/{company.id}/push", params={"pageSize": 2}).json()
    assert page["totalResults"] == 3
    assert "next" in page["_links"]
    missing = codat.get(f"/companies/{company.id}/push/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


def test_idempotency_key_replays_the_first_response(
    codat: httpx.Client, company: SeededCompany
) -> None:
    body = {"supplierName": "Once Only Ltd", "status": "Active"}
    headers = {"Idempotency-Key": "6f1c7f43-3c55-4b7e-9e9f-0d5b1f0b2c11"}
    first = codat.post(push_url(company, "suppliers"), json=body, headers=headers)
    second = codat.post(push_url(company, "suppliers"), json=body, headers=headers)
    assert second.status_code == first.status_code == 200
    assert second.json() == first.json()
    assert codat.get(f"/companies/{company.id}/push").json()["totalResults"] == 1


def test_idempotency_key_with_a_different_body_is_422(
    codat: httpx.Client, company: SeededCompany
) -> None:
    headers = {"Idempotency-Key": "0b7d4b1e-7a53-4c55-8a0e-6b2f9f0c6d21"}
    codat.post(
        push_url(company, "suppliers"),
        json={"supplierName": "A", "status": "Active"},
        headers=headers,
    )
    clash = codat.post(
        push_url(company, "suppliers"),
        json={"supplierName": "B", "status": "Active"},
        headers=headers,
    )
    assert clash.status_code == 422


def test_idempotency_key_still_in_flight_is_409(
    sandbox_url: str, codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    knobs.put("/latency", json={"ms": 400, "pathPattern": "/push/suppliers$"})
    headers = {**codat.headers, "Idempotency-Key": "9e3f8a7c-1d2b-4c5e-8f9a-0b1c2d3e4f50"}
    body = {"supplierName": "Racing Ltd", "status": "Active"}
    results: list[int] = []

    def first() -> None:
        response = httpx.post(
            f"{sandbox_url}{push_url(company, 'suppliers')}", json=body, headers=headers
        )
        results.append(response.status_code)

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.15)
    racing = codat.post(push_url(company, "suppliers"), json=body, headers=headers)
    thread.join()
    assert racing.status_code == 409
    assert results == [200]
