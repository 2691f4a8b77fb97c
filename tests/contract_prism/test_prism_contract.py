"""The gateway against Stoplight Prism serving Codat's v1 spec, static and dynamic (`-d`).

Prism answers every page of a list with the spec's example ("page 1 of 98, next"), records the
spec calls invalid (a bill payment without `id` and `date`), and in dynamic mode random envelopes.
The README's tour queries must each answer within 20 s with data or errors that carry
`extensions.code` (never a 5xx, never a masked internal error), and with a bounded number of calls
to Prism, counted by a proxy between the gateway and Prism:

- no list is read in more pages than `CODAT_MAX_PAGES_PER_LIST` (times the attempts per call);
- a query makes at most `estimate_cost(query) x MAX_PAGES x ATTEMPTS` calls: the schema's own
  estimate of its upstream reads (schema/cost.py), each read a walk of at most MAX_PAGES pages.

Prism comes from npm (`tests/contract_prism/package.json`, pinned by its lockfile), installed with
`npm ci` by scripts/services.sh; without it (or without node) the test is skipped, saying so.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.relay import to_base64

from bench.common import free_port
from gateway.app import create_app
from gateway.settings import Settings
from schema import build_schema
from schema.cost import estimate_cost
from tests.servers import running
from tests.specs import SPEC_DIR

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PRISM = HERE / "node_modules" / ".bin" / "prism"
SPEC = SPEC_DIR / "sync-for-payables-v1.yaml"

MAX_PAGES = 3
"""CODAT_MAX_PAGES_PER_LIST for these runs: small, so the call bound it implies is tight."""
ATTEMPTS = 2
"""CODAT_MAX_ATTEMPTS for these runs (as the other end-to-end tests)."""
ANSWER_WITHIN_SECONDS = 20.0

COMPANY = "8a210b68-6988-11ed-a1eb-0242ac120002"
SUPPLIER = "C520FFD4-F6F6-4FC2-A6D2-5D7088B2B14F"
PAYMENT = "dcb18480-8b69-44d8-aa26-268b6a80d170"
BILL = "81539597-e681-40c9-a4dd-ec2fffcde572"

pytestmark = pytest.mark.skipif(
    not PRISM.is_file() or shutil.which("node") is None,
    reason=(
        "Prism is not installed: run `npm ci --prefix tests/contract_prism` "
        "(scripts/services.sh does, and CI runs it)"
    ),
)


def tour_operations() -> list[tuple[str, str]]:
    """(operation name, document) of every operation in the README's "A tour of the graph"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A tour of the graph", 1)[1].split("\n## ", 1)[0]
    found: list[tuple[str, str]] = []
    for block in re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL):
        for definition in parse(block).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                found.append((definition.name.value, block))
    return found


TOUR = tour_operations()

VARIABLES: dict[str, dict[str, Any]] = {
    "ApDashboard": {},
    "Ids": {},
    "Supplier": {"company": COMPANY, "supplier": SUPPLIER},
    "Payment": {"company": COMPANY, "payment": PAYMENT},
    "Node": {"id": to_base64("Bill", f"{COMPANY}:{BILL}")},
}


@dataclass
class Prism:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _start_prism(dynamic: bool, log: Path) -> Prism:
    port = free_port()
    command = [str(PRISM), "mock", str(SPEC), "-h", "127.0.0.1", "-p", str(port)]
    if dynamic:
        command += ["-d", "--seed", "12"]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, cwd=HERE
        )
    prism = Prism(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Prism exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"{prism.url}/companies", headers={"Authorization": "Basic eA=="}, timeout=1)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        return prism
    _stop_prism(prism)
    raise RuntimeError("Prism did not answer within 60 s")


def _stop_prism(prism: Prism) -> None:
    if prism.process.poll() is None:
        os.killpg(prism.process.pid, signal.SIGTERM)
        try:
            prism.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(prism.process.pid, signal.SIGKILL)
            prism.process.wait(timeout=10)


