"""The warm path: persisted queries and a response cache that webhooks keep honest."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.edge.auth import parse_api_keys
from tests.gateway.replicas import read_completed, replica_settings, signed_headers
from tests.servers import ServerThread, running
from tests.upstream import clear_calls, recorded_calls

BILLS = "query Bills($c: ID!) { company(id: $c) { bills(first: 3) { nodes { codatId } } } }"
SUPPLIERS = (
    "query Suppliers($c: ID!) { company(id: $c) { suppliers(first: 3) { nodes { codatId } } } }"
)


class Gateway:
    def __init__(self, app: FastAPI, server: ServerThread) -> None:
        self.app = app
        self.url = server.url

    @property
    def executions(self) -> int:
        count: int = self.app.state.graphql.executions
        return count

    def post(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return httpx.post(f"{self.url}/graphql", json=body, headers=headers, timeout=30)

    def query(self, query: str, **variables: Any) -> httpx.Response:
        return self.post({"query": query, "variables": variables})


@pytest.fixture
def gateway(sandbox_url: str) -> Iterator[Gateway]:
    app = create_app(replica_settings(sandbox_url, redis_url=None, prefix="warm"))
    with running(app) as server:
        yield Gateway(app, server)


def companies(sandbox_url: str) -> list[str]:
    seed = httpx.get(f"{sandbox_url}/_sandbox/seed").json()
    return [company["id"] for company in seed["companies"] if company["synced"]]


def test_a_repeated_query_is_served_without_execution_or_upstream_calls(
    sandbox_url: str, gateway: Gateway
) -> None:
    # given
    company = companies(sandbox_url)[0]
    first = gateway.query(BILLS, c=company)
    executions = gateway.executions
    clear_calls(sandbox_url)
    # when
    again = gateway.query(BILLS, c=company)
    # then
    assert first.headers["x-gateway-cache"] == "miss"
    assert again.headers["x-gateway-cache"] == "hit"
    assert again.json() == first.json()
    assert gateway.executions == executions
    assert recorded_calls(sandbox_url) == []


def test_a_webhook_drops_exactly_the_responses_built_from_that_company_and_data_type(
    sandbox_url: str, gateway: Gateway
) -> None:
    # given: three cached responses
    a, b = companies(sandbox_url)[:2]
    for query, company in [(BILLS, a), (BILLS, b), (SUPPLIERS, a)]:
        assert gateway.query(query, c=company).headers["x-gateway-cache"] == "miss"
    # when: Codat says company A's bills changed
    body = read_completed(a, "bills")
    answer = httpx.post(f"{gateway.url}/webhooks/codat", content=body, headers=signed_headers(body))
    assert answer.status_code == 200
    # then
    assert gateway.query(BILLS, c=a).headers["x-gateway-cache"] == "miss"
    assert gateway.query(BILLS, c=b).headers["x-gateway-cache"] == "hit"
    assert gateway.query(SUPPLIERS, c=a).headers["x-gateway-cache"] == "hit"


def test_responses_with_errors_are_never_cached(sandbox_url: str, gateway: Gateway) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    for _ in range(2):
        response = gateway.query(BILLS, c=unknown)
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert response.headers["x-gateway-cache"] == "bypass"


def test_a_client_can_opt_out_per_request(sandbox_url: str, gateway: Gateway) -> None:
    company = companies(sandbox_url)[0]
    gateway.query(BILLS, c=company)
    executions = gateway.executions
    response = gateway.post(
        {"query": BILLS, "variables": {"c": company}}, **{"Cache-Control": "no-cache"}
    )
    assert response.headers["x-gateway-cache"] == "bypass"
    assert gateway.executions == executions + 1


def test_different_variables_are_different_responses(sandbox_url: str, gateway: Gateway) -> None:
    a, b = companies(sandbox_url)[:2]
    assert gateway.query(BILLS, c=a).json() != gateway.query(BILLS, c=b).json()


def test_apq_round_trip_unknown_hash_then_registered(sandbox_url: str, gateway: Gateway) -> None:
    # Apollo Client's protocol: the hash alone, then (on PersistedQueryNotFound) hash and query.
    company = companies(sandbox_url)[0]
    digest = hashlib.sha256(BILLS.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    hash_only = {"variables": {"c": company}, "extensions": extensions}
    # when
    unknown = gateway.post(hash_only)
    registered = gateway.post({**hash_only, "query": BILLS})
    by_hash = gateway.post(hash_only)
    by_get = httpx.get(
        f"{gateway.url}/graphql",
        params={"variables": json.dumps({"c": company}), "extensions": json.dumps(extensions)},
    )
    # then
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "errors" not in registered.json()
    assert by_hash.json() == registered.json()
    assert by_get.status_code == 200
    assert by_get.json() == registered.json()


def test_apq_refuses_a_hash_that_does_not_match_the_query(gateway: Gateway) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    response = gateway.post({"query": BILLS, "extensions": extensions})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


def test_allowlist_mode_runs_only_registered_operations(sandbox_url: str, tmp_path: Path) -> None:
    # given
    allowlist = tmp_path / "operations.json"
    allowlist.write_text(json.dumps([BILLS]))
    settings = replica_settings(sandbox_url, redis_url=None, prefix="allowlist").model_copy(
        update={"persisted_queries": "allowlist", "persisted_queries_file": allowlist}
    )
    company = companies(sandbox_url)[0]
    digest = hashlib.sha256(BILLS.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    with running(create_app(settings)) as server:
        url = f"{server.url}/graphql"
        # when
        by_hash = httpx.post(url, json={"variables": {"c": company}, "extensions": extensions})
        in_full = httpx.post(url, json={"query": BILLS, "variables": {"c": company}})
        other = httpx.post(url, json={"query": SUPPLIERS, "variables": {"c": company}})
        clear_calls(sandbox_url)
        other_by_hash = httpx.post(
            url,
            json={
                "query": SUPPLIERS,
                "extensions": {
                    "persistedQuery": {
                        "version": 1,
                        "sha256Hash": hashlib.sha256(SUPPLIERS.encode()).hexdigest(),
                    }
                },
            },
        )
    # then
    assert "errors" not in by_hash.json()
    assert "errors" not in in_full.json()
    assert other.status_code == 400
    assert other.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert other_by_hash.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert recorded_calls(sandbox_url) == []


def test_large_responses_are_compressed_when_the_client_accepts_it(
    sandbox_url: str, gateway: Gateway
) -> None:
    company = companies(sandbox_url)[0]
    query = (
        "query($c: ID!) { company(id: $c) { bills(first: 40) { nodes { codatId reference } } } }"
    )
    response = httpx.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": {"c": company}},
        headers={"Accept-Encoding": "gzip"},
    )
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["data"]["company"]["bills"]["nodes"]) > 30
    raw = httpx.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": {"c": company}},
        headers={"Accept-Encoding": "identity"},
    )
    assert "content-encoding" not in raw.headers
    assert gzip.compress(raw.content)  # the same body, sent plain


def test_two_tenants_asking_the_same_query_never_share_a_response(sandbox_url: str) -> None:
    # given: two callers who may both see company A, one of whom may also see company B
    a, b = companies(sandbox_url)[:2]
    keys = {"first": "tenant-one-key", "second": "tenant-two-key"}
    api_keys = [
        {
            "name": "one",
            "sha256": hashlib.sha256(keys["first"].encode()).hexdigest(),
            "companies": [a],
        },
        {
            "name": "two",
            "sha256": hashlib.sha256(keys["second"].encode()).hexdigest(),
            "companies": [a, b],
        },
    ]
    settings = replica_settings(sandbox_url, redis_url=None, prefix="tenants").model_copy(
        update={"auth": True, "api_keys": parse_api_keys(json.dumps(api_keys))}
    )
    companies_query = "{ companies(first: 5) { totalCount nodes { name } } }"
    with running(create_app(settings)) as server:

        def ask(key: str, query: str, **variables: Any) -> httpx.Response:
            return httpx.post(
                f"{server.url}/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
            )

        # when
        first = ask(keys["first"], BILLS, c=a)
        second = ask(keys["second"], BILLS, c=a)
        first_again = ask(keys["first"], BILLS, c=a)
        listed_by_one = ask(keys["first"], companies_query)
        listed_by_two = ask(keys["second"], companies_query)
        listed_by_one_again = ask(keys["first"], companies_query)
    # then: each tenant's first request executed; only a tenant's own repeat is a hit
    assert first.headers["x-gateway-cache"] == "miss"
    assert second.headers["x-gateway-cache"] == "miss"
    assert first_again.headers["x-gateway-cache"] == "hit"
    assert listed_by_one.json()["data"]["companies"]["totalCount"] == 1
    assert listed_by_two.json()["data"]["companies"]["totalCount"] == 2
    assert listed_by_two.headers["x-gateway-cache"] == "miss"
    assert listed_by_one_again.json() == listed_by_one.json()


def test_a_mutation_is_never_stored(sandbox_url: str, gateway: Gateway) -> None:
    # A write refused before anything is pushed (an unknown company) is still never replayed
    # from the response cache: mutations always execute.
    mutation = (
        "mutation($input: RefreshCompanyDataInput!) { refreshCompanyData(input: $input) "
        "{ errors { code } } }"
    )
    variables = {"input": {"companyId": "00000000-0000-0000-0000-000000000000"}}
    before = gateway.executions
    for _ in range(2):
        response = gateway.post({"query": mutation, "variables": variables})
        assert response.headers["x-gateway-cache"] == "bypass"
    assert gateway.executions == before + 2
