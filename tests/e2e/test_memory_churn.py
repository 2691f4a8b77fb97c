"""Memory stays flat under cache churn: what the process keeps per record goes with the record.

With the data cache's TTL near zero every request reads Codat afresh, so every request makes new
record objects. Nothing may keep the old ones alive once the cache has dropped them (a memo of
GraphQL objects beside the records once did: ~400 MB over a few thousand requests).
"""

from __future__ import annotations

import gc
import time
import weakref

import httpx

from gateway.app import create_app
from gateway.codat import models
from gateway.codat.types import CompanyId
from schema.memo import per_record
from schema.types.suppliers import Supplier
from tests.conftest import gateway_settings
from tests.queries import AP_DASHBOARD_DETAILED
from tests.servers import running

VARIABLES = {"companies": 2, "bills": 10, "dueFrom": "2026-10-01", "dueTo": "2027-01-31"}
CHURNED_REQUESTS = 40


def _live(kind: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is kind)


def _supplier() -> models.Supplier:
    return models.Supplier.model_validate({"id": "s-1", "supplierName": "Acme", "status": "Active"})


def test_graphql_objects_are_reused_while_their_record_lives_and_go_with_it() -> None:
    # given
    record = _supplier()
    company = CompanyId("c-1")
    first = Supplier.from_model(company, record)
    # when / then: the same record gives the same object; an equal copy gets its own
    assert Supplier.from_model(company, record) is first
    copy = record.model_copy(update={"supplier_name": "Other"})
    assert Supplier.from_model(company, copy).supplier_name == "Other"
    assert Supplier.from_model(company, record) is first
    # the memo is invisible to pydantic: dumps and equality are the record's alone
    assert record == _supplier()
    assert "_graphql_objects" not in record.model_dump()
    # when the record goes, its GraphQL object goes with it
    gone = weakref.ref(first)
    del first, record, copy
    gc.collect()
    assert gone() is None


def test_per_record_builds_once_per_type_and_company() -> None:
    built: list[str] = []

    class Thing:
        @classmethod
        @per_record
        def from_model(cls, company_id: str, model: object) -> object:
            built.append(company_id)
            return object()

    record = _supplier()
    a = Thing.from_model("a", record)
    assert Thing.from_model("a", record) is a
    assert Thing.from_model("b", record) is not a
    assert built == ["a", "b"]


def test_records_do_not_outlive_the_cache_under_churn(sandbox_url: str) -> None:
    # given: a gateway whose data cache keeps nothing past a millisecond, and no stored responses
    settings = gateway_settings(
        sandbox_url, CACHE_TTL_SECONDS="0.001", RESPONSE_CACHE="false", GATEWAY_MAX_COST="100000"
    )
    app = create_app(settings)
    body = {"query": AP_DASHBOARD_DETAILED, "variables": VARIABLES}
    with running(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:

        def dashboard() -> None:
            response = client.post("/graphql", json=body)
            assert response.status_code == 200
            assert "errors" not in response.json()

        for _ in range(3):
            dashboard()
        bills_after_warm_up = _live(models.Bill)
        cache = app.state.services.upstream.cache
        # when
        for _ in range(CHURNED_REQUESTS):
            dashboard()
            time.sleep(0.002)
        # then: the records alive are about one request's worth, not one per request
        assert _live(models.Bill) <= max(bills_after_warm_up, 2 * 2 * 10)
        assert _live(models.Account) < 200
        assert cache.stats.misses > CHURNED_REQUESTS  # it did churn
        assert len(cache) <= 200
        assert len(cache._entries.index) <= 20  # (company, data type) scopes
        assert len(cache._generations) <= 20
        assert len(cache._inflight) == 0
