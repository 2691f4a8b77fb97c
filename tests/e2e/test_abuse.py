"""The abuse suite: who may see what, and what no query may do to the upstream.

Every case runs against a real gateway with authentication on, in front of the test sandbox, and
asserts the documented refusal AND, from the sandbox's request record, that no upstream call
touched what was refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.app import create_app
from gateway.errors import ConfigError
from gateway.settings import Settings
from tests.conftest import SANDBOX_API_KEY, gateway_settings
from tests.e2e.paying import PAY_BILL, codat_get, payables
from tests.servers import running
from tests.upstream import clear_calls, recorded_calls

HS_SECRET = "a-test-signing-secret-of-32-chars!!"
ISSUER = "https://issuer.test"
AUDIENCE = "payables-gateway"
TENANT_KEY = "tenant-key-0123456789"
ALL_KEY = "all-companies-key-0123456789"
ADMIN_TOKEN = "admin-token-0123456789"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"abuse-suite-webhook-secret").decode()
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

COMPANY = "query Company($id: ID!) { company(id: $id) { codatId name } }"
COMPANIES = "{ companies(first: 10) { totalCount nodes { codatId } } }"
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Bill { reference } } }"
DATA_CHANGED = (
    "subscription Changed($company: ID!) { companyDataChanged(companyId: $company) { companyId } }"
)


@dataclass(frozen=True)
class Tenants:
    mine: str
    other: str


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.fixture
def tenants(sandbox_url: str) -> Tenants:
    seed = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=10).json()
    ids = [company["id"] for company in seed["companies"] if company.get("synced", True)]
    return Tenants(mine=ids[0], other=ids[1])


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    public = json.loads(RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    keys = {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}

    async def jwks(request: Any) -> JSONResponse:
        return JSONResponse(keys)

    with running(Starlette(routes=[Route("/jwks.json", jwks)])) as server:
        yield f"{server.url}/jwks.json"


def secured_settings(sandbox_url: str, jwks: str, tenants: Tenants, **environ: str) -> Settings:
    api_keys = [
        {"name": "tenant", "sha256": sha256(TENANT_KEY), "companies": [tenants.mine]},
        {"name": "all", "sha256": sha256(ALL_KEY), "companies": "*"},
    ]
    environ = {"GATEWAY_API_KEYS": json.dumps(api_keys), **environ}
    return gateway_settings(
        sandbox_url,
        GATEWAY_AUTH="on",
        GATEWAY_JWT_ALGORITHMS="HS256,RS256",
        GATEWAY_JWT_SECRET=HS_SECRET,
        GATEWAY_JWKS=jwks,
        GATEWAY_JWT_ISSUER=ISSUER,
        GATEWAY_JWT_AUDIENCE=AUDIENCE,
        GATEWAY_ADMIN_TOKEN=ADMIN_TOKEN,
        **{"WEBHOOK_SECRET": WEBHOOK_SECRET, "RESPONSE_CACHE": "false", **environ},
    )


@pytest.fixture
def gateway(sandbox_url: str, jwks_url: str, tenants: Tenants) -> Iterator[str]:
    with running(create_app(secured_settings(sandbox_url, jwks_url, tenants))) as server:
        yield server.url


def token(
    companies: list[str] | str, *, algorithm: str = "HS256", expires_in: int = 300, **extra: Any
) -> str:
    claims = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + expires_in,
        "codat_companies": companies,
        **extra,
    }
    if algorithm == "RS256":
        return jwt.encode(claims, RSA_KEY, algorithm="RS256", headers={"kid": "k1"})
    return jwt.encode(claims, HS_SECRET, algorithm="HS256")


def post(url: str, query: str, bearer: str | None, **variables: Any) -> httpx.Response:
    headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
    return httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def calls_for(sandbox_url: str, company_id: str) -> list[str]:
    return [c.path for c in recorded_calls(sandbox_url) if company_id in c.path]


def unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bearer", "why"),
    [
        (None, "missing bearer token"),
        ("not-a-key", "invalid API key"),
        ("expired", "the token has expired"),
        ("forged", "invalid token"),
        ("none-alg", "are not accepted"),
        ("wrong-audience", "invalid token"),
        ("foreign-rsa", "invalid token"),
    ],
)
def test_requests_without_valid_credentials_get_401_and_reach_nothing(
    sandbox_url: str, gateway: str, tenants: Tenants, bearer: str | None, why: str
) -> None:
    # given
    claims = {"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tokens = {
        "expired": token([tenants.mine], expires_in=-3600),
        "forged": jwt.encode({**claims, "codat_companies": "*"}, "x" * 40, algorithm="HS256"),
        "none-alg": unsigned({**claims, "codat_companies": "*"}),
        "wrong-audience": token("*", aud="someone-else"),
        "foreign-rsa": jwt.encode(
            {**claims, "codat_companies": "*"}, other_rsa, algorithm="RS256", headers={"kid": "k1"}
        ),
    }
    clear_calls(sandbox_url)
    # when
    response = post(gateway, COMPANIES, tokens.get(bearer or "", bearer))
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert codes(body) == ["UNAUTHENTICATED"]
    assert why in body["errors"][0]["message"]
    assert recorded_calls(sandbox_url) == []


def test_api_keys_hs256_and_rs256_tokens_are_accepted_within_their_scope(
    gateway: str, tenants: Tenants
) -> None:
    for bearer in (TENANT_KEY, token([tenants.mine]), token([tenants.mine], algorithm="RS256")):
        body = post(gateway, COMPANIES, bearer).json()
        assert body["data"]["companies"] == {
            "totalCount": 1,
            "nodes": [{"codatId": tenants.mine}],
        }, body


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


def ws(url: str) -> str:
    return url.replace("http://", "ws://") + "/graphql"


async def init(url: str, payload: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    socket = await connect(ws(url), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    try:
        reply = json.loads(await socket.recv())
    except ConnectionClosed:
        return socket, None
    return socket, reply


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
    settings = secured_settings(
        sandbox_url,
        jwks_url,
        tenants,
        GATEWAY_RATE_LIMIT_PER_SECOND="0.01",
        GATEWAY_RATE_LIMIT_BURST="3",
    )
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


# --- admin endpoints ----------------------------------------------------------------------------


def test_admin_endpoints_need_the_admin_token(gateway: str) -> None:
    assert httpx.get(f"{gateway}/metrics").status_code == 401
    assert (
        httpx.get(f"{gateway}/metrics", headers={"Authorization": f"Bearer {ALL_KEY}"}).status_code
        == 401
    )
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert httpx.get(f"{gateway}/metrics", headers=admin).status_code == 200
    assert set(httpx.get(f"{gateway}/readyz").json()) == {"status"}
    assert "cache" in httpx.get(f"{gateway}/readyz", headers=admin).json()
    assert httpx.get(f"{gateway}/healthz").status_code == 200


# --- masked errors and secrets ------------------------------------------------------------------


def test_unexpected_errors_are_masked_with_a_logged_correlation_id_and_no_secret_leaks(
    sandbox_url: str, gateway: str, tenants: Tenants, caplog: pytest.LogCaptureFixture
) -> None:
    # given: Codat refuses the gateway's key (a fault of the gateway, not of the client)
    caplog.set_level(logging.DEBUG)
    fault = {"pathPattern": "/companies/.*/data/bills", "kind": "status", "status": 401}
    httpx.post(f"{sandbox_url}/_sandbox/faults", json=fault).raise_for_status()
    query = "query Bills($id: ID!) { company(id: $id) { bills(first: 1) { totalCount } } }"
    bearer = token([tenants.mine])
    # when
    response = post(gateway, query, bearer, id=tenants.mine)
    # then
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    correlation_id = error["extensions"]["correlationId"]
    logged = [r for r in caplog.records if getattr(r, "correlation_id", None) == correlation_id]
    assert logged
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info is not None
    secrets = [
        SANDBOX_API_KEY,
        base64.b64encode(SANDBOX_API_KEY.encode()).decode(),
        bearer,
        TENANT_KEY,
        ALL_KEY,
        ADMIN_TOKEN,
        HS_SECRET,
        WEBHOOK_SECRET,
    ]
    logs = caplog.text + "\n".join(
        logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info
    )
    for secret in secrets:
        assert secret not in response.text
        assert secret not in logs


# --- settings -----------------------------------------------------------------------------------


def test_auth_is_off_only_in_front_of_the_sandbox_and_none_is_never_an_algorithm() -> None:
    assert Settings.from_env({}).auth is False
    assert Settings.from_env({"CODAT_API_KEY": "k"}).auth is True
    assert Settings.from_env({"CODAT_API_KEY": "k", "GATEWAY_AUTH": "off"}).auth is False
    with pytest.raises(ConfigError, match="GATEWAY_JWT_ALGORITHMS"):
        Settings.from_env({"GATEWAY_JWT_ALGORITHMS": "none"})
    with pytest.raises(ConfigError, match="GATEWAY_JWKS"):
        Settings.from_env({"GATEWAY_JWT_ALGORITHMS": "RS256"})
    with pytest.raises(ConfigError, match="GATEWAY_API_KEYS"):
        Settings.from_env({"GATEWAY_API_KEYS": '[{"name": "a", "sha256": "short"}]'})
    with pytest.raises(ConfigError, match="GATEWAY_AUTH"):
        Settings.from_env({"GATEWAY_AUTH": "maybe"})


def test_the_body_of_a_graphql_error_is_json(gateway: str) -> None:
    response = httpx.post(
        f"{gateway}/graphql", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert orjson.loads(response.content)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
