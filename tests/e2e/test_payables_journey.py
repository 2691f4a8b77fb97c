"""Codat's "Get started with Sync for Payables" as one journey through the graph, over real
servers: onboarding, the first sync heard over a subscription, reads, writes, payment with a
credit note, a void, a delete, and unlinking (after which writes are refused)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from tests.e2e.paying import graphql, hearing_webhooks, writing_settings
from tests.e2e.records import (
    CREATE_BILL,
    CREATE_CREDIT_NOTE,
    CREATE_SUPPLIER,
    mutation,
    written_record,
)
from tests.e2e.test_live_updates import collect, subscribed

CREATE_COMPANY = mutation("createCompany", "CreateCompanyInput", "company { codatId name }")
CREATE_CONNECTION = mutation(
    "createConnection", "CreateConnectionInput", "connection { id linkUrl status }"
)
UNLINK = mutation("unlinkConnection", "ConnectionInput", "connection { status }")
PAY_BILL = mutation("payBill", "PayBillInput")
VOID = mutation("deleteBillPayment", "DeleteBillPaymentInput")
DELETE_BILL = mutation("deleteBill", "DeleteBillInput")

CHANGES = """
subscription Changes($company: ID!) {
  companyDataChanged(companyId: $company) { dataTypes eventType }
}
"""
READS = """
query Reads($company: ID!) {
  company(id: $company) {
    name
    bills(first: 5) { totalCount nodes { codatId status } }
    suppliers(first: 5) { totalCount }
    pullOperations(first: 20) { dataType status }
  }
}
"""
CONNECTION = """
query Connection($company: ID!) {
  company(id: $company) {
    connections {
      id status
      bankAccounts(first: 10) { codatId accountName sortCode accountNumber currency balance }
    }
  }
}
"""
OPTIONS = """
query Options($company: ID!, $type: MappingDataType!) {
  company(id: $company) {
    connections {
      mappingOptions(dataType: $type) { fields { path required allowedValues { value } } }
    }
  }
}
"""
BILL = """
query Bill($company: ID!, $id: ID!) {
  company(id: $company) { bill(id: $id) { status amountDue } }
}
"""


@pytest.fixture
def gateway(sandbox_url: str) -> Iterator[tuple[str, FastAPI]]:
    app = create_app(writing_settings(sandbox_url))
    with hearing_webhooks(sandbox_url, app) as url:
        yield url, app


def run(url: str, document: str, field: str, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = graphql(url, document, input=fields)[field]
    assert payload["errors"] == [], payload["errors"]
    return payload


def _allowed(options: dict[str, Any], path: str) -> list[dict[str, Any]]:
    field = next(f for f in options["fields"] if f["path"] == path)
    found: list[dict[str, Any]] = field["allowedValues"]
    return found


async def test_the_sync_for_payables_journey(
    sandbox_url: str, gateway: tuple[str, FastAPI]
) -> None:
    url, app = gateway
    # 1. create a company and a connection for Xero; the connection's link URL
    company = run(url, CREATE_COMPANY, "createCompany", name="Journey Ltd")["company"]
    company_id = company["codatId"]
    connection = run(
        url, CREATE_CONNECTION, "createConnection", companyId=company_id, platformKey="gbol"
    )["connection"]
    assert connection["status"] == "PendingAuth"
    assert connection["linkUrl"].startswith("https://link-api.codat.io/")

    # 2. the end user links it; the first sync completes; a subscription hears of it
    ready = asyncio.Event()
    base = app.state.services.bus.health().subscribers
    heard = asyncio.create_task(
        collect(
            url,
            CHANGES,
            {"company": company_id},
            lambda r: r["companyDataChanged"]["eventType"] == "READ_COMPLETED_INITIAL",
            ready,
        )
    )
    await ready.wait()
    await subscribed(app, base + 1)
    async with httpx.AsyncClient() as knobs:
        linked = await knobs.post(
            f"{sandbox_url}/_sandbox/companies/{company_id}/connections/{connection['id']}/link"
        )
    assert linked.status_code == 200, linked.text
    events = await asyncio.wait_for(heard, 20)
    assert {"BILLS", "SUPPLIERS", "BANK_ACCOUNTS"} <= set(
        events[-1]["companyDataChanged"]["dataTypes"]
    )

    # 3. read bills, suppliers, bank accounts, mapping options and the sync history
    read = graphql(url, READS, company=company_id)["company"]
    assert read["bills"]["totalCount"] > 0
    assert read["suppliers"]["totalCount"] > 0
    assert {p["status"] for p in read["pullOperations"]} == {"Complete"}
    (conn,) = graphql(url, CONNECTION, company=company_id)["company"]["connections"]
    assert conn["status"] == "Linked"
    gbp = next(b for b in conn["bankAccounts"] if b["currency"] == "GBP")
    assert gbp["sortCode"]
    assert gbp["accountNumber"]
    (paying,) = graphql(url, OPTIONS, company=company_id, type="BILL_PAYMENTS")["company"][
        "connections"
    ]
    banks = _allowed(paying["mappingOptions"], "accountRef.id")
    assert gbp["codatId"] in {b["value"] for b in banks}
    (billing,) = graphql(url, OPTIONS, company=company_id, type="BILLS")["company"]["connections"]
    expense = _allowed(billing["mappingOptions"], "lineItems.accountRef.id")[0]["value"]

    # 4. create a supplier and a bill from it
    created = run(url, CREATE_SUPPLIER, "createSupplier", companyId=company_id, supplierName="Acme")
    supplier_id = await written_record(url, company_id, created)
    bill = run(
        url,
        CREATE_BILL,
        "createBill",
        companyId=company_id,
        supplierId=supplier_id,
        issueDate="2026-11-20",
        lineItems=[{"unitAmount": "100.00", "accountId": expense, "taxAmount": "20.00"}],
        currency="GBP",
    )
    bill_id = await written_record(url, company_id, bill)

    # 5. a credit note from the same supplier, then pay the bill with the credit applied
    note = run(
        url,
        CREATE_CREDIT_NOTE,
        "createBillCreditNote",
        companyId=company_id,
        supplierId=supplier_id,
        lineItems=[{"unitAmount": "30.00", "accountId": expense}],
        currency="GBP",
    )
    note_id = await written_record(url, company_id, note)
    paid = run(
        url,
        PAY_BILL,
        "payBill",
        companyId=company_id,
        billId=bill_id,
        accountId=gbp["codatId"],
        date="2026-11-26",
        creditNotes=[{"creditNoteId": note_id, "amount": "30.00"}],
    )
    assert paid["input"]["amount"] == "90"  # 120 owed - 30 of credit
    payment_id = await written_record(url, company_id, paid)
    settled = graphql(url, BILL, company=company_id, id=bill_id)["company"]["bill"]
    assert settled["status"] == "Paid"

    # 6. void the payment: the bill owes again, and can then be deleted
    voided = run(url, VOID, "deleteBillPayment", companyId=company_id, billPaymentId=payment_id)
    await written_record(url, company_id, voided)
    reopened = graphql(url, BILL, company=company_id, id=bill_id)["company"]["bill"]
    assert reopened["amountDue"] == "120.00"
    deleted = run(url, DELETE_BILL, "deleteBill", companyId=company_id, billId=bill_id)
    await written_record(url, company_id, deleted)

    # 7. unlink the connection: a push to it is now refused before reaching Codat
    unlinked = run(
        url, UNLINK, "unlinkConnection", companyId=company_id, connectionId=connection["id"]
    )
    assert unlinked["connection"]["status"] == "Unlinked"
    refused = graphql(
        url, CREATE_SUPPLIER, input={"companyId": company_id, "supplierName": "Too late"}
    )["createSupplier"]
    assert [e["code"] for e in refused["errors"]] == ["CONNECTION_NOT_LINKED"]
