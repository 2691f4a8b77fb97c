"""Attacks on tenancy: stored responses, idempotency keys and subscriptions across callers.

Each case was a hole before (issue 11): a narrowed token read a wider token's stored response,
another tenant's idempotency key replayed its push, a subscription outlived its credential.
Each runs over a real gateway with authentication on, in front of the test sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from gateway.app import create_app
from tests.e2e.abuse import (
    ADMIN_TOKEN,
    TENANT_KEY,
    Tenants,
    init,
    jwks_url,
    post,
    secured_settings,
    sha256,
    tenants,
    token,
)
from tests.e2e.paying import PAY_BILL, Payable, codat_get
from tests.servers import running
from tests.upstream import clear_calls, recorded_calls

__all__ = ["jwks_url", "tenants"]  # fixtures used here, defined beside the abuse suite

BILLS = """
query Bills($id: ID!) {
  company(id: $id) { codatId bills(first: 3) { nodes { codatId amountDue } } }
}
"""
DATA_CHANGED = (
    "subscription Changed($company: ID!) { companyDataChanged(companyId: $company) { companyId } }"
)


def payable_of(sandbox_url: str, company: str) -> Payable:
    """An open bill of `company` with a bank account in its currency."""
    accounts = codat_get(sandbox_url, f"/companies/{company}/data/accounts", pageSize="500")
    banks = {a["currency"]: a["id"] for a in accounts["results"] if a["isBankAccount"]}
    other = next(a["id"] for a in accounts["results"] if not a["isBankAccount"])
    bills = codat_get(
        sandbox_url, f"/companies/{company}/data/bills", query="status=Open", pageSize="200"
    )["results"]
    bill = next(b for b in bills if b["currency"] in banks and b["amountDue"] > 0)
    foreign = next(i for c, i in banks.items() if c != bill["currency"])
    return Payable(company, bill, banks[bill["currency"]], other, foreign)


def pay_input(target: Payable, key: str) -> dict[str, Any]:
    return {
        "companyId": target.company_id,
        "billId": target.bill["id"],
        "accountId": target.bank_account_id,
        "date": "2026-11-26",
        "idempotencyKey": key,
    }


def payment_pushes(sandbox_url: str) -> int:
    return sum(
        1
        for call in recorded_calls(sandbox_url)
        if call.method == "POST" and call.path.endswith("/push/billPayments")
    )


@pytest.fixture
def cached_gateway(sandbox_url: str, jwks_url: str, tenants: Tenants) -> Iterator[str]:
    """The secured gateway with its response cache on."""
    settings = secured_settings(
        sandbox_url, jwks_url, tenants, RESPONSE_CACHE="true", GATEWAY_JWT_LEEWAY_SECONDS="0"
    )
    with running(create_app(settings)) as server:
        yield server.url


@pytest.mark.parametrize("algorithm", ["HS256", "RS256"])
def test_a_narrowed_token_with_the_same_subject_never_reads_a_wider_tokens_stored_response(
    sandbox_url: str, cached_gateway: str, tenants: Tenants, algorithm: str
) -> None:
    # given: a token for both companies stores the other company's bills
    wide = token([tenants.mine, tenants.other], algorithm="HS256")
    first = post(cached_gateway, BILLS, wide, id=tenants.other)
    again = post(cached_gateway, BILLS, wide, id=tenants.other)
    assert first.json()["data"]["company"]["codatId"] == tenants.other
    assert again.headers["x-gateway-cache"] == "hit"
    clear_calls(sandbox_url)
    # when: the same subject (any signing key) asks with a token narrowed to its own company
    narrow = token([tenants.mine], algorithm=algorithm)
    answer = post(cached_gateway, BILLS, narrow, id=tenants.other)
    # then: refused as unknown, never served from the store, nothing read of the other company
    body = answer.json()
    assert answer.headers.get("x-gateway-cache") != "hit"
    assert body["data"]["company"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
    stored = first.json()["data"]["company"]["bills"]["nodes"]
    assert stored
    assert all(bill["codatId"] not in answer.text for bill in stored)
    assert [c for c in recorded_calls(sandbox_url) if c.company_id == tenants.other] == []


def test_callers_with_the_same_companies_share_stored_responses(
    cached_gateway: str, tenants: Tenants
) -> None:
    # given
    post(cached_gateway, BILLS, token([tenants.mine]), id=tenants.mine)
    # when: another subject that may see exactly the same companies
    answer = post(cached_gateway, BILLS, token([tenants.mine], sub="user-2"), id=tenants.mine)
    # then
    assert answer.headers["x-gateway-cache"] == "hit"


def test_another_tenants_key_is_refused_before_any_replay(
    sandbox_url: str, cached_gateway: str, tenants: Tenants
) -> None:
    # given: tenant B pays a bill of its company with key K
    key = str(uuid.uuid4())
    target = payable_of(sandbox_url, tenants.other)
    tenant_b = token([tenants.other], sub="tenant-b")
    paid = post(cached_gateway, PAY_BILL, tenant_b, input=pay_input(target, key))
    assert paid.json()["data"]["payBill"]["errors"] == []
    clear_calls(sandbox_url)
    # when: tenant A (scoped to its own company) sends the same input with the same key
    tenant_a = token([tenants.mine], sub="tenant-a")
    answer = post(cached_gateway, PAY_BILL, tenant_a, input=pay_input(target, key))
    # then: refused like an unknown company; no push operation, no replay, no upstream call
    payload = answer.json()["data"]["payBill"]
    assert [e["code"] for e in payload["errors"]] == ["COMPANY_NOT_FOUND"]
    assert payload["pushOperation"] is None
    assert payload["replayed"] is False
    assert recorded_calls(sandbox_url) == []


def test_one_tenants_key_never_blocks_another_tenants_write(
    sandbox_url: str, cached_gateway: str, tenants: Tenants
) -> None:
    # given: tenant A uses the key first, on its own company
    key = "invoice-run-1"
    mine, other = payable_of(sandbox_url, tenants.mine), payable_of(sandbox_url, tenants.other)
    tenant_a = token([tenants.mine], sub="tenant-a")
    first = post(cached_gateway, PAY_BILL, tenant_a, input=pay_input(mine, key))
    assert first.json()["data"]["payBill"]["errors"] == []
    # when: tenant B uses the same key string for its own bill
    tenant_b = token([tenants.other], sub="tenant-b")
    answer = post(cached_gateway, PAY_BILL, tenant_b, input=pay_input(other, key))
    # then: B's payment is made (not "reused"), under a Codat key of its own
    payload = answer.json()["data"]["payBill"]
    assert payload["errors"] == []
    assert payload["replayed"] is False
    assert codat_keys(sandbox_url) == 2


def codat_keys(sandbox_url: str) -> int:
    """How many distinct Idempotency-Keys the payment pushes carried."""
    requests = httpx.get(f"{sandbox_url}/_sandbox/requests", timeout=10).json()["requests"]
    pushes = [r for r in requests if r["path"].endswith("/push/billPayments")]
    assert len(pushes) == 2
    return len({r["headers"]["idempotency-key"] for r in pushes})


async def _closed_within(socket: Any, seconds: float) -> tuple[int | None, str | None, float]:
    started = time.monotonic()
    async with asyncio.timeout(seconds):
        with contextlib.suppress(ConnectionClosed):
            while True:
                await socket.recv()
    return socket.close_code, socket.close_reason, time.monotonic() - started


async def _subscribe(gateway: str, authorization: str, company: str) -> Any:
    socket, reply = await init(gateway, {"authorization": authorization})
    assert reply == {"type": "connection_ack"}
    message = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": DATA_CHANGED, "variables": {"company": company}},
    }
    await socket.send(json.dumps(message))
    return socket


async def test_a_subscription_ends_when_its_token_expires(
    cached_gateway: str, tenants: Tenants
) -> None:
    # given: a token with three seconds to live holds a subscription open
    short = token([tenants.mine], expires_in=3)
    socket = await _subscribe(cached_gateway, f"Bearer {short}", tenants.mine)
    # when: its expiry passes
    code, reason, waited = await _closed_within(socket, 10)
    # then: the socket is closed with 4401 and the reason, and HTTP refuses the token too
    assert code == 4401
    assert "expired" in (reason or "")
    assert waited < 6
    response = await asyncio.to_thread(post, cached_gateway, BILLS, short, id=tenants.mine)
    assert response.status_code == 401


async def test_a_subscription_ends_at_once_when_its_key_is_removed_by_a_reload(
    sandbox_url: str, jwks_url: str, tenants: Tenants, tmp_path: Path
) -> None:
    # given: keys read from a file, and a subscription opened with the tenant's key
    keys = tmp_path / "keys.json"
    entry = {"name": "tenant", "sha256": sha256(TENANT_KEY), "companies": [tenants.mine]}
    keys.write_text(json.dumps([entry]), encoding="utf-8")
    settings = secured_settings(sandbox_url, jwks_url, tenants, GATEWAY_API_KEYS=str(keys))
    with running(create_app(settings)) as server:
        socket = await _subscribe(server.url, f"Bearer {TENANT_KEY}", tenants.mine)
        # when: the operator removes the key and reloads
        keys.write_text("[]", encoding="utf-8")
        reload = await asyncio.to_thread(
            httpx.post,
            f"{server.url}/admin/reload-credentials",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )
        assert reload.status_code == 200, reload.text
        code, reason, waited = await _closed_within(socket, 5)
        # then
        assert code == 4401
        assert "revoked" in (reason or "")
        assert waited < 2
        refused = await asyncio.to_thread(post, server.url, BILLS, TENANT_KEY, id=tenants.mine)
        assert refused.status_code == 401


def test_reloading_credentials_needs_the_administrator(
    sandbox_url: str, jwks_url: str, tenants: Tenants, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text("[]", encoding="utf-8")
    settings = secured_settings(sandbox_url, jwks_url, tenants, GATEWAY_API_KEYS=str(keys))
    with running(create_app(settings)) as server:
        response = httpx.post(
            f"{server.url}/admin/reload-credentials",
            headers={"Authorization": "Bearer not-the-admin"},
            timeout=10,
        )
    assert response.status_code == 401
