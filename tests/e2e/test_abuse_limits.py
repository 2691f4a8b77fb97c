"""The abuse suite: what no query may do to the upstream (depth, tokens, cost, size, rate)."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from tests.e2e.abuse import (
    ALL_KEY,
    TENANT_KEY,
    Tenants,
    codes,
    post,
    rate_limited,
    secured_settings,
)
from tests.servers import running
from tests.upstream import clear_calls, recorded_calls

# --- limits -------------------------------------------------------------------------------------


def test_a_deep_query_an_alias_bomb_and_a_huge_list_are_refused_before_any_call(
    sandbox_url: str, gateway: str, tenants: Tenants
) -> None:
    # given
    deep = "{ companies { nodes { bills { nodes { supplier { bills { nodes { supplier { bills"
    deep += " { nodes { supplier { supplierName } } } } } } } } } } } }"
    aliases = " ".join(f"a{i}: companies(first: 1) {{ totalCount }}" for i in range(200))
    fragment_aliases = (
        "query { ...F } fragment F on Query { "
        + " ".join(f"b{i}: __typename" for i in range(100))
        + " }"
    )
    huge = "{ companies(first: 1000000) { nodes { codatId } } }"
    clear_calls(sandbox_url)
    # when
    results = {
        name: post(gateway, query, ALL_KEY).json()
        for name, query in [
            ("deep", deep),
            ("aliases", "{" + aliases + "}"),
            ("fragment_aliases", fragment_aliases),
            ("huge", huge),
        ]
    }
    # then
    assert codes(results["deep"]) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "exceeds maximum operation depth" in results["deep"]["errors"][0]["message"]
    assert codes(results["aliases"]) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases found" in results["aliases"]["errors"][0]["message"]
    assert codes(results["fragment_aliases"]) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(results["huge"]) == ["BAD_USER_INPUT"]
    assert recorded_calls(sandbox_url) == []


def test_too_many_tokens_are_refused_while_parsing(sandbox_url: str, gateway: str) -> None:
    query = "{ " + " ".join("__typename" for _ in range(5000)) + " }"
    body = post(gateway, query, ALL_KEY).json()
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert "tokens" in body["errors"][0]["message"]
    assert recorded_calls(sandbox_url) == []


def test_a_query_over_the_cost_budget_names_cost_and_budget_and_calls_nothing(
    sandbox_url: str, gateway: str
) -> None:
    # given: one supplier's bills per supplier of every company
    query = """
    { companies(first: 20) { nodes { suppliers(first: 100) { nodes {
        bills(first: 10) { totalCount } } } } } }
    """
    clear_calls(sandbox_url)
    # when
    body = post(gateway, query, ALL_KEY).json()
    # then: 1 companies page + 20 supplier pages + 2,000 bill lists
    error = body["errors"][0]
    extensions = error["extensions"]
    assert (extensions["code"], extensions["cost"], extensions["budget"]) == (
        "QUERY_TOO_COSTLY",
        2021,
        200,
    )
    assert "2021" in error["message"]
    assert "200" in error["message"]
    assert body["data"] is None
    assert recorded_calls(sandbox_url) == []


def test_a_restricted_caller_pays_only_for_its_own_companies(
    sandbox_url: str, gateway: str, tenants: Tenants
) -> None:
    # the same query costs 1 company read + 1 supplier page + 100 bill lists for one tenant
    query = "{ companies(first: 20) { nodes { suppliers(first: 100) { totalCount } } } }"
    body = post(gateway, query, TENANT_KEY).json()
    assert "errors" not in body, body
    assert {call.company_id for call in recorded_calls(sandbox_url)} == {tenants.mine}


def test_a_restricted_caller_cannot_filter_companies_with_a_raw_query(
    sandbox_url: str, gateway: str
) -> None:
    # A raw query would have to run over every company, others' included: refused, not ignored.
    body = post(gateway, '{ companies(first: 5, query: "name~Ltd") { totalCount } }', TENANT_KEY)
    assert codes(body.json()) == ["BAD_USER_INPUT"]
    assert recorded_calls(sandbox_url) == []


def test_an_oversized_body_gets_413_unread(sandbox_url: str, gateway: str) -> None:
    # given
    body = b'{"query": "{ __typename }", "variables": {"pad": "' + b"x" * 1_100_000 + b'"}}'
    # when
    response = httpx.post(
        f"{gateway}/graphql",
        content=body,
        headers={"Authorization": f"Bearer {ALL_KEY}", "Content-Type": "application/json"},
    )
    # then
    assert response.status_code == 413
    assert codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
    assert recorded_calls(sandbox_url) == []


def test_a_client_over_its_rate_gets_429_with_retry_after(
    sandbox_url: str, jwks_url: str, tenants: Tenants
) -> None:
    # given
    settings = rate_limited(sandbox_url, jwks_url, tenants, per_second="0.01", burst="3")
    with running(create_app(settings)) as server:
        # when
        statuses = [post(server.url, "{ __typename }", TENANT_KEY).status_code for _ in range(4)]
        limited = post(server.url, "{ __typename }", TENANT_KEY)
        other_client = post(server.url, "{ __typename }", ALL_KEY)
    # then
    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert codes(limited.json()) == ["RATE_LIMITED"]
    assert other_client.status_code == 200


def test_introspection_can_be_switched_off(
    sandbox_url: str, jwks_url: str, tenants: Tenants
) -> None:
    settings = secured_settings(sandbox_url, jwks_url, tenants, GATEWAY_INTROSPECTION="false")
    with running(create_app(settings)) as server:
        body = post(server.url, "{ __schema { types { name } } }", ALL_KEY).json()
    assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection" in body["errors"][0]["message"].lower()
