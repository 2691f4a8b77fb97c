"""Benchmark: gateway replicas behind a round-robin balancer on one Redis, against one replica.

K identical cold AP dashboards at once, through HAProxy (round robin, a new connection each) in
front of 1 or 3 `gateway serve` processes sharing one Redis (a private redis-server) and one
sandbox with latency. With the shared upstream cache (`SHARED_CACHE`, gateway/reads/shared.py)
three replicas make the Codat calls one replica makes; without it, each replica makes its own.
Codat's per-company cap (`CODAT_MAX_CONCURRENCY_PER_COMPANY`, the sandbox set to the same) must
hold at the sandbox across all replicas, and a quota used up on one replica must stop the others.

Run: `.venv/bin/python -m bench.replicas` (installs haproxy and redis-server with apt-get when
they are missing). Writes bench/results/replicas.{md,json}.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.common import API_KEY, Process, free_port, server, write_results
from tests.queries import AP_DASHBOARD, dashboard_minimum_calls
from tests.redis_server import RedisServer
from tests.upstream import UpstreamCall, clear_calls, max_overlap, recorded_calls

LATENCY_MS = 50
DASHBOARDS = 9
REPLICAS = 3
CAP = 2
"""Codat's per-company cap, in the gateway and the sandbox alike (low, so that it binds)."""
VARIABLES = {"companies": 5, "bills": 20, "dueFrom": "2026-10-01", "dueTo": "2027-01-31"}
SANDBOX_ENV = {
    "SANDBOX_COMPANIES": "5",
    "SANDBOX_SUPPLIERS_PER_COMPANY": "80",
    "SANDBOX_BILLS_PER_COMPANY": "500",
}
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"bench-replicas-webhook-secret!!!").decode()


def ensure_installed(binary: str, package: str) -> str:
    """The path of `binary`, installing its Debian package first if it is missing."""
    found = shutil.which(binary)
    if found is not None:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = [*sudo, "apt-get", "install", "-y", package]
    if subprocess.run(install, check=False).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update"], check=True)
        subprocess.run(install, check=True)
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError(f"{binary} is still missing after apt-get install {package}")
    return found


HAPROXY_CONFIG = """
global
  maxconn 1024
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend gateway
  bind 127.0.0.1:{port}
  default_backend replicas
backend replicas
  balance roundrobin
{servers}
"""


