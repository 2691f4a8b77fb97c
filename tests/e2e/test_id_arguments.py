"""Every id argument takes the `id` a query returned as well as Codat's id (schema/ids.py)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.paying import PAY_BILL, payables

LIST = """
query List($company: ID!) {
  company(id: $company) {
    id codatId
    bills(first: 1, filter: {status: [Open]}) { nodes { id codatId supplier { id codatId } } }
    billPayments(first: 1) { nodes { id codatId } }
    billCreditNotes(first: 1) { nodes { id codatId } }
    bankAccounts(first: 1) { nodes { id codatId } }
  }
}
"""
ONE = """
query One($company: ID!, $bill: ID!, $supplier: ID!, $payment: ID!, $note: ID!, $account: ID!) {
  company(id: $company) {
    bill(id: $bill) { codatId }
    supplier(id: $supplier) { codatId }
    billPayment(id: $payment) { codatId }
    billCreditNote(id: $note) { codatId }
    account(id: $account) { codatId }
  }
}
"""


def post(gateway_url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{gateway_url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    body: dict[str, Any] = response.json()
    return body


def test_each_record_argument_takes_the_global_id_or_codats(
    sandbox_url: str, gateway_url: str
) -> None:
    company_id = payables(sandbox_url)[0].company_id
    listed = post(gateway_url, LIST, company=company_id)["data"]["company"]
    bill = listed["bills"]["nodes"][0]
    records = {
        "bill": bill,
        "supplier": bill["supplier"],
        "payment": listed["billPayments"]["nodes"][0],
        "note": listed["billCreditNotes"]["nodes"][0],
        "account": listed["bankAccounts"]["nodes"][0],
    }
    expected = {
        "bill": bill["codatId"],
        "supplier": bill["supplier"]["codatId"],
        "billPayment": records["payment"]["codatId"],
        "billCreditNote": records["note"]["codatId"],
        "account": records["account"]["codatId"],
    }
    for key in ("id", "codatId"):
        variables = {name: record[key] for name, record in records.items()}
        body = post(gateway_url, ONE, company=listed[key], **variables)
        assert "errors" not in body, (key, body)
        assert {name: v["codatId"] for name, v in body["data"]["company"].items()} == expected


def test_a_global_id_of_another_type_is_bad_user_input(sandbox_url: str, gateway_url: str) -> None:
    company_id = payables(sandbox_url)[0].company_id
    listed = post(gateway_url, LIST, company=company_id)["data"]["company"]
    supplier_id = listed["bills"]["nodes"][0]["supplier"]["id"]
    body = post(
        gateway_url,
        "query($c: ID!, $b: ID!) { company(id: $c) { bill(id: $b) { id } } }",
        c=company_id,
        b=supplier_id,
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not of a Bill" in error["message"]


def test_pay_bill_takes_the_ids_a_query_returned(sandbox_url: str, gateway_url: str) -> None:
    payable = payables(sandbox_url)[0]
    listed = post(
        gateway_url,
        """query($c: ID!, $b: ID!, $a: ID!) { company(id: $c) { id
             bill(id: $b) { id } account(id: $a) { id } } }""",
        c=payable.company_id,
        b=payable.bill["id"],
        a=payable.bank_account_id,
    )["data"]["company"]
    variables = {
        "input": {
            "companyId": listed["id"],
            "billId": listed["bill"]["id"],
            "accountId": listed["account"]["id"],
            "date": "2026-11-26",
            "idempotencyKey": "global-ids-1",
        }
    }
    paid = post(gateway_url, PAY_BILL, **variables)["data"]["payBill"]
    assert paid["errors"] == [], paid
    assert paid["pushOperation"]["status"] == "Pending"
    assert payable.bill["id"] in str(paid["input"])
