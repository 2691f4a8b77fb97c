"""payBills after a lost connection: a retry with the same key never pays a bill twice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from tests.conftest import gateway_settings
from tests.e2e.paying import (
    PAY_BILLS,
    WEBHOOK_SECRET,
    Payable,
    codat_get,
    graphql,
    hearing_webhooks,
    payables,
)

PUSH_PATH = r"/push/billPayments$"


@pytest.fixture
def impatient_gateway(sandbox_url: str) -> Iterator[str]:
    """One attempt per Codat call, given up after half a second."""
    settings = gateway_settings(
        sandbox_url,
        CODAT_MAX_ATTEMPTS="1",
        CODAT_TIMEOUT_SECONDS="0.5",
        WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    with hearing_webhooks(sandbox_url, create_app(settings)) as url:
        yield url


@pytest.fixture
def single_attempt_gateway(sandbox_url: str) -> Iterator[str]:
    """A gateway that does not retry Codat calls itself, so a dropped push reaches the caller."""
    settings = gateway_settings(sandbox_url, CODAT_MAX_ATTEMPTS="1", WEBHOOK_SECRET=WEBHOOK_SECRET)
    with hearing_webhooks(sandbox_url, create_app(settings)) as url:
        yield url


def bills_in_one_currency(sandbox_url: str, count: int) -> list[Payable]:
    """`count` payable bills in the first one's currency (among the first 20)."""
    first = payables(sandbox_url)[0]
    alike = [p for p in payables(sandbox_url, 20) if p.bill["currency"] == first.bill["currency"]]
    return alike[:count]


