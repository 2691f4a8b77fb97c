"""Pre-flight checks: each refusal is a typed error saying what to fix, and nothing is pushed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.paying import PAY_BILL, Payable, graphql, payables
from tests.gateway.replicas import patch_record
from tests.upstream import clear_calls, recorded_calls


def pay(gateway_url: str, target: Payable, **changes: Any) -> dict[str, Any]:
    variables = {
        "companyId": target.company_id,
        "billId": target.bill["id"],
        "accountId": target.bank_account_id,
        "date": "2026-11-26",
        **changes,
    }
    payload: dict[str, Any] = graphql(gateway_url, PAY_BILL, input=variables)["payBill"]
    return payload


def unconnected_company(sandbox_url: str) -> str:
    """The first company (the one `payables` picks), with its connection unlinked."""
    seed = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=10).json()
    company = seed["companies"][0]
    response = httpx.patch(
        f"{sandbox_url}/companies/{company['id']}/connections/{company['connectionId']}",
        json={"status": "Unlinked"},
        headers={"Authorization": "Basic dGVzdC1hcGkta2V5"},
        timeout=10,
    )
    response.raise_for_status()
    return str(company["id"])


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown bill", {"billId": "no-such-bill"}, "BILL_NOT_FOUND", "billId"),
    ("zero amount", {"amount": "0"}, "AMOUNT_NOT_POSITIVE", "amount"),
    ("negative amount", {"amount": "-5"}, "AMOUNT_NOT_POSITIVE", "amount"),
    ("above the amount due", {"amount": "99999999"}, "AMOUNT_ABOVE_DUE", "amount"),
    ("unknown account", {"accountId": "no-such-account"}, "ACCOUNT_NOT_FOUND", "accountId"),
    ("unknown payment method", {"paymentMethodId": "nope"}, "PAYMENT_METHOD_NOT_FOUND", ""),
    ("bad currency rate", {"currencyRate": "-1"}, "CURRENCY_RATE_NOT_POSITIVE", "currencyRate"),
]


@pytest.mark.parametrize(("case", "changes", "code", "field"), CASES, ids=[c[0] for c in CASES])
def test_a_refused_payment_names_the_problem_and_pushes_nothing(
    sandbox_url: str,
    paying_gateway: str,
    case: str,
    changes: dict[str, Any],
    code: str,
    field: str,
    target: Payable,
) -> None:
    # given
    clear_calls(sandbox_url)
    # when
    payload = pay(paying_gateway, target, **changes)
    # then
    assert payload["pushOperation"] is None
    assert [e["code"] for e in payload["errors"]] == [code], payload["errors"]
    if field:
        assert payload["errors"][0]["field"] == field
    assert payload["errors"][0]["message"]
    assert not [c for c in recorded_calls(sandbox_url) if "/push/" in c.path]


@pytest.mark.parametrize(
    ("account", "code", "named"),
    [
        ("other_account_id", "NOT_A_BANK_ACCOUNT", "isBankAccount"),
        ("foreign_bank_account_id", "CURRENCY_RATE_REQUIRED", "currencyRate"),
    ],
    ids=["a non-bank account", "a foreign currency bill without a rate"],
)
def test_an_account_that_cannot_pay_the_bill_is_refused_saying_why(
    sandbox_url: str,
    paying_gateway: str,
    account: str,
    code: str,
    named: str,
    target: Payable,
) -> None:
    clear_calls(sandbox_url)
    payload = pay(paying_gateway, target, accountId=getattr(target, account))
    assert [e["code"] for e in payload["errors"]] == [code]
    assert named in payload["errors"][0]["message"]
    assert not [c for c in recorded_calls(sandbox_url) if "/push/" in c.path]


@pytest.mark.parametrize("status", ["Paid", "Void", "Draft"])
def test_a_bill_that_is_not_payable_is_refused(
    sandbox_url: str,
    paying_gateway: str,
    status: str,
) -> None:
    # given: the bill changed in the software (the gateway reads it fresh, not from its cache)
    target = payables(sandbox_url)[0]
    graphql(paying_gateway, "{ companies(first: 1) { nodes { name } } }")
    patch_record(sandbox_url, target.company_id, "bills", target.bill["id"], {"status": status})
    clear_calls(sandbox_url)
    # when
    payload = pay(paying_gateway, target)
    # then
    assert [e["code"] for e in payload["errors"]] == ["BILL_NOT_PAYABLE"]
    assert status in payload["errors"][0]["message"]
    assert not [c for c in recorded_calls(sandbox_url) if "/push/" in c.path]


def test_a_company_without_a_linked_connection_is_refused(
    sandbox_url: str, paying_gateway: str
) -> None:
    target = payables(sandbox_url)[0]
    unconnected_company(sandbox_url)
    clear_calls(sandbox_url)
    payload = pay(paying_gateway, target)
    assert [e["code"] for e in payload["errors"]] == ["CONNECTION_NOT_LINKED"]
    assert not [c for c in recorded_calls(sandbox_url) if "/push/" in c.path]
