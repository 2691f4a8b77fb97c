"""The abuse suite: who is calling (401s reaching nothing), admin endpoints, masked errors."""

from __future__ import annotations

import base64
import logging
import time

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.errors import ConfigError
from gateway.settings import Settings
from tests.conftest import SANDBOX_API_KEY
from tests.e2e.abuse import (
    ADMIN_TOKEN,
    ALL_KEY,
    AUDIENCE,
    COMPANIES,
    HS_SECRET,
    ISSUER,
    TENANT_KEY,
    WEBHOOK_SECRET,
    Tenants,
    codes,
    post,
    token,
    unsigned,
)
from tests.upstream import clear_calls, recorded_calls

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
