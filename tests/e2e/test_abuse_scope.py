"""The abuse suite: another tenant's company, over HTTP and WebSocket, reads as a missing one."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.e2e.abuse import (
    COMPANY,
    DATA_CHANGED,
    TENANT_KEY,
    Tenants,
    calls_for,
    codes,
    init,
    post,
    token,
    unsigned,
)
from tests.e2e.paying import PAY_BILL, codat_get, payables
from tests.upstream import clear_calls, recorded_calls

# --- scope --------------------------------------------------------------------------------------


def test_another_tenants_company_reads_exactly_as_a_missing_one(
    sandbox_url: str, gateway: str, tenants: Tenants
) -> None:
    # given
    missing = "00000000-0000-0000-0000-000000000000"
    clear_calls(sandbox_url)
    # when
    other = post(gateway, COMPANY, TENANT_KEY, id=tenants.other).json()
    # then
    assert other["data"] == {"company": None}
    assert codes(other) == ["NOT_FOUND"]
    assert calls_for(sandbox_url, tenants.other) == []
    absent = post(gateway, COMPANY, TENANT_KEY, id=missing).json()
    assert other["errors"][0]["message"].replace(tenants.other, "X") == absent["errors"][0][
        "message"
    ].replace(missing, "X")
    assert set(other["errors"][0]["extensions"]) == set(absent["errors"][0]["extensions"])


def test_node_aliases_and_nested_edges_never_reach_another_tenant(
    sandbox_url: str, gateway: str, tenants: Tenants
) -> None:
    # given: a real bill of the other company
    bill = codat_get(sandbox_url, f"/companies/{tenants.other}/data/bills", pageSize="1")
    bill_id = bill["results"][0]["id"]
    node_id = base64.b64encode(f"Bill:{tenants.other}:{bill_id}".encode()).decode()
    company_node = base64.b64encode(f"Company:{tenants.other}".encode()).decode()
    query = """
    query Mixed($mine: ID!, $theirs: ID!, $bill: ID!, $company: ID!) {
      a: company(id: $mine) { codatId }
      b: company(id: $theirs) { codatId bills(first: 5) { nodes { reference } } }
      c: node(id: $bill) { id ... on Bill { reference supplier { supplierName } } }
      d: node(id: $company) { id }
    }
    """
    clear_calls(sandbox_url)
    # when
    body = post(
        gateway,
        query,
        token([tenants.mine]),
        mine=tenants.mine,
        theirs=tenants.other,
        bill=node_id,
        company=company_node,
    ).json()
    # then
    assert body["data"]["a"] == {"codatId": tenants.mine}
    assert body["data"]["b"] is None
    assert body["data"]["c"] is None
    assert body["data"]["d"] is None
    assert codes(body) == ["NOT_FOUND"]
    assert calls_for(sandbox_url, tenants.other) == []


def test_a_mutation_on_another_tenants_company_is_answered_as_for_an_unknown_one(
    sandbox_url: str, gateway: str, tenants: Tenants
) -> None:
    # given
    target = payables(sandbox_url)[0]
    elsewhere = next(c for c in (tenants.mine, tenants.other) if c != target.company_id)
    restricted = token([elsewhere])  # a user of another company than the bill's
    unknown_company = "00000000-0000-0000-0000-000000000000"

    def pay(company_id: str, key: str) -> dict[str, Any]:
        response = httpx.post(
            f"{gateway}/graphql",
            json={
                "query": PAY_BILL,
                "variables": {
                    "input": {
                        "companyId": company_id,
                        "billId": target.bill["id"],
                        "accountId": target.bank_account_id,
                        "amount": "1.00",
                        "date": "2026-11-20",
                        "idempotencyKey": key,
                    }
                },
            },
            headers={"Authorization": f"Bearer {restricted}"},
            timeout=30,
        )
        payload: dict[str, Any] = response.json()["data"]["payBill"]
        return payload

    clear_calls(sandbox_url)
    # when
    forbidden = pay(target.company_id, "abuse-1")
    # then: no push, and nothing reached Codat for the other tenant's company
    assert forbidden["pushOperation"] is None
    assert [error["code"] for error in forbidden["errors"]] == ["COMPANY_NOT_FOUND"]
    assert recorded_calls(sandbox_url) == []
    # and the answer is the one a company that does not exist gets, but for its id
    missing = pay(unknown_company, "abuse-2")
    assert [
        {**error, "message": error["message"].replace(unknown_company, "X")}
        for error in missing["errors"]
    ] == [
        {**error, "message": error["message"].replace(target.company_id, "X")}
        for error in forbidden["errors"]
    ]


# --- WebSocket ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, 4401),
        ({"Authorization": "Bearer not-a-key"}, 4403),
        ({"token": unsigned({"sub": "x", "codat_companies": "*"})}, 4403),
    ],
)
async def test_a_websocket_without_valid_credentials_is_closed_with_the_reason(
    sandbox_url: str, gateway: str, payload: dict[str, Any], code: int
) -> None:
    # when
    socket, reply = await init(gateway, payload)
    # then
    assert reply is None
    assert socket.close_code == code
    assert socket.close_reason
    assert recorded_calls(sandbox_url) == []


async def test_a_subscription_to_another_tenants_company_is_refused(
    sandbox_url: str, gateway: str, tenants: Tenants
) -> None:
    # given
    socket, reply = await init(gateway, {"authorization": f"Bearer {TENANT_KEY}"})
    assert reply == {"type": "connection_ack"}
    clear_calls(sandbox_url)
    # when
    message = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": DATA_CHANGED, "variables": {"company": tenants.other}},
    }
    await socket.send(json.dumps(message))
    answer = json.loads(await socket.recv())
    await socket.close()
    # then
    errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["NOT_FOUND"]
    assert calls_for(sandbox_url, tenants.other) == []
