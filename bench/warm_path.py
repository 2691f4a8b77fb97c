"""Benchmark: warm bill lists of 1, 100 and 1,000, with and without the response cache.

Each is measured through the gateway against the bare-Strawberry in-process ceiling, and the
cache-hit path is profiled.

Run: `.venv/bin/python -m bench.warm_path` (needs wrk). Writes bench/results/warm_path.{md,json}
and bench/results/warm_path-hit-profile.txt. All figures come from one run.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
from pyinstrument import Profiler

from bench.bare_schema import build_bare_bills_schema
from bench.common import API_KEY, RESULTS, ops_per_second, server, write_results, wrk
from gateway.app import create_app
from gateway.settings import Settings
from tests.queries import BILL_LIST

SIZES = (1, 100, 1000)
SANDBOX_ENV = {
    "SANDBOX_COMPANIES": "1",
    "SANDBOX_SUPPLIERS_PER_COMPANY": "80",
    "SANDBOX_BILLS_PER_COMPANY": "1100",
}
GATEWAY_ENV = {"GATEWAY_MAX_PAGE_SIZE": "1000", "GATEWAY_AUTH": "off"}


def _ops_per_second(schema: Any, variables: dict[str, Any], seconds: float = 4.0) -> float:
    result = schema.execute_sync(BILL_LIST, variable_values=variables)
    assert result.errors is None, result.errors
    return ops_per_second(
        lambda: schema.execute_sync(BILL_LIST, variable_values=variables), seconds
    )


async def _hit_profile(sandbox_url: str, body: dict[str, Any]) -> tuple[str, int, int]:
    """Profile 500 cache hits served in-process; count GraphQL frames and executions."""
    settings = Settings.from_env(GATEWAY_ENV).pointed_at(sandbox_url, API_KEY)
    app = create_app(settings)
    payload = httpx.Request("POST", "http://bench/graphql", json=body).content

    async def call() -> bytes:
        sent: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": payload, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                sent.append(message.get("body", b""))

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"content-type", b"application/json")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        await app(scope, receive, send)  # type: ignore[arg-type]
        return b"".join(sent)

    async with app.router.lifespan_context(app):
        await call()  # the miss that fills the cache
        executions = app.state.graphql.executions
        profiler = Profiler(async_mode="enabled", interval=0.0002)
        with profiler:
            for _ in range(500):
                await call()
        executed = app.state.graphql.executions - executions
    text: str = profiler.output_text(unicode=False, color=False, show_all=True)
    graphql_frames = sum(
        1 for line in text.splitlines() if "graphql/" in line or "strawberry/" in line
    )
    return text, graphql_frames, executed


def main() -> None:
    with server(["sandbox", "--api-key", API_KEY], SANDBOX_ENV, "/_sandbox/seed") as sandbox:
        company = httpx.get(f"{sandbox.url}/_sandbox/seed").json()["companies"][0]["id"]
        auth = {"Authorization": "Basic " + base64.b64encode(API_KEY.encode()).decode()}
        raw_bills = httpx.get(
            f"{sandbox.url}/companies/{company}/data/bills",
            params={"pageSize": 1000, "query": "metadata.isDeleted!=true"},
            headers=auth,
        ).json()["results"]
        raw_suppliers = httpx.get(
            f"{sandbox.url}/companies/{company}/data/suppliers",
            params={"pageSize": 1000},
            headers=auth,
        ).json()["results"]
        bare = build_bare_bills_schema(raw_bills, {s["id"]: s for s in raw_suppliers})
        base_env = {**GATEWAY_ENV, "CODAT_API_KEY": API_KEY, "CODAT_BASE_URL": sandbox.url}
        rows: dict[str, Any] = {}
        for size in SIZES:
            variables = {"company": company, "first": size}
            body = {"query": BILL_LIST, "variables": variables}
            row: dict[str, Any] = {}
            for label, cache in (("with_response_cache", "true"), ("without", "false")):
                with server(["serve"], {**base_env, "RESPONSE_CACHE": cache}, "/healthz") as gw:
                    first = httpx.post(f"{gw.url}/graphql", json=body, timeout=60).json()
                    assert "errors" not in first, first.get("errors")
                    nodes = first["data"]["company"]["bills"]["nodes"]
                    assert len(nodes) == min(size, len(raw_bills))
                    row[label] = wrk(f"{gw.url}/graphql", body)
            row["bare_strawberry_in_process_ops"] = round(_ops_per_second(bare, variables), 1)
            rows[str(size)] = row
        profile, graphql_frames, executed = asyncio.run(
            _hit_profile(
                sandbox.url, {"query": BILL_LIST, "variables": {"company": company, "first": 100}}
            )
        )
    (RESULTS / "warm_path-hit-profile.txt").write_text(profile)
    figures = {
        "sizes": rows,
        "hit_profile_graphql_frames": graphql_frames,
        "hit_profile_executions": executed,
        "targets": {"rps_at_100": 1250, "p99_ms_at_100": 20},
    }
    lines: list[str] = [
        "| bills | with response cache req/s (p50 / p99 ms) | without req/s (p50 / p99 ms) "
        "| bare Strawberry in-process ops/s |",
        "| --- | --- | --- | --- |",
    ]
    for label, row in rows.items():
        hit, miss = row["with_response_cache"], row["without"]
        lines.append(
            f"| {label} | {hit['rps']} ({hit['p50_ms']} / {hit['p99_ms']}) "
            f"| {miss['rps']} ({miss['p50_ms']} / {miss['p99_ms']}) "
            f"| {row['bare_strawberry_in_process_ops']} |"
        )
    lines += [
        "",
        "wrk, 1 thread, 16 connections, 8 s, one uvicorn worker, after one priming request.",
        f"Cache-hit profile (500 in-process hits): {executed} GraphQL executions, "
        f"{graphql_frames} graphql/strawberry frames (bench/results/warm_path-hit-profile.txt).",
        "Targets at 100 bills: at least 1,250 req/s and p99 under 20 ms.",
    ]
    print(write_results("warm_path", "Warm path benchmark", lines, figures).read_text())


if __name__ == "__main__":
    main()
