"""One idempotency key, 50 concurrent payBill calls, two replicas on one Redis: one push."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from gateway.app import create_app
from tests.e2e.paying import PAY_BILL, payables
from tests.gateway.replicas import REDIS_URL, readiness, replica_settings, unique_prefix, wait_until
from tests.servers import running
from tests.upstream import clear_calls, recorded_calls

CALLS = 50


def test_fifty_concurrent_calls_with_one_key_on_two_replicas_push_once(sandbox_url: str) -> None:
    # given
    settings = replica_settings(sandbox_url, redis_url=REDIS_URL, prefix=unique_prefix())
    target = payables(sandbox_url)[0]
    key = str(uuid.uuid4())
    variables = {
        "input": {
            "companyId": target.company_id,
            "billId": target.bill["id"],
            "accountId": target.bank_account_id,
            "date": "2026-11-26",
            "idempotencyKey": key,
        }
    }
    with running(create_app(settings)) as a, running(create_app(settings)) as b:
        wait_until(lambda: readiness(a.url)["bus"]["healthy"], what="replica A on Redis")
        wait_until(lambda: readiness(b.url)["bus"]["healthy"], what="replica B on Redis")
        clear_calls(sandbox_url)

        def call(index: int) -> dict[str, Any]:
            url = (a.url if index % 2 else b.url) + "/graphql"
            response = httpx.post(url, json={"query": PAY_BILL, "variables": variables}, timeout=30)
            response.raise_for_status()
            payload: dict[str, Any] = response.json()["data"]["payBill"]
            return payload

        # when
        with ThreadPoolExecutor(max_workers=CALLS) as pool:
            payloads = list(pool.map(call, range(CALLS)))

    # then
    pushes = [c for c in recorded_calls(sandbox_url) if c.path.endswith("/push/billPayments")]
    assert len(pushes) == 1
    assert all(p["errors"] == [] for p in payloads), payloads
    keys = {p["pushOperation"]["pushOperationKey"] for p in payloads}
    assert len(keys) == 1
    assert sum(1 for p in payloads if not p["replayed"]) == 1
    assert {p["idempotencyKey"] for p in payloads} == {key}