@contextmanager
def balancer(binary: str, replicas: list[Process]) -> Iterator[str]:
    """HAProxy on a free 127.0.0.1 port, round robin over `replicas`, until the block ends."""
    port = free_port()
    servers = "\n".join(
        f"  server r{n} {replica.url.removeprefix('http://')}" for n, replica in enumerate(replicas)
    )
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=port, servers=servers))
        process = subprocess.Popen(
            [binary, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"haproxy did not start: {process.stderr}") from None
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def gateway_env(sandbox_url: str, redis_url: str, prefix: str, shared: bool) -> dict[str, str]:
    return {
        "CODAT_API_KEY": API_KEY,
        "CODAT_BASE_URL": sandbox_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        "SHARED_CACHE": "on" if shared else "off",
        "CODAT_MAX_CONCURRENCY_PER_COMPANY": str(CAP),
        # Every request executes (stored responses are per replica; not this bench's subject).
        "RESPONSE_CACHE": "false",
        "GATEWAY_AUTH": "off",
        "GATEWAY_RATE_LIMIT_PER_SECOND": "0",
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


def _ready(replica: Process) -> bool:
    try:
        return bool(httpx.get(f"{replica.url}/readyz", timeout=5).json()["status"] == "ok")
    except httpx.HTTPError:
        return False


def _metric_sum(replica: Process, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    text = httpx.get(f"{replica.url}/metrics", timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _dashboards(url: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All at once, each on a new connection (so the balancer spreads them)."""

    async def one(body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=120) as client:
            response = await client.post(f"{url}/graphql", json=body)
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
            return answer

    return list(await asyncio.gather(*(one(body) for body in bodies)))


def _rate_limits(sandbox_url: str) -> dict[str, Any]:
    state: dict[str, Any] = httpx.get(f"{sandbox_url}/_sandbox/rateLimits", timeout=10).json()
    return state


def _calls_summary(calls: list[UpstreamCall]) -> dict[str, Any]:
    companies = {call.company_id for call in calls if call.company_id}
    repeated = Counter((call.path, call.query) for call in calls)
    return {
        "upstream_calls": len(calls),
        "distinct_calls": len(repeated),
        "most_repeats_of_one_call": max(repeated.values(), default=0),
        "peak_in_flight_per_company": max(
            (max_overlap(calls, company) for company in companies), default=0
        ),
    }


def scenario(
    sandbox_url: str, redis: RedisServer, haproxy: str, *, replicas: int, shared: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """K cold dashboards through the balancer over fresh replicas (a fresh key prefix: both
    cache levels cold); with the shared cache on three replicas, the quota check too."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    env = gateway_env(sandbox_url, redis.url, prefix, shared)
    with ExitStack() as stack:
        processes = [
            stack.enter_context(server(["serve"], env, "/healthz")) for _ in range(replicas)
        ]
        deadline = time.monotonic() + 30
        while not all(_ready(process) for process in processes):
            if time.monotonic() > deadline:
                raise RuntimeError("replicas not ready (Codat and Redis)")
            time.sleep(0.2)
        url = stack.enter_context(balancer(haproxy, processes))
        httpx.put(
            f"{sandbox_url}/_sandbox/rateLimits",
            json={"maxConcurrencyPerCompany": CAP},
            timeout=10,
        ).raise_for_status()
        refused_before = _rate_limits(sandbox_url)["refused"]
        clear_calls(sandbox_url)

        started = time.perf_counter()
        answers = asyncio.run(
            _dashboards(url, [{"query": AP_DASHBOARD, "variables": VARIABLES}] * DASHBOARDS)
        )
        seconds = time.perf_counter() - started

        for answer in answers:
            assert "errors" not in answer, answer.get("errors")
        assert all(answer == answers[0] for answer in answers)
        calls = recorded_calls(sandbox_url)
        refused = _rate_limits(sandbox_url)["refused"]
        figures: dict[str, Any] = {
            "replicas": replicas,
            "shared_cache": shared,
            "dashboards": DASHBOARDS,
            **_calls_summary(calls),
            "upstream_calls_minimum": dashboard_minimum_calls(answers[0]["data"]),
            "cap_per_company": CAP,
            "refused_by_sandbox_for_concurrency": refused["concurrency"]
            - refused_before["concurrency"],
            "wall_seconds": round(seconds, 2),
            "dashboards_per_replica": [
                int(_metric_sum(p, "gateway_graphql_operations_total")) for p in processes
            ],
            "shared_cache_hits": int(
                sum(_metric_sum(p, "gateway_cache_hits_total", cache="shared") for p in processes)
            ),
            "shared_cache_waits": int(
                sum(
                    _metric_sum(p, "gateway_shared_cache_events_total", event="wait")
                    for p in processes
                )
            ),
        }
        quota = _quota_check(sandbox_url, url) if shared and replicas > 1 else None
    return figures, quota


def _quota_check(sandbox_url: str, url: str) -> dict[str, Any]:
    """Codat's quota runs out; dashboards that need new calls go to every replica in turn."""
    httpx.put(
        f"{sandbox_url}/_sandbox/rateLimits", json={"remaining": 0, "windowSeconds": 60}, timeout=10
    ).raise_for_status()
    refused_before = _rate_limits(sandbox_url)["refused"]["quota"]
    codes: list[list[str]] = []
    calls: list[int] = []
    for n in range(REPLICAS * 2):  # one at a time: round robin gives each replica two
        # Another window of due dates each time: bills pages no replica has read yet.
        body = {"query": AP_DASHBOARD, "variables": {**VARIABLES, "dueFrom": f"2026-09-{n + 1:02}"}}
        clear_calls(sandbox_url)
        answer = asyncio.run(_dashboards(url, [body]))[0]
        calls.append(len(recorded_calls(sandbox_url)))
        codes.append(sorted({e["extensions"]["code"] for e in answer.get("errors") or []}))
        time.sleep(0.1)
    refused = _rate_limits(sandbox_url)["refused"]["quota"] - refused_before
    httpx.post(f"{sandbox_url}/_sandbox/rateLimits/reset", timeout=10).raise_for_status()
    return {
        "dashboards_after_quota_ran_out": len(codes),
        "upstream_calls_per_dashboard": calls,
        "refused_by_sandbox_for_quota": refused,
        "error_codes_per_dashboard": codes,
    }


def main() -> None:
    haproxy = ensure_installed("haproxy", "haproxy")
    ensure_installed("redis-server", "redis-server")
    redis = RedisServer()
    redis.start()
    try:
        with server(["sandbox", "--api-key", API_KEY], SANDBOX_ENV, "/_sandbox/seed") as sandbox:
            httpx.put(
                f"{sandbox.url}/_sandbox/latency", json={"ms": LATENCY_MS}, timeout=10
            ).raise_for_status()
            one, _ = scenario(sandbox.url, redis, haproxy, replicas=1, shared=True)
            shared, quota = scenario(sandbox.url, redis, haproxy, replicas=REPLICAS, shared=True)
            alone, _ = scenario(sandbox.url, redis, haproxy, replicas=REPLICAS, shared=False)
    finally:
        redis.kill()
    assert quota is not None
    rows = [one, shared, alone]
    keys = [key for key in one if key not in {"replicas", "shared_cache"}]
    lines = [
        "| figure | 1 replica | 3 replicas, shared cache | 3 replicas, no shared cache |",
        "| --- | --- | --- | --- |",
        *(f"| {key} | " + " | ".join(str(row[key]) for row in rows) + " |" for key in keys),
        "",
        "| quota check (3 replicas, shared cache) | value |",
        "| --- | --- |",
        *(f"| {key} | {value} |" for key, value in quota.items()),
        "",
        f"{DASHBOARDS} identical AP dashboards ({VARIABLES['companies']} companies, "
        f"{VARIABLES['bills']} bills each) sent at once through HAProxy (round robin, a new",
        "connection each) to fresh replicas (`gateway serve`, one process each) on one Redis",
        f"(a private redis-server), the sandbox answering after {LATENCY_MS} ms; both cache",
        "levels cold (a fresh key prefix per column), stored responses off.",
        f"Codat's per-company cap is {CAP} in the gateways and in the sandbox (which refuses",
        "and counts a call over it): `peak_in_flight_per_company` is measured from the",
        "sandbox's own record of every call, across all replicas.",
        "`wall_seconds` (all K answered) is shown, not compared: 1 or 3 gateway processes, the",
        "sandbox and HAProxy share the machine's cores, and it varies run to run.",
        "Quota: the sandbox's quota is used up (`remaining: 0`), then dashboards needing new",
        "calls go one at a time to each replica in turn: the first replica to be refused shuts",
        "every replica's quota gate (the bus), so the others answer `UPSTREAM_RATE_LIMITED`",
        "without asking Codat.",
    ]
    data = {"one_replica": one, "shared": shared, "no_shared_cache": alone, "quota": quota}
    path = write_results("replicas", "Replicas behind a balancer on one Redis", lines, data)
    print(path.read_text())
    assert shared["upstream_calls"] == one["upstream_calls"], (shared, one)
    for row in rows:
        assert row["peak_in_flight_per_company"] <= CAP, row
        assert row["refused_by_sandbox_for_concurrency"] == 0, row


if __name__ == "__main__":
    main()