def fault_the_next_push(sandbox_url: str, kind: str, **details: object) -> None:
    """The next bill-payment push meets a `kind` fault (`drop`, `slow`...)."""
    fault = {"pathPattern": PUSH_PATH, "methods": ["POST"], "kind": kind, "times": 1, **details}
    httpx.post(f"{sandbox_url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()


def push_requests(sandbox_url: str) -> list[dict[str, Any]]:
    body: dict[str, Any] = httpx.get(f"{sandbox_url}/_sandbox/requests", timeout=10).json()
    pushes = [r for r in body["requests"] if r["path"].endswith("/push/billPayments")]
    return sorted(pushes, key=lambda r: float(r["start"]))


def payments_of(sandbox_url: str, company: str, bill_id: str) -> int:
    payments = codat_get(sandbox_url, f"/companies/{company}/data/billPayments", pageSize="5000")
    return sum(
        1
        for payment in payments["results"]
        for line in payment.get("lines") or []
        for link in line.get("links") or []
        if link.get("type") == "Bill" and link.get("id") == bill_id
    )


def wait_until_paid(sandbox_url: str, company: str, bills: list[Payable]) -> None:
    deadline = time.monotonic() + 10
    path = f"/companies/{company}/data/bills"
    while time.monotonic() < deadline:
        statuses = [codat_get(sandbox_url, f"{path}/{b.bill['id']}")["status"] for b in bills]
        if all(s == "Paid" for s in statuses):
            return
        time.sleep(0.1)
    raise AssertionError(f"bills not paid in time: {statuses}")


def paid_with_a_dropped_push(sandbox_url: str, gateway_url: str) -> tuple[list[Payable], str]:
    """Two bills paid under a new key, one of their pushes dropped: the bills and the key."""
    bills = bills_in_one_currency(sandbox_url, 2)
    fault_the_next_push(sandbox_url, "drop")
    key = str(uuid.uuid4())
    pay_each(gateway_url, bills, key)
    return bills, key


def payment_counts(sandbox_url: str, bills: list[Payable]) -> dict[str, int]:
    """How many payments Codat holds against each bill, by bill id."""
    return {b.bill["id"]: payments_of(sandbox_url, b.company_id, b.bill["id"]) for b in bills}


def assert_each_paid_once_more(
    sandbox_url: str, bills: list[Payable], before: dict[str, int]
) -> None:
    """Every bill ends Paid, with exactly one payment more than `before` counted."""
    wait_until_paid(sandbox_url, bills[0].company_id, bills)
    assert payment_counts(sandbox_url, bills) == {bill: n + 1 for bill, n in before.items()}


def pay_each(
    gateway_url: str, bills: list[Payable], key: str, note: str | None = None
) -> dict[str, Any]:
    first = bills[0]
    payload: dict[str, Any] = graphql(
        gateway_url,
        PAY_BILLS,
        input={
            "companyId": first.company_id,
            "bills": [{"billId": b.bill["id"]} for b in bills],
            "accountId": first.bank_account_id,
            "date": "2026-11-26",
            "grouping": "ONE_PAYMENT_PER_BILL",
            "idempotencyKey": key,
            "note": note,
        },
    )["payBills"]
    return payload


def test_a_retry_after_a_dropped_push_pays_no_bill_twice(
    sandbox_url: str, single_attempt_gateway: str
) -> None:
    # given: three bills in one currency, paid one payment each; one push will be dropped
    bills = bills_in_one_currency(sandbox_url, 3)
    assert len(bills) == 3
    before = payment_counts(sandbox_url, bills)
    httpx.delete(f"{sandbox_url}/_sandbox/requests", timeout=10).raise_for_status()
    fault_the_next_push(sandbox_url, "drop")
    key = str(uuid.uuid4())

    # when: the batch loses one push, then is retried with the same key
    partial = pay_each(single_attempt_gateway, bills, key)
    retried = pay_each(single_attempt_gateway, bills, key)

    # then: the first answer says which payment is unsure and asks for a retry with the key
    assert [e["code"] for e in partial["errors"]] == ["PUSH_OUTCOME_UNKNOWN"]
    unsure = [r for r in partial["results"] if r["pushOperation"] is None]
    assert len(unsure) == 1
    assert [e["code"] for e in unsure[0]["errors"]] == ["PUSH_OUTCOME_UNKNOWN"]
    # the retry completes the batch and replays the payments that were accepted
    assert retried["errors"] == []
    assert all(r["pushOperation"] is not None for r in retried["results"])
    accepted = {
        r["billId"]: r["pushOperation"]["pushOperationKey"]
        for r in partial["results"]
        if r["pushOperation"] is not None
    }
    again = {r["billId"]: r["pushOperation"]["pushOperationKey"] for r in retried["results"]}
    assert all(again[bill] == push for bill, push in accepted.items())
    # the request record: four pushes, the dropped one sent again under its own Codat key
    pushes = push_requests(sandbox_url)
    assert len(pushes) == 4
    dropped = [p for p in pushes if p["fault"] == "drop"]
    assert len(dropped) == 1
    assert pushes[-1]["headers"]["idempotency-key"] == dropped[0]["headers"]["idempotency-key"]
    answered = [p["headers"]["idempotency-key"] for p in pushes if p["status"] == 200]
    assert len(answered) == len(set(answered)) == 3
    # and the ledger: each bill has exactly one more payment
    assert_each_paid_once_more(sandbox_url, bills, before)


def test_a_third_call_with_the_key_replays_the_completed_batch(
    sandbox_url: str, single_attempt_gateway: str
) -> None:
    # given: a batch that completed on its second attempt
    bills, key = paid_with_a_dropped_push(sandbox_url, single_attempt_gateway)
    completed = pay_each(single_attempt_gateway, bills, key)
    sent = len(push_requests(sandbox_url))

    # when
    third = pay_each(single_attempt_gateway, bills, key)

    # then
    assert third["replayed"] is True
    assert third["results"] == completed["results"]
    assert len(push_requests(sandbox_url)) == sent


def test_a_payment_codat_took_but_answered_too_late_is_replayed_not_repeated(
    sandbox_url: str, impatient_gateway: str
) -> None:
    # given: one push is answered after the gateway gave up on it (Codat wrote it anyway)
    bills = bills_in_one_currency(sandbox_url, 2)
    before = payment_counts(sandbox_url, bills)
    fault_the_next_push(sandbox_url, "slow", delayMs=1000)
    key = str(uuid.uuid4())

    # when: the batch is retried with its key once Codat has written the late payment
    partial = pay_each(impatient_gateway, bills, key)
    time.sleep(1.5)
    retried = pay_each(impatient_gateway, bills, key)

    # then
    assert [e["code"] for e in partial["errors"]] == ["PUSH_OUTCOME_UNKNOWN"]
    assert retried["errors"] == []
    pushes = push_requests(sandbox_url)
    late = next(p for p in pushes if p["fault"] == "slow")["headers"]["idempotency-key"]
    assert [p["headers"]["idempotency-key"] for p in pushes].count(late) == 2
    assert_each_paid_once_more(sandbox_url, bills, before)


def test_a_partly_paid_batchs_key_cannot_be_reused_for_another_input(
    sandbox_url: str, single_attempt_gateway: str
) -> None:
    # given: a batch left partly paid
    bills, key = paid_with_a_dropped_push(sandbox_url, single_attempt_gateway)
    sent = len(push_requests(sandbox_url))

    # when: the key comes back with another input
    other = pay_each(single_attempt_gateway, bills, key, note="another input")

    # then
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(push_requests(sandbox_url)) == sent
