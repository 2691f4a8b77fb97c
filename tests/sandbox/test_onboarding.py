"""Company and connection lifecycle, the link knob and first sync, options for every data type,
deletes as pushes, accounts and bank accounts: every response checked against the v1 spec, every
webhook against the Platform API's `webhooks:`."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tests.contract import check_webhook
from tests.sandbox import helpers
from tests.sandbox.conftest import Receiver, event_type
from tests.upstream import SeededCompany

OPTION_TYPES = (
    "bills", "billPayments", "billCreditNotes", "suppliers",
    "bankAccounts", "chartOfAccounts", "journals", "journalEntries",
)  # fmt: skip


def _onboard(codat: httpx.Client, knobs: httpx.Client) -> SeededCompany:
    company = codat.post("/companies", json={"name": "Juniper & Co", "tags": {"crm": "42"}}).json()
    connection = codat.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "gbol"}
    ).json()
    linked = knobs.post(f"/companies/{company['id']}/connections/{connection['id']}/link")
    assert linked.status_code == 200, linked.text
    return SeededCompany(company["id"], connection["id"], False, {})


def _synced(codat: httpx.Client, company: SeededCompany, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while codat.get(f"/companies/{company.id}/data/bills").status_code == 409:
        assert time.monotonic() < deadline, "the first sync did not complete"
        time.sleep(0.05)


def test_a_new_company_links_and_syncs_with_codats_webhooks(
    codat: httpx.Client, knobs: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    # when: a company is created; its first reads are 409 until it has a linked connection
    created = codat.post("/companies", json={"name": "Juniper* & Co!", "description": "AP"})
    company = created.json()
    assert company["name"] == "Juniper & Co!"  # forbidden characters removed
    assert company["redirect"].endswith(company["id"])
    assert codat.get(f"/companies/{company['id']}/data/bills").status_code == 409
    connection = codat.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "gbol"}
    ).json()
    assert connection["status"] == "PendingAuth"
    assert connection["linkUrl"].startswith("https://link-api.codat.io/companies/")
    # and: the end user completes the link
    knobs.post(f"/companies/{company['id']}/connections/{connection['id']}/link")
    seed = SeededCompany(company["id"], connection["id"], False, {})
    _synced(codat, seed)
    # then: Codat's webhooks, in their spec's shapes
    wanted = ["company.created", "connection.created", "connection.connected"]
    wanted.append("read.completed.initial")
    found = hooks.wait_for(lambda r: event_type(r) in wanted, count=4)
    assert sorted(event_type(r) for r in found) == sorted(wanted)
    for received in found:
        check_webhook(str(event_type(received)), received.body)
    # and: the data is there, with its pull history
    assert helpers.all_records(codat, seed, "bills")
    history = codat.get(f"/companies/{seed.id}/data/history", params={"pageSize": 50}).json()
    assert {p["dataType"] for p in history["results"]} >= {"bills", "bankAccounts", "company"}
    assert all(p["status"] == "Complete" for p in history["results"])


def test_companies_are_updated_replaced_and_deleted(
    codat: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    company = codat.post("/companies", json={"name": "Old", "description": "d"}).json()
    path = f"/companies/{company['id']}"
    patched = codat.patch(path, json={"tags": {"team": "ap"}}).json()
    assert (patched["name"], patched["description"], patched["tags"]) == (
        "Old",
        "d",
        {"team": "ap"},
    )
    replaced = codat.put(path, json={"name": "New"}).json()
    assert replaced["name"] == "New"
    assert "description" not in replaced
    assert replaced["tags"] == {}
    assert codat.delete(path).status_code == 204
    assert codat.get(path).status_code == 404
    deleted = hooks.wait_for(lambda r: event_type(r) == "company.deleted")
    check_webhook("company.deleted", deleted[0].body)


def test_a_connection_for_an_unknown_platform_is_not_found(codat: httpx.Client) -> None:
    company = codat.post("/companies", json={"name": "Plain"}).json()
    response = codat.post(f"/companies/{company['id']}/connections", json={"platformKey": "zzzz"})
    assert response.status_code == 404


def test_options_answer_every_v1_data_type_with_the_companys_values(
    codat: httpx.Client, company: SeededCompany
) -> None:
    base = f"/companies/{company.id}/connections/{company.connection_id}/options"
    models = {name: codat.get(f"{base}/{name}").json() for name in OPTION_TYPES}
    banks = {a["id"] for a in helpers.all_records(codat, company, "accounts") if a["isBankAccount"]}
    taxes = {t["id"] for t in helpers.all_records(codat, company, "taxRates")}
    payment = models["billPayments"]["properties"]["accountRef"]["properties"]["id"]
    assert {o["value"] for o in payment["options"]} == banks
    line = models["bills"]["properties"]["lineItems"]["properties"]
    assert {o["value"] for o in line["taxRateRef"]["properties"]["id"]["options"]} <= taxes
    assert models["bankAccounts"]["properties"]["accountName"]["required"] is True


def test_bank_accounts_are_read_per_connection_with_bank_fields(
    codat: httpx.Client, company: SeededCompany
) -> None:
    path = f"/companies/{company.id}/connections/{company.connection_id}/data/bankAccounts"
    listed = codat.get(path, params={"query": "currency=GBP"}).json()["results"]
    assert listed
    assert all(a["currency"] == "GBP" and a["sortCode"] for a in listed)
    one = codat.get(f"{path}/{listed[0]['id']}").json()
    assert one["accountNumber"] == listed[0]["accountNumber"]
    assert codat.get(f"{path}/nope").status_code == 404


def test_deleting_a_payment_restores_the_bill_and_deleting_the_bill_then_succeeds(
    codat: httpx.Client, company: SeededCompany
) -> None:
    bill = helpers.payable_bill(codat, company)
    account = helpers.bank_account(codat, company)
    paid = codat.post(
        helpers.push_url(company, "billPayments"), json=helpers.payment_body(bill, account, 10.0)
    ).json()
    pushed = helpers.wait_for_push(codat, company, paid["pushOperationKey"])
    payment_id = pushed["changes"][0]["recordRef"]["id"]
    # when: the bill is deleted while a payment is allocated to it
    refused = codat.delete(helpers.push_url(company, "bills", f"/{bill['id']}")).json()
    assert helpers.wait_for_push(codat, company, refused["pushOperationKey"])["status"] == "Failed"
    # and: the payment is deleted (voided)
    voided = codat.delete(helpers.push_url(company, "billPayments", f"/{payment_id}")).json()
    done = helpers.wait_for_push(codat, company, voided["pushOperationKey"])
    assert done["status"] == "Success"
    assert done["changes"][0]["type"] == "Deleted"
    helpers.refresh(codat, company)  # pushed data is read back only after a pull
    after = codat.get(f"/companies/{company.id}/data/bills/{bill['id']}").json()
    assert after["amountDue"] == bill["amountDue"]
    # then: the bill can go
    gone = codat.delete(helpers.push_url(company, "bills", f"/{bill['id']}")).json()
    assert helpers.wait_for_push(codat, company, gone["pushOperationKey"])["status"] == "Success"
    helpers.refresh(codat, company)
    record = codat.get(f"/companies/{company.id}/data/bills/{bill['id']}").json()
    assert record["metadata"]["isDeleted"] is True


def test_accounts_and_bank_accounts_are_created_by_push(
    codat: httpx.Client, company: SeededCompany
) -> None:
    account = {
        "name": "Stationery", "type": "Expense", "currency": "GBP",
        "fullyQualifiedCategory": "Expense.Operating",
    }  # fmt: skip
    pushed = codat.post(helpers.push_url(company, "accounts"), json=account).json()
    assert pushed["dataType"] == "chartOfAccounts"
    assert helpers.wait_for_push(codat, company, pushed["pushOperationKey"])["status"] == "Success"
    bank = {"accountName": "Payroll", "accountType": "Debit", "currency": "GBP"}
    pushed = codat.post(helpers.push_url(company, "bankAccounts"), json=bank).json()
    done = helpers.wait_for_push(codat, company, pushed["pushOperationKey"])
    new_id = done["changes"][0]["recordRef"]["id"]
    helpers.refresh(codat, company, "chartOfAccounts")
    chart = codat.get(f"/companies/{company.id}/data/accounts/{new_id}").json()
    assert chart["isBankAccount"] is True
    no_type = {"accountName": "X"}
    missing = codat.post(helpers.push_url(company, "bankAccounts"), json=no_type).json()
    assert helpers.wait_for_push(codat, company, missing["pushOperationKey"])["status"] == "Failed"


def test_a_push_to_an_unlinked_connection_fails(
    codat: httpx.Client, company: SeededCompany
) -> None:
    connection = f"/companies/{company.id}/connections/{company.connection_id}"
    assert codat.patch(connection, json={"status": "Unlinked"}).json()["status"] == "Unlinked"
    body: dict[str, Any] = {"supplierName": "Late Ltd", "status": "Active"}
    pushed = codat.post(helpers.push_url(company, "suppliers"), json=body).json()
    failed = helpers.wait_for_push(codat, company, pushed["pushOperationKey"])
    assert failed["status"] == "Failed"
    assert failed["statusCode"] == 401
    assert "Unlinked" in json.dumps(failed["validation"])


def test_a_deleted_connection_is_gone(codat: httpx.Client, knobs: httpx.Client) -> None:
    seed = _onboard(codat, knobs)
    path = f"/companies/{seed.id}/connections/{seed.connection_id}"
    assert codat.delete(path).status_code == 200
    assert codat.get(path).status_code == 404
    assert codat.get(f"/companies/{seed.id}/connections").json()["results"] == []
