"""The whole of Codat's v1 write shapes through the graph, end to end: line items with items,
tracking, units and discount percentages; purchase orders, withholding tax and supplemental data
on documents; supplier addresses; Date/DateTime inputs; camelCase echoes; payBills with credit
notes. Each write is pushed to the sandbox, which validates the new fields as Codat does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from gql import GraphQLRequest, gql

from tests.e2e.paying import PAY_BILL, PAY_BILLS, Payable, codat_get, graphql, payables, ws_session
from tests.e2e.records import (
    CREATE_BILL,
    CREATE_CREDIT_NOTE,
    CREATE_SUPPLIER,
    FINISHED,
    mutate,
    rename_supplier,
    written_record,
)
from tests.e2e.test_record_writes import codes, gateway  # noqa: F401 (fixture)
from tests.upstream import clear_calls, recorded_calls

FULL_BILL = """
query Bill($company: ID!, $id: ID!) {
  company(id: $company) {
    bill(id: $id) {
      purchaseOrderRefs { id purchaseOrderNumber }
      withholdingTax { name amount }
      supplementalData
      lineItems {
        itemRef { id } unitOfMeasurement discountPercentage discountAmount subTotal isDirectCost
        trackingCategoryRefs { id }
        tracking { categoryRefs { id } isBilledTo isRebilledTo }
      }
    }
  }
}
"""
FULL_CREDIT_NOTE = """
query CreditNote($company: ID!, $id: ID!) {
  company(id: $company) {
    billCreditNote(id: $id) {
      remainingCredit status withholdingTax { name amount } supplementalData
      lineItems { itemRef { id } unitOfMeasurement tracking { categoryRefs { id } isBilledTo } }
    }
  }
}
"""
ADDRESSES = """
query Supplier($company: ID!, $id: ID!) {
  company(id: $company) {
    supplier(id: $id) { supplierName addresses { type line1 city postalCode country } }
  }
}
"""
AMOUNT_DUE = """
query Bill($company: ID!, $id: ID!) {
  company(id: $company) { bill(id: $id) { status amountDue } }
}
"""
SUPPLEMENTAL = {"content": {"orders": {"costCentre": "CC-7"}}}


def tracking_category(sandbox_url: str, company: str) -> str:
    found = codat_get(sandbox_url, f"/companies/{company}/data/trackingCategories")["results"]
    return str(next(t["id"] for t in found if not t.get("hasChildren")))


def keys(value: Any) -> set[str]:
    """Every key of a JSON value, all the way down (supplemental data content left out)."""
    if isinstance(value, list):
        return {k for item in value for k in keys(item)}
    if not isinstance(value, dict):
        return set()
    return {
        k for key, item in value.items() for k in {key, *(() if key == "content" else keys(item))}
    }


async def eventually_renamed(
    gateway_url: str, company: str, supplier_id: str, name: str
) -> dict[str, Any]:
    supplier: dict[str, Any] = {}
    for _ in range(40):
        supplier = graphql(gateway_url, ADDRESSES, company=company, id=supplier_id)["company"][
            "supplier"
        ]
        if supplier["supplierName"] == name:
            break
        await asyncio.sleep(0.25)
    return supplier


async def final(gateway_url: str, company: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The push's last status over the subscription, whatever it is."""
    key = payload["pushOperation"]["pushOperationKey"]
    last: dict[str, Any] = {}
    document = FINISHED.replace("errorMessage", "errorMessage validation { errors { itemId } }")
    async with ws_session(gateway_url, "graphql-transport-ws") as session:
        request = GraphQLRequest(gql(document), variable_values={"company": company, "key": key})
        async for result in session.subscribe(request):
            last = result["pushOperation"]
    return last


async def test_a_bill_carries_codats_line_and_document_fields(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
    target: Payable,
) -> None:
    # given
    company = target.company_id
    category = tracking_category(sandbox_url, company)
    line = {
        "unitAmount": "50.00",
        "quantity": "2",
        "discountPercentage": "10",
        "unitOfMeasurement": "box",
        "itemRef": {"id": "item-1", "name": "Paper"},
        "trackingCategoryRefs": [{"id": category}],
        "tracking": {"categoryRefs": [{"id": category}], "isBilledTo": "NotApplicable"},
        "isDirectCost": True,
    }
    # when
    payload = mutate(
        gateway,
        CREATE_BILL,
        "createBill",
        **target.of_its_supplier(),
        issueDate="2026-11-20",
        lineItems=[line],
        purchaseOrderRefs=[{"id": "po-1", "purchaseOrderNumber": "PO-1"}],
        withholdingTax=[{"name": "WHT", "amount": "4.50"}],
        supplementalData=SUPPLEMENTAL,
    )
    bill_id = await written_record(gateway, company, payload)
    # then: Codat's record has every field, the discount taken from the percentage
    bill = graphql(gateway, FULL_BILL, company=company, id=bill_id)["company"]["bill"]
    assert bill["purchaseOrderRefs"] == [{"id": "po-1", "purchaseOrderNumber": "PO-1"}]
    assert [(w["name"], float(w["amount"])) for w in bill["withholdingTax"]] == [("WHT", 4.5)]
    assert bill["supplementalData"] == SUPPLEMENTAL["content"]
    (written,) = bill["lineItems"]
    assert written["itemRef"] == {"id": "item-1"}
    assert written["unitOfMeasurement"] == "box"
    assert float(written["discountPercentage"]) == 10
    assert float(written["discountAmount"]) == 10
    assert float(written["subTotal"]) == 90
    assert written["isDirectCost"] is True
    assert written["trackingCategoryRefs"] == [{"id": category}]
    assert written["tracking"] == {
        "categoryRefs": [{"id": category}],
        "isBilledTo": "NotApplicable",
        "isRebilledTo": "NotApplicable",
    }
    # and the echo is camelCase all the way down
    assert {"lineItems", "purchaseOrderRefs", "supplementalData", "itemRef"} <= keys(
        payload["input"]
    )
    assert not [k for k in keys(payload["input"]) if "_" in k]
    assert payload["input"]["issueDate"] == "2026-11-20T00:00:00"