@dataclass
class CountingProxy:
    """Forwards every request to Prism and records (method, path, query) of each."""

    target: str
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    async def forward(self, request: Request) -> Response:
        self.calls.append((request.method, request.url.path, dict(request.query_params)))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in {"host"}}
        async with httpx.AsyncClient(base_url=self.target, timeout=30) as client:
            upstream = await client.request(
                request.method,
                request.url.path,
                params=request.query_params,
                content=await request.body(),
                headers=headers,
            )
        drop = {"content-encoding", "content-length", "transfer-encoding", "connection"}
        return Response(
            upstream.content,
            status_code=upstream.status_code,
            headers={k: v for k, v in upstream.headers.items() if k.lower() not in drop},
        )

    def app(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
        return Starlette(routes=[Route("/{path:path}", self.forward, methods=methods)])


@pytest.fixture(scope="module", params=["static", "dynamic"])
def prism(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prism]:
    log = tmp_path_factory.mktemp("prism") / f"prism-{request.param}.log"
    server = _start_prism(request.param == "dynamic", log)
    try:
        yield server
    finally:
        _stop_prism(server)
        assert server.process.poll() is not None, "Prism outlived its test"


def _settings(codat_url: str) -> Settings:
    return Settings.from_env(
        {
            "GATEWAY_AUTH": "off",
            "CODAT_MAX_ATTEMPTS": str(ATTEMPTS),
            "CODAT_RETRY_MAX_ELAPSED_SECONDS": "3",
            "CODAT_MAX_PAGES_PER_LIST": str(MAX_PAGES),
            "RESPONSE_CACHE": "false",
        }
    ).pointed_at(codat_url, "prism-contract-key")


def _cost(document: str, name: str, variables: dict[str, Any]) -> int:
    schema = build_schema()._schema
    parsed = parse(document)
    operation = next(
        d
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
    )
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return estimate_cost(schema, operation, fragments, variables)


def test_the_readme_tour_has_its_five_operations() -> None:
    assert [name for name, _ in TOUR] == ["ApDashboard", "Ids", "Supplier", "Payment", "Node"]


@pytest.mark.parametrize(("name", "document"), TOUR, ids=[name for name, _ in TOUR])
def test_each_tour_query_answers_in_bounded_time_and_calls(
    prism: Prism, name: str, document: str, record_property: Any
) -> None:
    proxy = CountingProxy(prism.url)
    variables = VARIABLES[name]
    with running(proxy.app()) as front, running(create_app(_settings(front.url))) as gateway:
        started = time.monotonic()
        response = httpx.post(
            f"{gateway.url}/graphql",
            json={"query": document, "operationName": name, "variables": variables},
            timeout=ANSWER_WITHIN_SECONDS + 5,
        )
        elapsed = time.monotonic() - started

    record_property("prism_calls", len(proxy.calls))
    record_property("seconds", round(elapsed, 3))
    assert elapsed < ANSWER_WITHIN_SECONDS, f"{name} took {elapsed:.1f} s"
    assert response.status_code == 200, response.text[:2000]
    body = response.json()
    assert "data" in body, body
    errors = body.get("errors") or []
    codes = [error.get("extensions", {}).get("code") for error in errors]
    assert all(codes), f"an error without extensions.code: {errors}"
    assert "INTERNAL_SERVER_ERROR" not in codes, errors
    assert body["data"] is not None or errors

    # The page cap: no list read in more pages than it allows.
    pages_per_list: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    for method, path, query in proxy.calls:
        key = (f"{method} {path}", tuple(sorted((k, v) for k, v in query.items() if k != "page")))
        pages_per_list[key] = pages_per_list.get(key, 0) + 1
    assert max(pages_per_list.values(), default=0) <= MAX_PAGES * ATTEMPTS, pages_per_list

    # The whole query: each estimated upstream read is at most a capped walk, each call retried
    # at most ATTEMPTS times.
    bound = _cost(document, name, variables) * MAX_PAGES * ATTEMPTS
    assert 0 < len(proxy.calls) <= bound, (len(proxy.calls), bound, proxy.calls)
    print(f"{name}: {len(proxy.calls)} calls to Prism (bound {bound}), {elapsed:.2f} s, {codes}")
