"""What a client can send that no amount, webhook or id can be: each gets a typed error, never a
500, and refused money never reaches Codat (issue 11, finding 6).

Every case runs over real servers: a gateway in front of the test sandbox, whose request record
shows that nothing was pushed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

from sandbox.config import SandboxConfig
from tests.e2e.paying import PAY_BILL, PAY_BILLS, Payable, payables
from tests.upstream import clear_calls, recorded_calls

CREATE_BILL = """
mutation CreateBill($input: CreateBillInput!) {
  createBill(input: $input) { pushOperation { pushOperationKey } errors { code message field } }
}
"""

NODE = "query Node($id: ID!) { node(id: $id) { id } }"


def post(gateway: str, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(
        f"{gateway}/graphql", json={"query": query, "variables": variables}, timeout=30
    )


def pushes(sandbox_url: str) -> list[str]:
    return [c.path for c in recorded_calls(sandbox_url) if "/push/" in c.path]


def refusal(response: httpx.Response, mutation: str) -> tuple[str, str]:
    """The one error of a refused write: a GraphQL error's code or the payload's (never 500)."""
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        assert len(body["errors"]) == 1, body
        error = body["errors"][0]
        return error["extensions"]["code"], error["message"]
    payload = body["data"][mutation]
    assert payload["pushOperation"] is None, payload
    assert len(payload["errors"]) == 1, payload
    return payload["errors"][0]["code"], payload["errors"][0]["message"]


ODD_AMOUNTS: list[tuple[str, dict[str, Any], str]] = [
    ("NaN amount", {"amount": "NaN"}, "BAD_USER_INPUT"),
    ("signalling NaN", {"amount": "sNaN"}, "BAD_USER_INPUT"),
    ("infinite amount", {"amount": "Infinity"}, "BAD_USER_INPUT"),
    ("minus infinity", {"amount": "-Infinity"}, "BAD_USER_INPUT"),
    ("huge amount", {"amount": "1E+999999"}, "BAD_USER_INPUT"),
    ("14 integer digits", {"amount": "12345678901234"}, "BAD_USER_INPUT"),
    ("JSON 1e300", {"amount": 1e300}, "BAD_USER_INPUT"),
    ("tiny amount", {"amount": "1e-999999"}, "BAD_USER_INPUT"),
    ("a tenth of a cent", {"amount": "10.001"}, "INVALID_INPUT"),
    ("huge rate", {"currencyRate": "1E+999999"}, "BAD_USER_INPUT"),
    ("tiny rate", {"currencyRate": "1e-999999"}, "BAD_USER_INPUT"),
    ("11-place rate", {"currencyRate": "0.00000000001"}, "BAD_USER_INPUT"),
    ("NaN rate", {"currencyRate": "NaN"}, "BAD_USER_INPUT"),
    ("zero rate", {"currencyRate": "0E-5"}, "CURRENCY_RATE_NOT_POSITIVE"),
    ("long text", {"amount": "1" + "0" * 100}, "BAD_USER_INPUT"),
    ("a boolean", {"amount": True}, "BAD_USER_INPUT"),
]


@pytest.fixture
def target(target: Payable, sandbox_url: str, paying_gateway: str) -> Payable:
    """The e2e `target`, the sandbox's calls cleared once the gateway is up (so `pushes` sees
    only the test's own)."""
    clear_calls(sandbox_url)
    return target


@pytest.mark.parametrize(("case", "changes", "code"), ODD_AMOUNTS, ids=[c[0] for c in ODD_AMOUNTS])
def test_an_odd_amount_or_rate_in_pay_bill_is_a_typed_error_and_pushes_nothing(
    sandbox_url: str,
    paying_gateway: str,
    target: Payable,
    case: str,
    changes: dict[str, Any],
    code: str,
) -> None:
    variables = {
        "companyId": target.company_id,
        "billId": target.bill["id"],
        "accountId": target.foreign_bank_account_id
        if "currencyRate" in changes
        else target.bank_account_id,
        "date": "2026-11-26",
        **changes,
    }
    # when
    response = post(paying_gateway, PAY_BILL, input=variables)
    # then
    assert refusal(response, "payBill")[0] == code
    assert pushes(sandbox_url) == []


