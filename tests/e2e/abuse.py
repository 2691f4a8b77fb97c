"""Shared by the abuse suite (tests/e2e/test_abuse_*.py): tenants, tokens, a secured gateway.

Every case runs against a real gateway with authentication on, in front of the test sandbox, and
asserts the documented refusal AND, from the sandbox's request record, that no upstream call
touched what was refused. The fixtures here are re-exported by tests/e2e/conftest.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import gateway_settings
from tests.servers import running
from tests.upstream import recorded_calls

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


def rate_limited(
    sandbox_url: str, jwks: str, tenants: Tenants, *, per_second: str, burst: str
) -> Settings:
    """`secured_settings` with each caller held to `burst` operations, then `per_second`."""
    return secured_settings(
        sandbox_url,
        jwks,
        tenants,
        GATEWAY_RATE_LIMIT_PER_SECOND=per_second,
        GATEWAY_RATE_LIMIT_BURST=burst,
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