async def test_a_credit_note_carries_withholding_tax_tracking_and_items(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
    target: Payable,
) -> None:
    company = target.company_id
    category = tracking_category(sandbox_url, company)
    payload = mutate(
        gateway,
        CREATE_CREDIT_NOTE,
        "createBillCreditNote",
        **target.of_its_supplier(),
        issueDate="2026-11-21T08:15:00Z",
        lineItems=[
            {
                "unitAmount": "20.00",
                "itemRef": {"id": "item-2"},
                "unitOfMeasurement": "hour",
                "tracking": {"categoryRefs": [{"id": category}], "isBilledTo": "Project"},
            }
        ],
        withholdingTax=[{"name": "WHT", "amount": "1.00"}],
        supplementalData=SUPPLEMENTAL,
        currency=target.bill["currency"],
    )
    note_id = await written_record(gateway, company, payload)
    note = graphql(gateway, FULL_CREDIT_NOTE, company=company, id=note_id)["company"][
        "billCreditNote"
    ]
    assert [w["name"] for w in note["withholdingTax"]] == ["WHT"]
    assert note["supplementalData"] == SUPPLEMENTAL["content"]
    (written,) = note["lineItems"]
    assert written["itemRef"] == {"id": "item-2"}
    assert written["unitOfMeasurement"] == "hour"
    assert written["tracking"] == {"categoryRefs": [{"id": category}], "isBilledTo": "Project"}
    assert payload["input"]["issueDate"] == "2026-11-21T08:15:00+00:00"
    assert "billCreditNoteNumber" in payload["input"]


async def test_a_supplier_keeps_its_addresses_through_an_update(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
) -> None:
    company = payables(sandbox_url)[0].company_id
    address = {"type": "Billing", "line1": "1 Paper St", "city": "Leeds", "postalCode": "LS1"}
    created = mutate(
        gateway,
        CREATE_SUPPLIER,
        "createSupplier",
        companyId=company,
        supplierName="Addressed Ltd",
        addresses=[address],
    )
    supplier_id = await written_record(gateway, company, created)
    assert created["input"]["addresses"][0]["postalCode"] == "LS1"
    before = graphql(gateway, ADDRESSES, company=company, id=supplier_id)["company"]["supplier"]
    assert before["addresses"] == [{**address, "country": None}]
    await rename_supplier(gateway, company, supplier_id, "Readdressed Ltd")
    # (a second write right after the first: its refresh may land after the subscription
    # ended, a known gap of the refresh coalescing, so the read waits for the rename)
    supplier = await eventually_renamed(gateway, company, supplier_id, "Readdressed Ltd")
    assert supplier == {
        "supplierName": "Readdressed Ltd",
        "addresses": [{**address, "country": None}],
    }


async def test_the_sandbox_refuses_a_tracking_category_it_does_not_have(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
    target: Payable,
) -> None:
    company = target.company_id
    payload = mutate(
        gateway,
        CREATE_BILL,
        "createBill",
        **target.of_its_supplier(),
        issueDate="2026-11-20",
        lineItems=[{"unitAmount": "5", "trackingCategoryRefs": [{"id": "no-such-category"}]}],
    )
    assert payload["errors"] == []
    last = await final(gateway, company, payload)
    assert last["status"] == "Failed"
    assert "lineItems[0].trackingCategoryRefs[0].id" in str(last)


def test_the_new_fields_are_checked_before_any_call(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
    target: Payable,
) -> None:
    good = {**target.of_its_supplier(), "issueDate": "2026-11-20"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lineItems": [{"unitAmount": "1", "itemRef": {"id": " "}}]}, "FIELD_REQUIRED"),
        ({"lineItems": [{"unitAmount": "1", "discountPercentage": "101"}]}, "INVALID_INPUT"),
        (
            {
                "lineItems": [
                    {"unitAmount": "10", "discountAmount": "2", "discountPercentage": "50"}
                ]
            },
            "TOTALS_INCONSISTENT",
        ),
        (
            {
                "lineItems": [{"unitAmount": "1"}],
                "withholdingTax": [{"name": "", "amount": "1"}],
            },
            "FIELD_REQUIRED",
        ),
        (
            {"lineItems": [{"unitAmount": "1"}], "supplementalData": {"content": {"a": 1}}},
            "INVALID_INPUT",
        ),
    ]
    clear_calls(sandbox_url)
    for fields, code in cases:
        payload = mutate(gateway, CREATE_BILL, "createBill", **good, **fields)
        assert codes(payload) == [code], (fields, payload["errors"])
    assert recorded_calls(sandbox_url) == []


