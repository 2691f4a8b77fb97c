"""Benchmark: one tenant sends the worst accepted request in a loop beside a dashboard load.

Run: `.venv/bin/python -m bench.abuse`. Writes bench/results/abuse.{md,json}. Everything runs on
127.0.0.1 (the sandbox and the gateway as subprocesses, authentication on, the response cache off
so every dashboard executes), bounded in time (two phases of `PHASE_SECONDS`).

Phase 1: four dashboard tenants, each sending the AP dashboard every `PACE_SECONDS`: their p99.
Phase 2: the same, while a fifth tenant sends the costliest request the budgets accept, in a loop.
The figure is phase 2's p99 over phase 1's (the goal: at most 2x), with the event-loop lag seen.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import threading
import time
from typing import Any

import httpx
from graphql import OperationDefinitionNode, parse

from bench.common import server, write_results
from gateway.app import limits
from gateway.settings import Settings
from schema import build_schema
from schema.cost import estimate
from tests.queries import AP_DASHBOARD

PHASE_SECONDS = 20.0
PACE_SECONDS = 0.25
DASHBOARD_TENANTS = 4
SANDBOX_ENV = {
    "SANDBOX_COMPANIES": "5",
    "SANDBOX_SUPPLIERS_PER_COMPANY": "80",
    "SANDBOX_BILLS_PER_COMPANY": "500",
}
VARIABLES = {"companies": 5, "bills": 20, "dueFrom": "2026-10-01", "dueTo": "2027-01-31"}
WORST_TEMPLATE = """
query Worst {
  companies(first: 5) {
    nodes {
      name
      bills(first: BILLS) {
        totalCount
        nodes {
          id codatId reference issueDate dueDate currency totalAmount amountDue status note
          supplier { codatId supplierName }
          lineItems { description quantity unitAmount totalAmount account { codatId name } }
        }
      }
    }
  }
}
"""
"""Bills of every company with their supplier and lines: as many as the budgets accept."""


def worst_request() -> str:
    """WORST_TEMPLATE with the most bills per company the default budgets accept."""
    settings = Settings.from_env({k: v for k, v in os.environ.items() if k.startswith("GATEWAY_")})
    best = 1
    for bills in range(1, settings.max_page_size + 1):
        cost = _estimate(WORST_TEMPLATE.replace("BILLS", str(bills)))
        if (
            cost["calls"] > settings.max_cost
            or cost["records"] > settings.max_records
            or cost["bytes"] > settings.max_response_bytes
        ):
            break
        best = bills
    return WORST_TEMPLATE.replace("BILLS", str(best))


def _key(name: str) -> str:
    return f"bench-abuse-{name}-0123456789"


def _api_keys() -> str:
    names = [f"dashboard{i}" for i in range(DASHBOARD_TENANTS)] + ["abuser"]
    return json.dumps(
        [
            {
                "name": name,
                "sha256": hashlib.sha256(_key(name).encode()).hexdigest(),
                "companies": "*",
            }
            for name in names
        ]
    )


def _estimate(document: str, variables: dict[str, Any] | None = None) -> dict[str, int]:
    schema = build_schema(limits=limits(Settings()))._schema
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    cost = estimate(schema, operation, {}, variables)
    return {"calls": cost.calls, "records": cost.records, "bytes": cost.bytes}


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Tenant(threading.Thread):
    """Sends one request again and again (paced, or back to back) and keeps the latencies."""

    def __init__(
        self, url: str, name: str, body: dict[str, Any], pace: float, until: float
    ) -> None:
        super().__init__(daemon=True)
        self.url, self.name, self.body, self.pace, self.until = url, name, body, pace, until
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.bytes = 0

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {_key(self.name)}"}
        with httpx.Client(timeout=120, headers=headers) as client:
            while time.monotonic() < self.until:
                started = time.perf_counter()
                response = client.post(f"{self.url}/graphql", json=self.body)
                elapsed = time.perf_counter() - started
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    self.failures.append(f"{response.status_code} {str(body)[:200]}")
                self.latencies.append(elapsed)
                self.bytes = len(response.content)
                if self.pace:
                    time.sleep(max(0.0, self.pace - elapsed))


def _phase(url: str, abuse: bool, worst: str) -> dict[str, Any]:
    until = time.monotonic() + PHASE_SECONDS
    dashboards = [
        Tenant(
            url,
            f"dashboard{i}",
            {"query": AP_DASHBOARD, "variables": VARIABLES},
            PACE_SECONDS,
            until,
        )
        for i in range(DASHBOARD_TENANTS)
    ]
    abuser = Tenant(url, "abuser", {"query": worst}, 0.0, until) if abuse else None
    lag_before = _lag(url)
    for tenant in [*dashboards, *([abuser] if abuser else [])]:
        tenant.start()
    for tenant in [*dashboards, *([abuser] if abuser else [])]:
        tenant.join(timeout=PHASE_SECONDS + 180)
    lag_after = _lag(url)
    latencies = [s for tenant in dashboards for s in tenant.latencies]
    return {
        "dashboard_requests": len(latencies),
        "dashboard_failures": sum(len(t.failures) for t in dashboards),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p99_ms": round(1000 * _percentile(latencies, 0.99), 1),
        "max_ms": round(1000 * max(latencies), 1),
        "abuser_requests": len(abuser.latencies) if abuser else 0,
        "abuser_failures": abuser.failures[:3] if abuser else [],
        "abuser_p50_ms": round(1000 * statistics.median(abuser.latencies), 1)
        if abuser and abuser.latencies
        else None,
        "abuser_response_bytes": abuser.bytes if abuser else 0,
        "loop_lag_samples": lag_after["count"] - lag_before["count"],
        "loop_lag_over_100ms": lag_after["over_100ms"] - lag_before["over_100ms"],
        "loop_lag_over_50ms": lag_after["over_50ms"] - lag_before["over_50ms"],
    }


def _lag(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("gateway_event_loop_lag_seconds_count"):
            values["count"] = float(line.split()[-1])
        for bound, name in (("0.1", "over_100ms"), ("0.05", "over_50ms")):
            if line.startswith(f'gateway_event_loop_lag_seconds_bucket{{le="{bound}"}}'):
                values[name] = float(line.split()[-1])
    count = values.get("count", 0.0)
    return {
        "count": count,
        "over_100ms": count - values.get("over_100ms", 0.0),
        "over_50ms": count - values.get("over_50ms", 0.0),
    }


def main() -> None:
    worst = worst_request()
    with server(["sandbox", "--api-key", "bench-key"], SANDBOX_ENV, "/_sandbox/seed") as sandbox:
        env = {
            "CODAT_API_KEY": "bench-key",
            "CODAT_BASE_URL": sandbox.url,
            "GATEWAY_AUTH": "on",
            "GATEWAY_API_KEYS": _api_keys(),
            "RESPONSE_CACHE": "false",
        }
        with server(["serve"], env, "/healthz") as gateway:
            headers = {"Authorization": f"Bearer {_key('abuser')}"}
            # warm the upstream cache for both documents, and check the worst one is accepted
            warm = httpx.post(
                f"{gateway.url}/graphql", json={"query": worst}, headers=headers, timeout=120
            ).json()
            if warm.get("errors"):
                raise RuntimeError(f"the worst request is not accepted: {warm['errors'][:1]}")
            dashboard = {"query": AP_DASHBOARD, "variables": VARIABLES}
            for _ in range(3):
                httpx.post(f"{gateway.url}/graphql", json=dashboard, headers=headers, timeout=120)
            baseline = _phase(gateway.url, abuse=False, worst=worst)
            abused = _phase(gateway.url, abuse=True, worst=worst)
    ratio = round(abused["p99_ms"] / baseline["p99_ms"], 2)
    figures = {
        "phase_seconds": PHASE_SECONDS,
        "dashboard_tenants": DASHBOARD_TENANTS,
        "pace_seconds": PACE_SECONDS,
        "worst_request": worst,
        "worst_request_estimate": _estimate(worst),
        "dashboard_estimate": _estimate(AP_DASHBOARD, VARIABLES),
        "baseline": baseline,
        "abused": abused,
        "p99_ratio": ratio,
        "goal": "p99_ratio <= 2",
    }
    lines = [
        f"{DASHBOARD_TENANTS} dashboard tenants, each one AP dashboard every {PACE_SECONDS} s "
        f"(response cache off, upstream cache warm), for {PHASE_SECONDS:.0f} s; then the same "
        "while a fifth tenant sends the worst accepted request back to back: the most bills of "
        "5 companies, with supplier and lines, the default budgets accept (estimate "
        f"{figures['worst_request_estimate']}, {abused['abuser_response_bytes']:,} bytes).",
        "",
        "| phase | dashboards | p50 ms | p99 ms | max ms | abuser requests "
        "| loop lag > 50 ms | > 100 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, phase in (("baseline", baseline), ("with abuser", abused)):
        lines.append(
            f"| {name} | {phase['dashboard_requests']} | {phase['p50_ms']} | {phase['p99_ms']} "
            f"| {phase['max_ms']} | {phase['abuser_requests']} | {phase['loop_lag_over_50ms']:.0f} "
            f"| {phase['loop_lag_over_100ms']:.0f} |"
        )
    lines += [
        "",
        f"**p99 with the abuser / without: {ratio}x** (goal: at most 2x).",
    ]
    path = write_results("abuse", "One abusive tenant beside a dashboard load", lines, figures)
    print(path.read_text())


if __name__ == "__main__":
    main()
