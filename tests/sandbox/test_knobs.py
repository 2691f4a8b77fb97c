"""The /_sandbox knobs: request record, latency, faults, reset, record edits, seed summary."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sandbox.conftest import AUTH
from tests.upstream import SeededCompany


def test_request_record_has_the_documented_fields_and_never_the_key(
    sandbox_url: str, codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    before = time.time()
    codat.get(f"/companies/{company.id}/data/bills", params={"page": 1, "query": "status=Open"})
    httpx.get(f"{sandbox_url}/companies", headers={"Authorization": "Basic bm9wZQ=="})
    records = knobs.get("/requests").json()["requests"]
    assert len(records) == 2
    first, second = records
    assert first["method"] == "GET"
    assert first["path"] == f"/companies/{company.id}/data/bills"
    assert first["query"] == "page=1&query=status%3DOpen"
    assert first["params"] == {"page": "1", "query": "status=Open"}
    assert first["companyId"] == company.id
    assert first["authorized"] is True
    assert first["status"] == 200
    assert before <= first["start"] <= first["end"] <= time.time()
    assert "user-agent" in first["headers"]
    assert second["authorized"] is False
    assert second["status"] == 401
    assert second["companyId"] is None
    assert AUTH["Authorization"] not in str(records)
    assert "bm9wZQ==" not in str(records)


def test_knob_requests_are_not_recorded_and_delete_clears(
    codat: httpx.Client, knobs: httpx.Client
) -> None:
    codat.get("/companies")
    knobs.get("/faults")
    assert len(knobs.get("/requests").json()["requests"]) == 1
    assert knobs.delete("/requests").status_code == 204
    assert knobs.get("/requests").json()["requests"] == []


def test_latency_is_added_to_matching_paths_only(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    knobs.put("/latency", json={"ms": 150, "jitterMs": 0, "pathPattern": "/data/bills$"})
    started = time.monotonic()
    codat.get(f"/companies/{company.id}/data/bills")
    slow = time.monotonic() - started
    started = time.monotonic()
    codat.get(f"/companies/{company.id}/data/suppliers")
    fast = time.monotonic() - started
    assert slow >= 0.15
    assert fast < 0.15
    assert knobs.delete("/latency").status_code == 204
    started = time.monotonic()
    codat.get(f"/companies/{company.id}/data/bills")
    assert time.monotonic() - started < 0.15


def test_status_fault_answers_with_error_message_and_retry_after_then_disarms(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    fault = knobs.post(
        "/faults",
        json={
            "pathPattern": "/data/bills",
            "methods": ["GET"],
            "status": 429,
            "retryAfter": "2",
            "times": 2,
        },
    ).json()
    assert fault["id"]
    for _ in range(2):
        limited = codat.get(f"/companies/{company.id}/data/bills")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "2"
        assert limited.json()["statusCode"] == 429
        assert "X-Rate-Limit-Limit" in limited.headers
    assert codat.get(f"/companies/{company.id}/data/bills").status_code == 200
    assert knobs.get("/faults").json()["faults"] == []


def test_faults_can_carry_an_http_date_retry_after_and_filter_methods(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    when = "Wed, 25 Nov 2026 12:00:00 GMT"
    knobs.post(
        "/faults",
        json={"pathPattern": ".*", "methods": ["POST"], "status": 503, "retryAfter": when},
    )
    assert codat.get(f"/companies/{company.id}").status_code == 200
    refused = codat.post(f"/companies/{company.id}/data/all")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == when
    assert len(knobs.get("/faults").json()["faults"]) == 1
    assert knobs.delete("/faults").status_code == 204
    assert codat.post(f"/companies/{company.id}/data/all").status_code == 204


def test_fault_rate_is_seeded_and_zero_never_fires(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    knobs.post("/faults", json={"pathPattern": "/dataStatus", "status": 500, "rate": 0.0})
    assert all(
        codat.get(f"/companies/{company.id}/dataStatus").status_code == 200 for _ in range(5)
    )

    def pattern() -> list[int]:
        knobs.post("/reset")
        knobs.post("/faults", json={"pathPattern": "/dataStatus", "status": 500, "rate": 0.5})
        return [codat.get(f"/companies/{company.id}/dataStatus").status_code for _ in range(12)]

    first = pattern()
    assert first == pattern()
    assert set(first) == {200, 500}


def test_drop_fault_breaks_the_connection(
    sandbox_url: str, company: SeededCompany, knobs: httpx.Client
) -> None:
    knobs.post("/faults", json={"pathPattern": "/data/bills$", "kind": "drop", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{sandbox_url}/companies/{company.id}/data/bills", headers=AUTH, timeout=5)
    recorded = knobs.get("/requests").json()["requests"][-1]
    assert recorded["fault"] == "drop"
    ok = httpx.get(f"{sandbox_url}/companies/{company.id}/data/bills", headers=AUTH, timeout=5)
    assert ok.status_code == 200


def test_slow_fault_delays_then_answers_normally(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    knobs.post(
        "/faults", json={"pathPattern": "/connections$", "kind": "slow", "delayMs": 300, "times": 1}
    )
    started = time.monotonic()
    assert codat.get(f"/companies/{company.id}/connections").status_code == 200
    assert time.monotonic() - started >= 0.3
    knobs.post("/faults", json={"pathPattern": "/connections$", "kind": "slow", "delayMs": 1000})
    with pytest.raises(httpx.ReadTimeout):
        codat.get(f"/companies/{company.id}/connections", timeout=0.2)


def test_bad_knob_bodies_are_400(knobs: httpx.Client) -> None:
    assert knobs.post("/faults", json={"kind": "explode"}).status_code == 400
    assert knobs.post("/faults", json={"pathPattern": "("}).status_code == 400
    assert knobs.put("/latency", json={"ms": -1}).status_code == 400
    assert knobs.put("/webhooks", content=b"{nope").status_code == 400


def test_reset_restores_seeded_data_and_quiets_every_knob(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    bills = codat.get(f"/companies/{company.id}/data/bills").json()["results"]
    knobs.patch(f"/companies/{company.id}/data/bills/{bills[0]['id']}", json={"note": "changed"})
    knobs.put("/latency", json={"ms": 10})
    knobs.post("/faults", json={"pathPattern": "/nothing"})
    knobs.put("/webhooks", json={"targets": [{"url": "http://127.0.0.1:9/x"}], "paused": True})
    assert knobs.post("/reset").json() == {"reset": True}
    assert knobs.get("/requests").json()["requests"] == []
    assert knobs.get("/faults").json()["faults"] == []
    hooks = knobs.get("/webhooks").json()
    assert hooks == {"targets": [], "paused": False, "deliveries": []}
    again = codat.get(f"/companies/{company.id}/data/bills/{bills[0]['id']}").json()
    assert again == bills[0]


def test_records_can_be_added_through_the_knob(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client
) -> None:
    added = knobs.post(
        f"/companies/{company.id}/data/suppliers",
        json={"supplierName": "Knob Added Ltd", "status": "Active"},
    )
    assert added.status_code == 201
    supplier_id = added.json()["id"]
    fetched = codat.get(f"/companies/{company.id}/data/suppliers/{supplier_id}").json()
    assert fetched["supplierName"] == "Knob Added Ltd"
    assert knobs.patch(f"/companies/{company.id}/data/nope/1", json={}).status_code == 404


def test_seed_summary_lists_companies_and_counts(knobs: httpx.Client) -> None:
    summary = knobs.get("/seed").json()
    assert summary["seed"] == 42
    assert summary["today"] == "2026-11-25"
    assert len(summary["companies"]) == 3
    assert summary["companies"][0]["synced"] is True
    assert summary["companies"][-1]["synced"] is False
    assert summary["companies"][0]["counts"]["bills"] == 40