def test_dates_take_a_date_or_a_date_time_and_refuse_anything_else(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
    target: Payable,
) -> None:
    clear_calls(sandbox_url)
    response = httpx.post(
        f"{gateway}/graphql",
        json={
            "query": CREATE_BILL,
            "variables": {
                "input": {
                    "companyId": target.company_id,
                    "supplierId": target.bill["supplierRef"]["id"],
                    "issueDate": "20/11/2026",
                    "lineItems": [{"unitAmount": "1"}],
                }
            },
        },
        timeout=30,
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "DateTime" in error["message"]
    assert recorded_calls(sandbox_url) == []


async def test_pay_bills_applies_credit_notes_against_each_bill(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
) -> None:
    # given: an open bill and a credit note of its supplier, in its currency
    target = payables(sandbox_url)[0]
    company, bill = target.company_id, target.bill
    note = mutate(
        gateway,
        CREATE_CREDIT_NOTE,
        "createBillCreditNote",
        companyId=company,
        supplierId=bill["supplierRef"]["id"],
        lineItems=[{"unitAmount": "10.00"}],
        currency=bill["currency"],
    )
    note_id = await written_record(gateway, company, note)
    # when: payBills pays the bill, using the note's whole credit
    paid = mutate(
        gateway,
        PAY_BILLS.replace("idempotencyKey replayed", "idempotencyKey replayed input"),
        "payBills",
        companyId=company,
        accountId=target.bank_account_id,
        date="2026-11-26",
        bills=[{"billId": bill["id"], "creditNotes": [{"creditNoteId": note_id, "amount": "10"}]}],
    )
    # then
    (result,) = paid["results"]
    assert result["errors"] == [], result
    assert paid["input"]["bills"][0]["creditNotes"] == [{"creditNoteId": note_id, "amount": "10"}]
    await written_record(gateway, company, {**result, "errors": []})
    settled = graphql(gateway, AMOUNT_DUE, company=company, id=bill["id"])["company"]["bill"]
    assert settled["status"] == "Paid"
    assert float(settled["amountDue"]) == 0
    used = graphql(gateway, FULL_CREDIT_NOTE, company=company, id=note_id)["company"]
    assert float(used["billCreditNote"]["remainingCredit"]) == 0
    assert used["billCreditNote"]["status"] == "Paid"


async def test_pay_bills_refuses_a_credit_note_per_bill_and_pays_the_others(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
) -> None:
    found = payables(sandbox_url, 50)
    first = found[0]
    second = next(p for p in found[1:] if p.bill["currency"] == first.bill["currency"])
    company = first.company_id
    other = next(
        s["id"]
        for s in codat_get(sandbox_url, f"/companies/{company}/data/suppliers")["results"]
        if s["id"] != first.bill["supplierRef"]["id"]
    )
    note = mutate(
        gateway,
        CREATE_CREDIT_NOTE,
        "createBillCreditNote",
        companyId=company,
        supplierId=other,
        lineItems=[{"unitAmount": "5.00"}],
        currency=first.bill["currency"],
    )
    note_id = await written_record(gateway, company, note)
    paid = mutate(
        gateway,
        PAY_BILLS,
        "payBills",
        companyId=company,
        accountId=first.bank_account_id,
        date="2026-11-26",
        grouping="ONE_PAYMENT_PER_BILL",
        bills=[
            {"billId": first.bill["id"], "creditNotes": [{"creditNoteId": note_id, "amount": "5"}]},
            {"billId": second.bill["id"]},
        ],
    )
    assert paid["errors"] == [], paid
    refused, accepted = paid["results"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("CREDIT_NOTE_NOT_USABLE", "bills[0].creditNotes[0].creditNoteId")
    ]
    assert refused["pushOperation"] is None
    assert accepted["errors"] == []
    assert accepted["pushOperation"] is not None


def test_pay_bill_echoes_its_input_in_camel_case(
    sandbox_url: str,
    gateway: str,  # noqa: F811 (fixture)
) -> None:
    target = payables(sandbox_url)[0]
    payload = mutate(
        gateway,
        PAY_BILL,
        "payBill",
        companyId=target.company_id,
        billId=target.bill["id"],
        accountId=target.bank_account_id,
        date="2026-11-26T10:00:00",
        amount="0",
    )
    assert codes(payload) == ["AMOUNT_NOT_POSITIVE"]
    assert {"billId", "accountId", "paymentMethodId", "creditNotes"} <= set(payload["input"])
    assert not [k for k in keys(payload["input"]) if "_" in k]
