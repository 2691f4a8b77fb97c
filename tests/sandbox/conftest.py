"""Fixtures for sandbox tests: a contract-checked Codat client, the seed, and a webhook receiver."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import SANDBOX_API_KEY
from tests.contract import check_response
from tests.servers import running
from tests.upstream import SeededCompany, seeded_companies

AUTH = {"Authorization": "Basic " + base64.b64encode(SANDBOX_API_KEY.encode()).decode()}


@dataclass
class Exchanges:
    """Every request/response pair a client made; each response was checked against the spec."""

    pairs: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)


def contract_client(base_url: str, exchanges: Exchanges | None = None) -> httpx.Client:
    """An httpx client for the sandbox whose every response must validate against the v1 spec."""
    record = exchanges if exchanges is not None else Exchanges()

    def check(response: httpx.Response) -> None:
        response.read()
        record.pairs.append((response.request, response))
        check_response(response.request, response)

    return httpx.Client(
        base_url=base_url, headers=AUTH, timeout=10, event_hooks={"response": [check]}
    )


@pytest.fixture
def exchanges() -> Exchanges:
    return Exchanges()


@pytest.fixture
def codat(sandbox_url: str, exchanges: Exchanges) -> Iterator[httpx.Client]:
    """A Codat API client on the sandbox; every response is contract-checked."""
    with contract_client(sandbox_url, exchanges) as client:
        yield client


@pytest.fixture
def knobs(sandbox_url: str) -> Iterator[httpx.Client]:
    """A plain client for the /_sandbox control API."""
    with httpx.Client(base_url=f"{sandbox_url}/_sandbox", timeout=10) as client:
        yield client


@pytest.fixture
def companies(knobs: httpx.Client) -> list[SeededCompany]:
    return seeded_companies(knobs.get("/seed").json())


@pytest.fixture
def company(companies: list[SeededCompany]) -> SeededCompany:
    """The first company: fully synced and rich."""
    return companies[0]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A tiny webhook endpoint: records every POST; answers with a configurable status."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.received.append(Received(request.url.path, dict(request.headers), body))
        return Response(status_code=self.status)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
        self.status = 200

    def wait_for(
        self, predicate: Callable[[Received], bool], count: int = 1, timeout: float = 5.0
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [r for r in self.received if predicate(r)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with running(receiver.app) as server:
        yield receiver, server.url


@pytest.fixture
def receiver(
    receiver_server: tuple[Receiver, str], knobs: httpx.Client
) -> Iterator[tuple[Receiver, str]]:
    """The webhook receiver, registered as the sandbox's only (standard) target."""
    receiver, url = receiver_server
    receiver.clear()
    response = knobs.put("/webhooks", json={"targets": [{"url": f"{url}/standard"}]})
    response.raise_for_status()
    yield receiver, url
    receiver.clear()


def event_type(received: Received) -> Any:
    """The eventType of a standard webhook body."""
    return json.loads(received.body).get("eventType")
