"""Fixtures for the Codat client against the sandbox: a spec-checking transport and the knobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.codat import ClientConfig, CodatClient, RetryPolicy
from tests.conftest import SANDBOX_API_KEY
from tests.contract import check_request, check_response
from tests.upstream import SeededCompany, seeded_companies

# Small and quick: the suite must not wait on production-sized backoff.
TEST_RETRY = RetryPolicy(
    max_attempts=3, initial_delay=0.05, max_delay=2.0, multiplier=1.5, max_elapsed=5.0, jitter=0.1
)


class ContractTransport(httpx.AsyncBaseTransport):
    """Real sockets, with every request and response checked against Codat's v1 spec."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        # openapi-core 0.23 reads a multipart `format: binary` part as bytes and then refuses it
        # as "not of type string"; the upload's shape is asserted in its test instead.
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            check_request(request)
        self.requests.append(request)
        response = await self._inner.handle_async_request(request)
        await response.aread()
        check_response(request, response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class Sandbox:
    """The sandbox's `/_sandbox` knobs: seed summary, request record, latency and faults."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._http = httpx.AsyncClient(base_url=url, timeout=10)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def companies(self) -> list[SeededCompany]:
        response = await self._http.get("/_sandbox/seed")
        response.raise_for_status()
        return seeded_companies(response.json())

    async def requests(self) -> list[dict[str, Any]]:
        response = await self._http.get("/_sandbox/requests")
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()["requests"]
        return records

    async def clear_requests(self) -> None:
        (await self._http.delete("/_sandbox/requests")).raise_for_status()

    async def latency(self, ms: int, *, path_pattern: str | None = None) -> None:
        body = {"ms": ms, "jitterMs": 0, "pathPattern": path_pattern}
        (await self._http.put("/_sandbox/latency", json=body)).raise_for_status()

    async def fault(
        self,
        path_pattern: str,
        *,
        kind: str = "status",
        status: int | None = None,
        retry_after: str | None = None,
        methods: list[str] | None = None,
        times: int | None = None,
        delay_ms: int | None = None,
    ) -> None:
        body: dict[str, Any] = {"pathPattern": path_pattern, "kind": kind, "rate": 1.0}
        body["methods"] = methods
        body["times"] = times
        if status is not None:
            body["status"] = status
        if retry_after is not None:
            body["retryAfter"] = retry_after
        if delay_ms is not None:
            body["delayMs"] = delay_ms
        (await self._http.post("/_sandbox/faults", json=body)).raise_for_status()


@pytest.fixture
async def sandbox(sandbox_url: str) -> AsyncIterator[Sandbox]:
    knobs = Sandbox(sandbox_url)
    try:
        yield knobs
    finally:
        await knobs.aclose()


@pytest.fixture
async def synced(sandbox: Sandbox) -> SeededCompany:
    return next(company for company in await sandbox.companies() if company.synced)


@pytest.fixture
async def unsynced(sandbox: Sandbox) -> SeededCompany:
    return next(company for company in await sandbox.companies() if not company.synced)


@pytest.fixture
def contract() -> ContractTransport:
    return ContractTransport()


def make_client(
    url: str,
    transport: httpx.AsyncBaseTransport,
    *,
    api_key: str = SANDBOX_API_KEY,
    retry: RetryPolicy = TEST_RETRY,
    max_concurrency_per_company: int = 10,
) -> CodatClient:
    config = ClientConfig(
        api_key=api_key,
        base_url=url,
        retry=retry,
        max_concurrency_per_company=max_concurrency_per_company,
    )
    return CodatClient(config, transport=transport)


@pytest.fixture
async def client(sandbox_url: str, contract: ContractTransport) -> AsyncIterator[CodatClient]:
    async with make_client(sandbox_url, contract) as codat:
        yield codat