@pytest.mark.parametrize(("case", "changes", "code"), ODD_AMOUNTS, ids=[c[0] for c in ODD_AMOUNTS])
def test_an_odd_amount_or_rate_in_pay_bills_is_a_typed_error_and_pushes_nothing(
    sandbox_url: str,
    paying_gateway: str,
    case: str,
    changes: dict[str, Any],
    code: str,
) -> None:
    # given
    first, second = payables(sandbox_url, 2)
    clear_calls(sandbox_url)
    variables = {
        "companyId": first.company_id,
        "bills": [{"billId": first.bill["id"], **changes}, {"billId": second.bill["id"]}],
        "accountId": first.bank_account_id,
        "date": "2026-11-26",
    }
    # when
    response = post(paying_gateway, PAY_BILLS, input=variables)
    # then
    body = response.json()
    assert response.status_code == 200, response.text
    if body.get("errors"):
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    else:
        payload = body["data"]["payBills"]
        found = [e["code"] for e in payload["errors"]]
        found += [e["code"] for r in payload["results"] for e in r["errors"]]
        assert found == [code], payload
    assert pushes(sandbox_url) == []


def test_a_literal_amount_is_read_from_its_text_so_1e999999_is_refused_not_infinity(
    sandbox_url: str, paying_gateway: str, target: Payable
) -> None:
    for literal in ("1e999999", "1e-999999", "123456789012345678901234567890"):
        fields = (
            f'companyId: "{target.company_id}", billId: "{target.bill["id"]}", '
            f'accountId: "{target.bank_account_id}", date: "2026-11-26", amount: {literal}'
        )
        query = f"mutation {{ payBill(input: {{{fields}}}) {{ errors {{ code }} }} }}"
        response = httpx.post(f"{paying_gateway}/graphql", json={"query": query}, timeout=30)
        assert response.status_code == 200
        codes = [e["extensions"]["code"] for e in response.json()["errors"]]
        assert codes == ["GRAPHQL_VALIDATION_FAILED"], literal
    assert pushes(sandbox_url) == []


@pytest.mark.parametrize(
    ("changes", "line", "code"),
    [
        ({}, {"unitAmount": "NaN"}, "BAD_USER_INPUT"),
        ({}, {"unitAmount": "1", "quantity": "Infinity"}, "BAD_USER_INPUT"),
        ({}, {"unitAmount": "9999999999999", "quantity": "9999999999999"}, "INVALID_INPUT"),
        ({}, {"unitAmount": "1.00001"}, "INVALID_INPUT"),
        ({}, {"unitAmount": "1", "taxAmount": "0.001"}, "INVALID_INPUT"),
        ({}, {"unitAmount": "1", "quantity": "1e-999999"}, "BAD_USER_INPUT"),
        ({"currencyRate": "1e-999999"}, {"unitAmount": "10"}, "BAD_USER_INPUT"),
    ],
)
def test_odd_amounts_and_rates_in_create_bill_are_typed_errors(
    sandbox_url: str,
    paying_gateway: str,
    target: Payable,
    changes: dict[str, Any],
    line: dict[str, Any],
    code: str,
) -> None:
    variables = {
        "companyId": target.company_id,
        "supplierId": target.bill["supplierRef"]["id"],
        "issueDate": "2026-11-26",
        "lineItems": [line],
        **changes,
    }
    response = post(paying_gateway, CREATE_BILL, input=variables)
    assert refusal(response, "createBill")[0] == code
    assert pushes(sandbox_url) == []


