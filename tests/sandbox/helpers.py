"""Helpers shared by sandbox tests: polling push operations and building payment bodies."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.upstream import SeededCompany


def wait_for_push(
    codat: httpx.Client, company: SeededCompany, key: str, timeout: float = 5.0
) -> dict[str, Any]:
    """Poll a push operation until it leaves Pending."""
    deadline = time.monotonic() + timeout
    while True:
        operation: dict[str, Any] = codat.get(f"/companies/{company.id}/push/{key}").json()
        if operation["status"] != "Pending" or time.monotonic() > deadline:
            return operation
        time.sleep(0.05)


PUSHED_TYPES = ("bills", "billPayments", "billCreditNotes", "suppliers", "chartOfAccounts")


def refresh(
    codat: httpx.Client, company: SeededCompany, *data_types: str, timeout: float = 5.0
) -> None:
    """Pull data types into Codat's cache and wait until each pull is Complete: a push changes
    the software, and reads show it only after this (sandbox/README.md, codat-notes.md §7)."""
    pulls = []
    for data_type in data_types or PUSHED_TYPES:
        queued = codat.post(f"/companies/{company.id}/data/queue/{data_type}")
        assert queued.status_code == 200, queued.text
        pulls.append(queued.json()["id"])
    deadline = time.monotonic() + timeout
    for pull in pulls:
        while True:
            status = codat.get(f"/companies/{company.id}/data/history/{pull}").json()["status"]
            if status == "Complete":
                break
            assert time.monotonic() < deadline, f"pull {pull} still {status}"
            time.sleep(0.05)


def all_records(
    codat: httpx.Client, company: SeededCompany, data_type: str
) -> list[dict[str, Any]]:
    response = codat.get(f"/companies/{company.id}/data/{data_type}", params={"pageSize": 5000})
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def payable_bill(
    codat: httpx.Client, company: SeededCompany, currency: str = "GBP", status: str = "Open"
) -> dict[str, Any]:
    """A live bill in `status` and `currency` whose supplier is live too."""
    suppliers = {s["id"]: s for s in all_records(codat, company, "suppliers")}
    for bill in all_records(codat, company, "bills"):
        supplier = suppliers.get(bill["supplierRef"]["id"])
        if (
            bill["status"] == status
            and bill["currency"] == currency
            and not bill["metadata"]["isDeleted"]
            and supplier is not None
            and not supplier["metadata"]["isDeleted"]
        ):
            return bill
    raise AssertionError(f"no {status} {currency} bill in the seed")


def bank_account(codat: httpx.Client, company: SeededCompany, currency: str = "GBP") -> str:
    accounts = codat.get(
        f"/companies/{company.id}/data/accounts", params={"query": "isBankAccount=true"}
    ).json()["results"]
    return str(next(a["id"] for a in accounts if a["currency"] == currency))


def payment_body(
    bill: dict[str, Any], account_id: str, amount: float, currency: str | None = None
) -> dict[str, Any]:
    """Codat's shape for paying one bill: line amount = total, Bill link amount = -total."""
    return {
        "supplierRef": {"id": bill["supplierRef"]["id"]},
        "accountRef": {"id": account_id},
        "totalAmount": amount,
        "currency": currency or bill["currency"],
        "date": "2026-11-25T00:00:00",
        "reference": "Sandbox test payment",
        "lines": [
            {"amount": amount, "links": [{"type": "Bill", "id": bill["id"], "amount": -amount}]}
        ],
    }


def push_url(company: SeededCompany, data_type: str, suffix: str = "") -> str:
    return f"/companies/{company.id}/connections/{company.connection_id}/push/{data_type}{suffix}"
