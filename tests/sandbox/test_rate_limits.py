"""The sandbox's rate limits, failed pulls and connection.failed, as Codat does them.

Every Codat response here is contract-checked (the `codat` fixture); every webhook is checked
against the Platform spec's `webhooks:` and every legacy body against the event catalogue.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.contract import check_legacy_webhook, check_response, check_webhook
from tests.sandbox.conftest import AUTH, Receiver, event_type
from tests.upstream import SeededCompany


def legacy_rule(name: str) -> Any:
    return lambda r: r.path == "/legacy" and json.loads(r.body).get("RuleType") == name


def of_type(name: str) -> Any:
    return lambda r: r.path == "/standard" and event_type(r) == name


def both_formats(knobs: httpx.Client, url: str) -> None:
    targets = [{"url": f"{url}/standard"}, {"url": f"{url}/legacy", "format": "legacy"}]
    knobs.put("/webhooks", json={"targets": targets}).raise_for_status()


def test_quota_headers_move_with_every_request_and_name_the_next_utc_midnight(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    # given: Codat's quota, 1,000 x (1 + active connected companies): 3 linked in the small world
    first = codat.get(f"/companies/{company.id}/data/bills", params={"pageSize": 1})
    second = codat.get("/companies")
    # then
    limit = int(first.headers["X-Rate-Limit-Limit"])
    assert limit == 1000 * (1 + 3)
    assert int(first.headers["X-Rate-Limit-Remaining"]) == limit - 1
    assert int(second.headers["X-Rate-Limit-Remaining"]) == limit - 2
    midnight = (datetime.now(UTC) + timedelta(days=1)).date().isoformat() + "T00:00:00Z"
    assert first.headers["X-Rate-Limit-Reset"] == midnight
    state = knobs.get("/rateLimits").json()
    assert state["used"] == 2
    assert state["maxConcurrencyPerCompany"] == 10


def test_an_exhausted_quota_is_429_with_retry_after_then_resets_with_both_webhooks(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    both_formats(knobs, url)
    # given: two requests left in a window that ends in 1.5 s
    knobs.put("/rateLimits", json={"remaining": 2, "windowSeconds": 1.5}).raise_for_status()
    # when
    statuses = [codat.get("/companies").status_code for _ in range(2)]
    refused = codat.get(f"/companies/{company.id}/data/bills")
    again = codat.get("/companies")
    # then: 429, an ErrorMessage (contract-checked), Retry-After in seconds, headers at zero
    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused.json()["statusCode"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"
    assert again.status_code == 429
    [reached] = hooks.wait_for(of_type("client.rateLimit.reached"))
    check_webhook("client.rateLimit.reached", reached.body)
    payload = json.loads(reached.body)["payload"]
    assert payload["quotaRemaining"] == 0
    assert payload["dailyQuota"] == int(refused.headers["X-Rate-Limit-Limit"])
    assert payload["expiryDate"] == refused.headers["X-Rate-Limit-Reset"]
    [legacy_reached] = hooks.wait_for(legacy_rule("Rate Limit Reached"))
    check_legacy_webhook("ClientRateLimitReached", legacy_reached.body)
    assert "CompanyId" not in json.loads(legacy_reached.body)
    # when the window ends (no request needed: Codat sends the reset when the quota resets)
    [reset] = hooks.wait_for(of_type("client.rateLimit.reset"), timeout=5)
    check_webhook("client.rateLimit.reset", reset.body)
    assert json.loads(reset.body)["payload"]["quotaRemaining"] > 0
    [legacy_reset] = hooks.wait_for(legacy_rule("Rate Limit Reset"))
    check_legacy_webhook("ClientRateLimitReset", legacy_reset.body)
    assert json.loads(legacy_reset.body)["Data"]["ResetReason"]
    # then: served again, with the whole quota
    after = codat.get("/companies")
    assert after.status_code == 200
    assert (
        int(after.headers["X-Rate-Limit-Remaining"]) == int(after.headers["X-Rate-Limit-Limit"]) - 1
    )
    assert len([h for h in hooks.received if event_type(h) == "client.rateLimit.reached"]) == 1


def test_the_reset_knob_restores_the_quota_at_once(
    codat: httpx.Client, knobs: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    knobs.put("/rateLimits", json={"dailyQuota": 3, "remaining": 0}).raise_for_status()
    assert codat.get("/companies").status_code == 429
    state = knobs.post("/rateLimits/reset").json()
    assert state["remaining"] == 3
    assert codat.get("/companies").headers["X-Rate-Limit-Remaining"] == "2"
    assert hooks.wait_for(of_type("client.rateLimit.reset"))


def test_more_than_the_cap_at_once_for_one_company_is_429_while_others_are_served(
    sandbox_url: str, companies: list[SeededCompany], knobs: httpx.Client
) -> None:
    # given: a cap of 2 per company and slow answers
    knobs.put("/rateLimits", json={"maxConcurrencyPerCompany": 2}).raise_for_status()
    knobs.put("/latency", json={"ms": 300}).raise_for_status()
    one, other = companies[0], companies[1]

    async def at_once() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=sandbox_url, headers=AUTH, timeout=10) as client:
            return await asyncio.gather(
                *(client.get(f"/companies/{one.id}/data/suppliers") for _ in range(4)),
                *(client.get(f"/companies/{other.id}/data/suppliers") for _ in range(2)),
            )

    # when: 4 at once for one company, 2 for another
    responses = asyncio.run(at_once())
    for response in responses:
        check_response(response.request, response)
    # then
    mine = sorted(r.status_code for r in responses[:4])
    assert mine == [200, 200, 429, 429]
    assert [r.status_code for r in responses[4:]] == [200, 200]
    limited = [r for r in responses if r.status_code == 429]
    assert all(r.headers["Retry-After"] == "1" for r in limited)
    state = knobs.get("/rateLimits").json()
    assert state["peakInFlight"][one.id] == 2
    assert state["refused"]["concurrency"] == 2
    assert state["inFlight"] == {}
    record = knobs.get("/requests").json()["requests"]
    assert sorted(str(e["limited"]) for e in record) == ["None"] * 4 + ["concurrency"] * 2


def test_a_failed_pull_sends_read_completed_with_the_error_status_and_the_legacy_error_rule(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    both_formats(knobs, url)
    before = codat.get(f"/companies/{company.id}/dataStatus").json()["bills"]
    # given: the next pull of bills fails
    armed = knobs.post(
        f"/companies/{company.id}/pullFailures", json={"dataType": "bills", "status": "FetchError"}
    )
    assert armed.status_code == 200
    # when
    pull = codat.post(f"/companies/{company.id}/data/queue/bills").json()
    # then
    [read] = hooks.wait_for(of_type("read.completed"))
    check_webhook("read.completed", read.body)
    [summary] = json.loads(read.body)["payload"]["dataTypes"]
    assert summary["dataType"] == "bills"
    assert summary["status"] == "FetchError"
    assert summary["recordsModified"] is False
    assert summary["issues"][0]["message"]
    [legacy] = hooks.wait_for(legacy_rule("Data Sync Status Changed To Error"))
    check_legacy_webhook("DataSyncStatusChangedToError", legacy.body)
    assert json.loads(legacy.body)["Data"] == {
        "dataType": "bills",
        "datasetStatus": "FetchError",
        "datasetId": pull["id"],
    }
    assert not hooks.wait_for(legacy_rule("Data sync completed"), timeout=0.3)
    dataset = codat.get(f"/companies/{company.id}/data/history/{pull['id']}").json()
    assert dataset["status"] == "FetchError"
    assert dataset["isErrored"] is True
    assert dataset["isCompleted"] is False
    status = codat.get(f"/companies/{company.id}/dataStatus").json()["bills"]
    assert status["currentStatus"] == "FetchError"
    assert status["latestSyncId"] == pull["id"]
    assert status["latestSuccessfulSyncId"] == before["latestSuccessfulSyncId"]
    # the cache keeps what it had; the next pull (knob used up) completes
    assert codat.get(f"/companies/{company.id}/data/bills").status_code == 200
    codat.post(f"/companies/{company.id}/data/queue/bills")
    reads = hooks.wait_for(of_type("read.completed"), count=2)
    assert json.loads(reads[1].body)["payload"]["dataTypes"][0]["status"] == "Complete"


def test_a_link_that_fails_sends_connection_failed_and_stays_pending(
    codat: httpx.Client, knobs: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    company = codat.post("/companies", json={"name": "Failing Link Ltd"}).json()
    connection = codat.post(
        f"/companies/{company['id']}/connections", json={"platformKey": "gbol"}
    ).json()
    # when
    path = f"/companies/{company['id']}/connections/{connection['id']}/link"
    answer = knobs.post(path, json={"fail": "User cancelled linking"})
    # then
    assert answer.status_code == 200
    [failed] = hooks.wait_for(of_type("connection.failed"))
    check_webhook("connection.failed", failed.body)
    sent = json.loads(failed.body)["payload"]["connection"]
    assert sent["status"] == "PendingAuth"
    assert sent["dataConnectionErrors"][0]["status"] == "Active"
    read = codat.get(f"/companies/{company['id']}/connections/{connection['id']}").json()
    assert read["status"] == "PendingAuth"
    # a later link succeeds
    knobs.post(path).raise_for_status()
    assert hooks.wait_for(of_type("connection.connected"))


def test_bad_rate_limit_and_pull_failure_knob_bodies_are_400(
    knobs: httpx.Client, company: SeededCompany
) -> None:
    assert knobs.put("/rateLimits", json={"maxConcurrencyPerCompany": 0}).status_code == 400
    assert knobs.put("/rateLimits", json={"remaining": -1}).status_code == 400
    assert knobs.put("/rateLimits", json={"surprise": 1}).status_code == 400
    failure = {"dataType": "bills", "status": "Complete"}
    assert knobs.post(f"/companies/{company.id}/pullFailures", json=failure).status_code == 400
    unknown = {"dataType": "invoices"}
    assert knobs.post(f"/companies/{company.id}/pullFailures", json=unknown).status_code == 400


def test_reset_restores_the_configured_limits(knobs: httpx.Client, sandbox_url: str) -> None:
    knobs.put("/rateLimits", json={"dailyQuota": 5, "maxConcurrencyPerCompany": 1})
    httpx.post(f"{sandbox_url}/_sandbox/reset", timeout=10).raise_for_status()
    state = knobs.get("/rateLimits").json()
    assert state["configuredDailyQuota"] is None
    assert state["maxConcurrencyPerCompany"] == 10
    assert state["used"] == 0
    time.sleep(0)  # the record is empty too
    assert knobs.get("/requests").json()["requests"] == []
