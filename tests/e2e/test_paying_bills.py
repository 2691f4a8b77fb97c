"""Paying a bill end to end over real sockets: mutation, WebSocket subscription, fresh query.

The sandbox completes pushes after 0.2 s and sends signed webhooks to the gateway; the gateway
polls Codat when no webhook arrives within PUSH_POLL_AFTER_SECONDS (0.3 s here).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.paying import (
    BILL,
    PAY_BILL,
    PAY_BILLS,
    Payable,
    graphql,
    payables,
    statuses,
)
from tests.gateway.replicas import patch_record
from tests.upstream import clear_calls, recorded_calls

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


def pause_webhooks(sandbox_url: str) -> None:
    httpx.put(
        f"{sandbox_url}/_sandbox/webhooks", json={"paused": True}, timeout=10
    ).raise_for_status()


def pay(gateway_url: str, company: str, bill: str, account: str, **extra: object) -> dict:  # type: ignore[type-arg]
    variables = {"companyId": company, "billId": bill, "accountId": account, "date": "2026-11-26"}
    result = graphql(gateway_url, PAY_BILL, input={**variables, **extra})
    payload: dict = result["payBill"]  # type: ignore[type-arg]
    return payload


@pytest.mark.parametrize("subprotocol", PROTOCOLS)
async def test_a_paid_bill_is_seen_paid_after_the_subscription_reports_success(
    sandbox_url: str, paying_gateway: str, subprotocol: str
) -> None:
    # given: an open bill, read once so the gateway's cache holds it unpaid
    target = payables(sandbox_url)[0]
    company, bill_id = target.company_id, target.bill["id"]
    before = graphql(paying_gateway, BILL, company=company, bill=bill_id)["company"]["bill"]
    assert before["status"] != "Paid"

    # when
    payload = pay(paying_gateway, company, bill_id, target.bank_account_id)
    assert payload["errors"] == []
    key = payload["pushOperation"]["pushOperationKey"]
    updates = await statuses(paying_gateway, company, key, subprotocol)

    # then
    assert [u["status"] for u in updates][-1] == "Success"
    assert updates[0]["status"] in {"Pending", "Success"}
    after = graphql(paying_gateway, BILL, company=company, bill=bill_id)["company"]["bill"]
    assert after["status"] == "Paid"
    assert float(after["amountDue"]) == 0
    assert len(after["billPayments"]) == len(before["billPayments"]) + 1


async def test_pending_then_success_reaches_a_subscriber_that_joined_before_completion(
    sandbox_url: str, paying_gateway: str
) -> None:
    # given: a push that is still Pending when the mutation answers
    target = payables(sandbox_url)[0]
    payload = pay(paying_gateway, target.company_id, target.bill["id"], target.bank_account_id)
    key = payload["pushOperation"]["pushOperationKey"]
    assert payload["pushOperation"]["status"] == "Pending"

    # when
    updates = await statuses(paying_gateway, target.company_id, key, "graphql-transport-ws")

    # then: the sandbox completes after 0.2 s, the subscription opened well within that; the
    # subscription goes on past Success until the refreshed bill is readable from Codat
    seen = [(u["status"], u["syncState"]) for u in updates]
    assert seen[-2:] == [("Success", "PENDING_REFRESH"), ("Success", "UP_TO_DATE")]
    assert seen[:-2] in ([("Pending", None)], [])


async def test_a_lost_webhook_is_made_up_for_by_polling(
    sandbox_url: str, paying_gateway: str
) -> None:
    # given: the sandbox sends no webhooks; the bill is cached unpaid
    target = payables(sandbox_url)[0]
    company, bill_id = target.company_id, target.bill["id"]
    graphql(paying_gateway, BILL, company=company, bill=bill_id)
    pause_webhooks(sandbox_url)

    # when
    payload = pay(paying_gateway, company, bill_id, target.bank_account_id)
    key = payload["pushOperation"]["pushOperationKey"]
    updates = await statuses(paying_gateway, company, key, "graphql-transport-ws")

    # then: polling found Success and evicted the bill, with no webhook and no manual clearing
    assert updates[-1]["status"] == "Success"
    after = graphql(paying_gateway, BILL, company=company, bill=bill_id)["company"]["bill"]
    assert after["status"] == "Paid"


async def test_a_push_that_fails_validation_ends_failed_with_its_messages(
    sandbox_url: str, paying_gateway: str
) -> None:
    # given: a bill voided in the software after the gateway's checks passed
    target = payables(sandbox_url)[0]
    company, bill_id = target.company_id, target.bill["id"]
    payload = pay(paying_gateway, company, bill_id, target.bank_account_id)
    assert payload["errors"] == []
    patch_record(sandbox_url, company, "bills", bill_id, {"status": "Void"})
    key = payload["pushOperation"]["pushOperationKey"]

    # when
    updates = await statuses(paying_gateway, company, key, "graphql-ws")

    # then
    final = updates[-1]
    assert final["status"] == "Failed"
    messages = [item["message"] for item in final["validation"]["errors"]]
    assert any("Void" in message for message in messages), messages


def test_the_same_key_and_input_replays_without_a_second_push(
    sandbox_url: str, paying_gateway: str
) -> None:
    # given
    target = payables(sandbox_url)[0]
    key = str(uuid.uuid4())

    def pay_with_the_key(**extra: object) -> dict[str, Any]:
        bill, account = target.bill["id"], target.bank_account_id
        return pay(paying_gateway, target.company_id, bill, account, idempotencyKey=key, **extra)

    first = pay_with_the_key()
    # when
    again = pay_with_the_key()
    other = pay_with_the_key(amount="1.00")
    # then
    assert again["pushOperation"] == first["pushOperation"]
    assert again["replayed"] is True
    assert first["replayed"] is False
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    pushes = [c for c in recorded_calls(sandbox_url) if c.path.endswith("/push/billPayments")]
    assert len(pushes) == 1


def test_a_key_is_generated_and_returned_when_none_is_given(
    sandbox_url: str, paying_gateway: str, target: Payable
) -> None:
    payload = pay(paying_gateway, target.company_id, target.bill["id"], target.bank_account_id)
    assert uuid.UUID(payload["idempotencyKey"])
    assert payload["input"]["amount"] == str(target.bill["amountDue"]).rstrip("0").rstrip(".")


def test_pay_bills_one_payment_per_supplier_links_every_bill_and_reports_each(
    sandbox_url: str, paying_gateway: str
) -> None:
    # given: two open bills of one supplier, and one bill id that does not exist
    first = payables(sandbox_url)[0]
    supplier = first.bill["supplierRef"]["id"]
    same = payables(sandbox_url, 5, supplier=supplier)
    chosen = [p for p in same if p.bill["currency"] == first.bill["currency"]][:2]
    clear_calls(sandbox_url)
    bills = [{"billId": p.bill["id"]} for p in chosen] + [{"billId": "no-such-bill"}]
    # when
    result = graphql(
        paying_gateway,
        PAY_BILLS,
        input={
            "companyId": first.company_id,
            "bills": bills,
            "accountId": first.bank_account_id,
            "date": "2026-11-26",
        },
    )["payBills"]
    # then
    outcomes = {r["billId"]: r for r in result["results"]}
    paid = [outcomes[p.bill["id"]]["pushOperation"]["pushOperationKey"] for p in chosen]
    assert len(set(paid)) == 1, "one payment for the supplier's bills"
    assert [e["code"] for e in outcomes["no-such-bill"]["errors"]] == ["BILL_NOT_FOUND"]
    pushes = [c for c in recorded_calls(sandbox_url) if c.path.endswith("/push/billPayments")]
    assert len(pushes) == 1
