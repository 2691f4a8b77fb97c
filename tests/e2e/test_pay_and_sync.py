"""After paying, as Codat really behaves: the pushed payment is not in Codat's cache until the
gateway's refresh lands. Between Success and synced the graph shows the payment as pending (not
an Open bill with no trace of it); once synced, the bill is Paid from Codat's own data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest, gql

from gateway.app import create_app
from tests.e2e.paying import (
    PAY_BILL,
    PAY_BILLS,
    PUSH_OPERATION,
    Payable,
    graphql,
    payables,
    statuses,
    writing_settings,
    ws_session,
)
from tests.gateway.replicas import send_webhooks_to
from tests.servers import running
from tests.upstream import recorded_calls

PENDING = """
query Pending($company: ID!, $bill: ID!) {
  company(id: $company) {
    bill(id: $bill) {
      status amountDue syncState pendingAmount
      pendingPayments { pushOperationKey status amount }
    }
  }
}
"""


def gateway_for(sandbox_url: str, **environ: str) -> Any:
    return running(create_app(writing_settings(sandbox_url, RESPONSE_CACHE="false", **environ)))


@pytest.fixture
def slow_refresh_gateway(sandbox_url: str) -> Iterator[str]:
    """Refreshes wait 1.5 s after a write: long enough to look at the graph in between."""
    with gateway_for(sandbox_url, REFRESH_COALESCE_SECONDS="1.5") as server:
        send_webhooks_to(sandbox_url, f"{server.url}/webhooks/codat")
        yield server.url


def pay(url: str, company: str, bill: str, account: str) -> str:
    variables = {"companyId": company, "billId": bill, "accountId": account, "date": "2026-11-26"}
    payload = graphql(url, PAY_BILL, input=variables)["payBill"]
    assert payload["errors"] == []
    key: str = payload["pushOperation"]["pushOperationKey"]
    return key


def pause_webhooks(sandbox_url: str) -> None:
    httpx.put(f"{sandbox_url}/_sandbox/webhooks", json={"paused": True}, timeout=10)


def bill_view(url: str, company: str, bill: str) -> dict[str, Any]:
    found: dict[str, Any] = graphql(url, PENDING, company=company, bill=bill)["company"]["bill"]
    return found


async def test_between_success_and_synced_the_payment_shows_as_pending(
    sandbox_url: str, slow_refresh_gateway: str, target: Payable
) -> None:
    # given
    company, bill_id, due = target.company_id, target.bill["id"], target.bill["amountDue"]
    key = pay(slow_refresh_gateway, company, bill_id, target.bank_account_id)
    seen: list[tuple[str, str | None]] = []
    during: dict[str, Any] | None = None
    # when: we follow the push, and look at the bill when Codat reports Success
    async with ws_session(slow_refresh_gateway, "graphql-transport-ws") as session:
        request = GraphQLRequest(
            gql(PUSH_OPERATION), variable_values={"company": company, "key": key}
        )
        async for result in session.subscribe(request):
            update = result["pushOperation"]
            seen.append((update["status"], update["syncState"]))
            if update["syncState"] == "PENDING_REFRESH" and during is None:
                during = bill_view(slow_refresh_gateway, company, bill_id)
    after = bill_view(slow_refresh_gateway, company, bill_id)
    # then: Pending, Success (pending refresh), then synced
    assert seen[-2:] == [("Success", "PENDING_REFRESH"), ("Success", "UP_TO_DATE")]
    # in between: Codat still has the bill unpaid; the graph shows the payment in flight
    assert during is not None
    assert float(during["amountDue"]) == due
    assert during["status"] != "Paid"
    assert during["syncState"] == "PENDING_REFRESH"
    assert [(p["pushOperationKey"], p["status"]) for p in during["pendingPayments"]] == [
        (key, "Success")
    ]
    assert float(during["pendingAmount"]) == due
    # after: Codat's own data has the payment, and nothing is pending
    assert after["status"] == "Paid"
    assert float(after["amountDue"]) == 0
    assert after["pendingPayments"] == []
    assert after["syncState"] == "UP_TO_DATE"


async def test_with_webhooks_paused_polling_gets_to_synced(sandbox_url: str) -> None:
    # given: Codat sends no webhooks at all
    pause_webhooks(sandbox_url)
    target = payables(sandbox_url)[0]
    with gateway_for(sandbox_url) as server:
        key = pay(server.url, target.company_id, target.bill["id"], target.bank_account_id)
        # when
        updates = await statuses(server.url, target.company_id, key, "graphql-transport-ws")
        after = bill_view(server.url, target.company_id, target.bill["id"])
    # then
    assert (updates[-1]["status"], updates[-1]["syncState"]) == ("Success", "UP_TO_DATE")
    assert after["status"] == "Paid"
    assert after["pendingPayments"] == []


def test_a_payment_run_of_twenty_bills_queues_one_refresh_per_data_type(
    sandbox_url: str,
) -> None:
    # given: twenty open bills of one company in one currency
    found = payables(sandbox_url, 200)
    account, currency = found[0].bank_account_id, found[0].bill["currency"]
    company = found[0].company_id
    for n in range(20 - len(found)):  # the small seed has fewer: add copies to Codat's data
        copy = {k: v for k, v in found[0].bill.items() if k not in {"id", "paymentAllocations"}}
        copy["reference"] = f"RUN-{n}"
        added = httpx.post(
            f"{sandbox_url}/_sandbox/companies/{company}/data/bills", json=copy, timeout=10
        )
        added.raise_for_status()
    bills = payables(sandbox_url, 200)[:20]
    assert len(bills) == 20
    with gateway_for(sandbox_url) as server:
        send_webhooks_to(sandbox_url, f"{server.url}/webhooks/codat")
        variables = {
            "companyId": bills[0].company_id,
            "accountId": account,
            "date": "2026-11-26",
            "grouping": "ONE_PAYMENT_PER_BILL",
            "bills": [
                {"billId": p.bill["id"]}
                if p.bill["currency"] == currency
                else {"billId": p.bill["id"], "currencyRate": "1.25"}
                for p in bills
            ],
        }
        # when
        payload = graphql(server.url, PAY_BILLS, input=variables)["payBills"]
        assert payload["errors"] == []
        assert all(r["pushOperation"] for r in payload["results"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            views = [bill_view(server.url, p.company_id, p.bill["id"]) for p in bills[:3]]
            if all(v["status"] == "Paid" for v in views):
                break
            time.sleep(0.3)
    # then: one refresh per data type the payments changed, not twenty
    queued = [
        c.path.rsplit("/", 1)[-1]
        for c in recorded_calls(sandbox_url)
        if c.method == "POST" and "/data/queue/" in c.path
    ]
    assert sorted(queued) == ["billCreditNotes", "billPayments", "bills"]
    assert all(v["status"] == "Paid" for v in views)
