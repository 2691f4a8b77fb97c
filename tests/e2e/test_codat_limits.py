"""The gateway within Codat's limits, over real servers: the sandbox enforces them as Codat does
(sandbox/ratelimits.py), the gateway shapes its traffic to them and survives their refusals.

- 50 concurrent queries over 5 companies through two replicas on one Redis never put more than
  the cap in flight for one company at the sandbox (from its request record), and none is refused.
- A quota that runs out: reads answered before are served from old copies with a STALE_DATA
  warning, others are UPSTREAM_RATE_LIMITED (HTTP 200, never 5xx), nothing more reaches Codat
  until the reset, and everything works after it.
- client.rateLimit.reached delivered to one replica shuts every replica's quota gate (no call
  reaches Codat); client.rateLimit.reset opens them again.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from sandbox.app import create_app as create_sandbox_app
from sandbox.config import SandboxConfig
from tests.conftest import SANDBOX_API_KEY
from tests.gateway.replicas import (
    REDIS_URL,
    replica_settings,
    send_webhooks_to,
    synced_company,
    unique_prefix,
    wait_until,
    with_changes,
)
from tests.servers import running
from tests.upstream import clear_calls, max_overlap, recorded_calls

CAP = 3

BILLS_PAGE = """
query Bills($company: ID!, $first: Int!) {
  company(id: $company) { bills(first: $first) { nodes { codatId amountDue } } }
}
"""
SUPPLIERS = """
query Suppliers($company: ID!) {
  company(id: $company) { suppliers(first: 3) { nodes { codatId supplierName } } }
}
"""


def graphql(url: str, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30)


def knobs(sandbox_url: str) -> httpx.Client:
    return httpx.Client(base_url=f"{sandbox_url}/_sandbox", timeout=10)


@pytest.fixture(scope="module")
def five_companies() -> Iterator[str]:
    """A sandbox of 5 synced companies whose cap is CAP requests in flight per company."""
    config = SandboxConfig.small(
        api_key=SANDBOX_API_KEY,
        companies=5,
        unsynced_companies=0,
        max_concurrency_per_company=CAP,
    )
    with running(create_sandbox_app(config)) as server:
        yield server.url


def test_fifty_concurrent_queries_over_five_companies_never_exceed_the_cap_per_company(
    five_companies: str,
) -> None:
    # given: two replicas sharing one Redis, each configured with the sandbox's cap
    sandbox_url = five_companies
    httpx.post(f"{sandbox_url}/_sandbox/reset", timeout=10).raise_for_status()
    with knobs(sandbox_url) as control:
        control.put("/latency", json={"ms": 40, "jitterMs": 20}).raise_for_status()
        companies = [c["id"] for c in control.get("/seed").json()["companies"]]
    assert len(companies) == 5
    settings = with_changes(
        replica_settings(sandbox_url, redis_url=REDIS_URL, prefix=unique_prefix()),
        codat_max_concurrency_per_company=CAP,
        response_cache=False,
    )
    with running(create_app(settings)) as one, running(create_app(settings)) as two:
        clear_calls(sandbox_url)

        async def fifty() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=60) as client:
                return await asyncio.gather(
                    *(
                        client.post(
                            f"{(one, two)[n % 2].url}/graphql",
                            # a different page size each: ten distinct Codat calls per company
                            json={
                                "query": BILLS_PAGE,
                                "variables": {"company": companies[n % 5], "first": 1 + n // 5},
                            },
                        )
                        for n in range(50)
                    )
                )

        # when
        responses = asyncio.run(fifty())
    # then: every query answered, no call refused, never more than the cap in flight
    assert [r.status_code for r in responses] == [200] * 50
    assert all("errors" not in r.json() for r in responses)
    calls = [c for c in recorded_calls(sandbox_url) if c.company_id in companies]
    assert all(c.status != 429 for c in calls)
    peaks = {company: max_overlap(calls, company) for company in companies}
    assert all(1 <= peak <= CAP for peak in peaks.values()), peaks
    assert max(peaks.values()) == CAP, peaks  # the cap was reached: the bound shaped the traffic
    with knobs(sandbox_url) as control:
        state = control.get("/rateLimits").json()
    assert state["refused"] == {"concurrency": 0, "quota": 0}
    assert max(state["peakInFlight"].values()) <= CAP


def test_the_gateway_default_cap_is_the_sandboxes_and_codats() -> None:
    assert Settings.from_env({}).codat_max_concurrency_per_company == 10
    assert SandboxConfig().max_concurrency_per_company == 10


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


def test_a_used_up_quota_is_survived_with_clear_errors_and_old_copies_then_recovers(
    sandbox_url: str,
) -> None:
    company = synced_company(sandbox_url)
    settings = with_changes(
        replica_settings(sandbox_url, redis_url=None, prefix=unique_prefix()),
        cache_ttl_seconds=0.3,
        response_cache=False,
    )
    with running(create_app(settings)) as gateway:
        send_webhooks_to(sandbox_url, f"{gateway.url}/webhooks/codat")
        # given: bills read once, then the cache entry outlives its TTL
        first = graphql(gateway.url, BILLS_PAGE, company=company, first=5)
        assert codes(first.json()) == []
        time.sleep(0.4)
        # and the quota is used up, to come back in 3 s
        with knobs(sandbox_url) as control:
            control.put("/rateLimits", json={"remaining": 0, "windowSeconds": 3}).raise_for_status()
        clear_calls(sandbox_url)
        # when: the same read, and one never made
        stale = graphql(gateway.url, BILLS_PAGE, company=company, first=5)
        never = graphql(gateway.url, SUPPLIERS, company=company)
        again = graphql(gateway.url, SUPPLIERS, company=company)
        # then: the old answer with a warning; a clear error for the other; no 5xx
        assert stale.status_code == 200
        body = stale.json()
        assert "errors" not in body
        assert body["data"] == first.json()["data"]
        warnings = {w["dataType"]: w for w in body["extensions"]["warnings"]}
        assert {w["code"] for w in warnings.values()} == {"STALE_DATA"}
        assert {w["companyId"] for w in warnings.values()} == {company}
        assert warnings["bills"]["ageSeconds"] >= 0.3
        assert 0 < warnings["bills"]["retryAfter"] <= 3
        assert never.status_code == 200
        assert codes(never.json()) == ["UPSTREAM_RATE_LIMITED"]
        [error] = never.json()["errors"]
        assert 0 < error["extensions"]["retryAfter"] <= 3
        assert codes(again.json()) == ["UPSTREAM_RATE_LIMITED"]
        # one call heard 429; after it the gateway sent nothing more to Codat
        calls = recorded_calls(sandbox_url)
        assert [c.status for c in calls] == [429]
        # when the quota resets (client.rateLimit.reset, or the reset time passes)
        wait_until(
            lambda: codes(graphql(gateway.url, SUPPLIERS, company=company).json()) == [],
            timeout=8,
            what="recovery after the reset",
        )
        fresh = graphql(gateway.url, BILLS_PAGE, company=company, first=5).json()
        assert "extensions" not in fresh or "warnings" not in fresh["extensions"]
        deliveries = httpx.get(f"{sandbox_url}/_sandbox/webhooks", timeout=10).json()
        sent = {d["eventType"]: d["statusCode"] for d in deliveries["deliveries"]}
        assert sent.get("client.rateLimit.reached") == 200
        wait_until(
            lambda: any(
                d["eventType"] == "client.rateLimit.reset" and d["statusCode"] == 200
                for d in httpx.get(f"{sandbox_url}/_sandbox/webhooks", timeout=10).json()[
                    "deliveries"
                ]
            ),
            timeout=5,
            what="client.rateLimit.reset delivered",
        )


def test_rate_limit_webhooks_reach_every_replica_and_make_it_back_off(sandbox_url: str) -> None:
    company = synced_company(sandbox_url)
    settings = with_changes(
        replica_settings(sandbox_url, redis_url=REDIS_URL, prefix=unique_prefix()),
        response_cache=False,
    )
    with running(create_app(settings)) as one, running(create_app(settings)) as two:
        # given: Codat's webhooks go to replica one only
        send_webhooks_to(sandbox_url, f"{one.url}/webhooks/codat")
        with knobs(sandbox_url) as control:
            control.put("/rateLimits", json={"remaining": 0}).raise_for_status()
        # when: someone else's request uses up the quota (not through either replica)
        direct = httpx.get(
            f"{sandbox_url}/companies",
            headers={"Authorization": _basic(SANDBOX_API_KEY)},
            timeout=10,
        )
        assert direct.status_code == 429
        wait_until(
            lambda: (
                codes(graphql(two.url, SUPPLIERS, company=company).json())
                == ["UPSTREAM_RATE_LIMITED"]
            ),
            timeout=5,
            what="replica two backs off",
        )
        clear_calls(sandbox_url)
        # then: replica two refuses without asking Codat
        refused = graphql(two.url, SUPPLIERS, company=company)
        assert codes(refused.json()) == ["UPSTREAM_RATE_LIMITED"]
        assert recorded_calls(sandbox_url) == []
        # when the quota is reset (client.rateLimit.reset, to replica one again)
        with knobs(sandbox_url) as control:
            control.post("/rateLimits/reset").raise_for_status()
        # then replica two goes back to Codat
        wait_until(
            lambda: codes(graphql(two.url, SUPPLIERS, company=company).json()) == [],
            timeout=5,
            what="replica two resumes",
        )
        assert recorded_calls(sandbox_url)


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(key.encode()).decode()