# --- webhooks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["webhook", "svix"])
def test_a_non_utf8_webhook_body_with_a_signature_is_a_400(
    paying_gateway: str,
    prefix: str,
) -> None:
    headers = {
        f"{prefix}-id": "msg_1",
        f"{prefix}-timestamp": str(int(time.time())),
        f"{prefix}-signature": "v1,bm90LWEtc2lnbmF0dXJl",
    }
    response = httpx.post(
        f"{paying_gateway}/webhooks/codat", content=b"\xff\xfe{\x80}", headers=headers, timeout=10
    )
    assert response.status_code == 400, response.text
    assert "UTF-8" in response.json()["error"]
    assert "Traceback" not in response.text


def test_a_validly_signed_non_utf8_webhook_body_is_a_400(
    paying_gateway: str,
) -> None:
    body = b'{"eventType": "\xff"}'
    msg_id, stamp = "msg_signed_non_utf8", int(time.time())
    secret = SandboxConfig.small().webhook_secret
    to_sign = f"{msg_id}.{stamp}.".encode() + body
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signature = base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": f"v1,{signature}",
    }
    response = httpx.post(
        f"{paying_gateway}/webhooks/codat", content=body, headers=headers, timeout=10
    )
    assert response.status_code == 400, response.text


# --- deep variables ---------------------------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = 0
    for index in range(depth):
        value = [value] if index % 2 else {"a": value}
    return value


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_variables_nested_500_deep_are_a_400_before_anything_recurses(
    sandbox_url: str,
    paying_gateway: str,
    method: str,
) -> None:
    clear_calls(sandbox_url)
    variables = {"x": nested(500)}
    query = "query Q($x: JSON) { __typename }"
    if method == "POST":
        response = httpx.post(
            f"{paying_gateway}/graphql",
            content=json.dumps({"query": query, "variables": variables}),
            headers={"content-type": "application/json"},
            timeout=30,
        )
    else:
        response = httpx.get(
            f"{paying_gateway}/graphql",
            params={"query": query, "variables": json.dumps(variables)},
            timeout=30,
        )
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "nest" in error["message"]
    assert recorded_calls(sandbox_url) == []


def test_variables_nested_within_the_bound_still_run(
    paying_gateway: str,
) -> None:
    response = post(paying_gateway, "{ __typename }", x=nested(30))
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


# --- node ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", ["Node", "Foo", "Query", "PageInfo", "MutationError"])
def test_a_global_id_of_an_unknown_type_is_not_found(
    paying_gateway: str,
    type_name: str,
) -> None:
    global_id = base64.b64encode(f"{type_name}:some-id".encode()).decode()
    response = post(paying_gateway, NODE, id=global_id)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"node": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"], body


# --- found by the fuzzer (tests/e2e/test_fuzz.py) ---------------------------------------------

COMPANY_BY_ID = b'{"query": "query C($id: ID!) { company(id: $id) { name } }", '


@pytest.mark.parametrize(
    "body",
    [
        COMPANY_BY_ID + b'"variables": {"id": "\\ud800"}}',
        COMPANY_BY_ID + b'"variables": {"id": "\xed\xa0\x80"}}',
    ],
    ids=["escaped", "utf-8 bytes"],
)
def test_a_lone_surrogate_in_a_string_is_a_400_not_a_500(
    sandbox_url: str,
    paying_gateway: str,
    body: bytes,
) -> None:
    clear_calls(sandbox_url)
    response = httpx.post(
        f"{paying_gateway}/graphql",
        content=body,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert recorded_calls(sandbox_url) == []


def test_a_page_size_past_32_bits_is_bad_input_not_a_500(
    paying_gateway: str, target: Payable
) -> None:
    query = "query C($id: ID!, $first: Int) "
    query += "{ company(id: $id) { bills(first: $first) { totalCount } } }"
    response = post(paying_gateway, query, id=target.company_id, first=10**30)
    assert response.status_code == 200, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["BAD_USER_INPUT"]
