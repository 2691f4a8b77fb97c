"""Benchmark: our gateway side by side with Hive Gateway over Codat's own v1 spec.

Hive Gateway 2.15 serves a supergraph GraphQL Mesh composes from the vendored Sync for Payables
v1 spec (bench/peer/: pinned package files, mesh.config.ts, gateway.config.ts), pointed at the
same sandbox as ours, on the same machine, in the same run, so the ratios hold on a noisy machine:
- the cold AP dashboard (injected upstream latency): wall time and upstream calls;
- a 100-bill list with no response cache on either side (every request executes);
- the same list served from each side's response cache.
Both sides must return the same records before anything is timed.

Run: `.venv/bin/python -m bench.peer` (needs wrk, Node 20 and npm; `npm ci` runs in bench/peer/
if its node_modules is missing). Writes bench/results/peer.{md,json}.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.common import (
    API_KEY,
    ROOT,
    Process,
    evict_companies,
    free_port,
    process,
    rss_bytes,
    server,
    write_results,
    wrk,
)
from tests.upstream import (
    UpstreamCall,
    clear_calls,
    critical_path_seconds,
    recorded_calls,
    sequential_round_trips,
)

PEER = ROOT / "bench" / "peer"
BIN = PEER / "node_modules" / ".bin"
LATENCY_MS = 50
COLD_SAMPLES = 7
COMPANIES, BILLS, LIST_SIZE = 3, 25, 100
WRK_WARMUP_SECONDS, WRK_SECONDS, WRK_ROUNDS = 2, 4, 3
CODAT_CONCURRENCY_CAP = 10
CAPPED_SAMPLES = 3
HIVE_ATTEMPTS = 3
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"bench-peer-webhook-secret-32byte").decode()
EVICTED = ["bills", "suppliers", "chartOfAccounts", "taxRates"]
AUTH = {"Authorization": "Basic " + base64.b64encode(API_KEY.encode()).decode()}
SANDBOX_ENV = {
    "SANDBOX_COMPANIES": str(COMPANIES),
    "SANDBOX_SUPPLIERS_PER_COMPANY": "40",
    "SANDBOX_BILLS_PER_COMPANY": "150",
}
BILLS_QUERY = "metadata.isDeleted!=true"
"""The Codat query our gateway sends for a bill list; Hive's documents send the same."""

OURS_DASHBOARD = """
query PeerDashboard($companies: Int!, $bills: Int!) {
  companies(first: $companies) {
    nodes {
      codatId
      name
      bills(first: $bills, orderBy: {field: DUE_DATE, direction: ASC}) {
        nodes {
          codatId reference dueDate currency totalAmount amountDue status
          supplier { codatId supplierName status defaultCurrency }
          lineItems {
            description totalAmount
            account { codatId name type status }
            taxRate { codatId name code effectiveTaxRate }
          }
        }
      }
    }
  }
}
"""

HIVE_COMPANIES = """
query Companies($companies: Int!) {
  list_companies(page: 1, pageSize: $companies) {
    __typename
    ... on Companies { results { id name } }
    ... on Error_message { statusCode error }
  }
}
"""


def _hive_bills(operation: str, fields: str) -> str:
    """A document for one company's bills page through Hive, with `fields` of each bill."""
    return f"""
query {operation}($companyId: UUID!, $first: Int!, $query: String) {{
  list_bills(companyId: $companyId, page: 1, pageSize: $first, query: $query, orderBy: "dueDate") {{
    __typename
    ... on Accounting__Bills {{ results {{ {fields} }} }}
    ... on Error_message {{ statusCode error }}
  }}
}}
"""


HIVE_COMPANY_BILLS = _hive_bills(
    "CompanyBills",
    """
    id reference dueDate { JSON } currency totalAmount amountDue status
    supplier {
      __typename
      ... on Accounting__Supplier { id supplierName status defaultCurrency }
      ... on Error_message { statusCode error }
    }
    lineItems {
      description totalAmount
      account {
        __typename
        ... on Accounting__Account { id name type status }
        ... on Error_message { statusCode error }
      }
      taxRate {
        __typename
        ... on Accounting__Tax_rate { id name code effectiveTaxRate }
        ... on Error_message { statusCode error }
      }
    }
    """,
)
"""One company's bills with their lookups joined by mesh.config.ts's @resolveTo fields."""

OURS_LIST = """
query Bills($company: ID!, $first: Int!) {
  company(id: $company) {
    bills(first: $first, orderBy: {field: DUE_DATE, direction: ASC}) {
      nodes {
        codatId reference issueDate dueDate currency totalAmount amountDue status
        supplier { codatId supplierName }
      }
    }
  }
}
"""

HIVE_LIST = _hive_bills(
    "Bills",
    """
    id reference issueDate { JSON } dueDate { JSON } currency totalAmount amountDue status
    supplierRef { id supplierName }
    """,
)

Dashboard = list[tuple[str, list[tuple[Any, ...]]]]
"""Per company (in order): its id and its bills as comparable tuples (ids and names)."""


def _install() -> None:
    if not (BIN / "hive-gateway").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER, check=True, timeout=300)


def _compose(sandbox_url: str, folder: Path) -> Path:
    """The supergraph, composed offline from the vendored spec, pointed at the sandbox."""
    supergraph = folder / "supergraph.graphql"
    subprocess.run(
        [str(BIN / "mesh-compose"), "-o", str(supergraph)],
        cwd=PEER,
        env={**os.environ, "CODAT_BASE_URL": sandbox_url},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return supergraph


@contextmanager
def _hive(supergraph: Path, *, response_cache: bool) -> Iterator[Process]:
    port = free_port()
    argv = [str(BIN / "hive-gateway"), "supergraph", str(supergraph)]
    argv += ["-c", "gateway.config.ts", "-h", "127.0.0.1", "-p", str(port)]
    env = {"NODE_ENV": "production", "PEER_RESPONSE_CACHE": "1" if response_cache else "0"}
    with process(argv, env, port, "/healthcheck", cwd=PEER) as hive:
        yield hive


def _ours(sandbox_url: str, *, response_cache: bool) -> Any:
    env = {
        "CODAT_API_KEY": API_KEY,
        "CODAT_BASE_URL": sandbox_url,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RESPONSE_CACHE": "true" if response_cache else "false",
        "GATEWAY_AUTH": "off",
    }
    return server(["serve"], env, "/healthz")


def _ours_rows(body: dict[str, Any]) -> Dashboard:
    assert "errors" not in body, body.get("errors")
    rows: Dashboard = []
    for company in body["data"]["companies"]["nodes"]:
        bills = [
            (
                bill["codatId"],
                bill["supplier"]["codatId"],
                bill["supplier"]["supplierName"],
                bill["supplier"]["status"],
                tuple(
                    (
                        line["account"]["codatId"],
                        line["account"]["type"],
                        line["taxRate"]["codatId"],
                        line["taxRate"]["code"],
                    )
                    for line in bill["lineItems"]
                ),
            )
            for bill in company["bills"]["nodes"]
        ]
        rows.append((company["codatId"], bills))
    return rows


def _found(value: dict[str, Any], typename: str) -> dict[str, Any]:
    assert value["__typename"] == typename, value
    return value


def _hive_rows(company_ids: list[str], pages: list[dict[str, Any]]) -> Dashboard:
    rows: Dashboard = []
    for company_id, page in zip(company_ids, pages, strict=True):
        assert "errors" not in page, page.get("errors")
        bills = []
        for bill in _found(page["data"]["list_bills"], "Accounting__Bills")["results"]:
            supplier = _found(bill["supplier"], "Accounting__Supplier")
            lines = tuple(
                (
                    _found(line["account"], "Accounting__Account")["id"],
                    line["account"]["type"],
                    _found(line["taxRate"], "Accounting__Tax_rate")["id"],
                    line["taxRate"]["code"],
                )
                for line in bill["lineItems"]
            )
            bills.append(
                (bill["id"], supplier["id"], supplier["supplierName"], supplier["status"], lines)
            )
        rows.append((company_id, bills))
    return rows


def _failed_lookups(pages: list[dict[str, Any]]) -> int:
    """Lookups Hive answered with Codat's error (a 429 when over Codat's concurrency cap)."""
    failed = 0
    for page in pages:
        listing = page["data"]["list_bills"]
        if listing["__typename"] != "Accounting__Bills":
            failed += 1
            continue
        for bill in listing["results"]:
            refs = [bill["supplier"]]
            refs += [line[kind] for line in bill["lineItems"] for kind in ("account", "taxRate")]
            failed += sum(ref["__typename"] == "Error_message" for ref in refs)
    return failed


async def _ours_dashboard(url: str) -> tuple[float, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        response = await client.post(
            f"{url}/graphql",
            json={"query": OURS_DASHBOARD, "variables": {"companies": COMPANIES, "bills": BILLS}},
        )
        return time.perf_counter() - started, response.json()


async def _hive_dashboard(url: str) -> tuple[float, list[str], list[dict[str, Any]]]:
    """As a frontend drives Hive: the companies, then each company's document, in parallel."""
    async with httpx.AsyncClient(headers=AUTH, timeout=60) as client:
        started = time.perf_counter()
        listed = await client.post(
            f"{url}/graphql",
            json={"query": HIVE_COMPANIES, "variables": {"companies": COMPANIES}},
        )
        companies = _found(listed.json()["data"]["list_companies"], "Companies")["results"]
        company_ids = [company["id"] for company in companies]
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{url}/graphql",
                    json={
                        "query": HIVE_COMPANY_BILLS,
                        "variables": {
                            "companyId": company_id,
                            "first": BILLS,
                            "query": BILLS_QUERY,
                        },
                    },
                )
                for company_id in company_ids
            )
        )
        elapsed = time.perf_counter() - started
    return elapsed, company_ids, [response.json() for response in responses]


def _hive_run(
    url: str, sandbox_url: str, failures: list[str]
) -> tuple[float, list[str], list[dict[str, Any]], list[UpstreamCall]]:
    """One Hive dashboard and its upstream calls. A run with GraphQL errors (Hive's upstream
    connection reset: Node's "socket hang up", masked as "Unexpected error.") is noted in
    `failures` and run again."""
    for _ in range(HIVE_ATTEMPTS):
        clear_calls(sandbox_url)
        seconds, company_ids, pages = asyncio.run(_hive_dashboard(url))
        errors = [error["message"] for page in pages for error in page.get("errors", [])]
        if not errors:
            return seconds, company_ids, pages, recorded_calls(sandbox_url)
        failures.append(f"{len(errors)} errors ({errors[0]})")
    raise RuntimeError(f"Hive failed {HIVE_ATTEMPTS} runs in a row: {failures[-HIVE_ATTEMPTS:]}")


def _set_limits(sandbox_url: str, concurrency: int) -> None:
    httpx.put(
        f"{sandbox_url}/_sandbox/rateLimits",
        json={"dailyQuota": 100_000_000, "maxConcurrencyPerCompany": concurrency},
    ).raise_for_status()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


@dataclass(frozen=True)
class ColdRun:
    seconds: float
    calls: list[UpstreamCall]
    failed_lookups: int = 0


def _cold_runs(
    sandbox_url: str,
    ours: Process,
    hive: Process,
    expected: Dashboard,
    *,
    runs: int,
    hive_exact: bool,
    failures: list[str],
) -> dict[str, list[ColdRun]]:
    """Cold dashboards, ours then Hive's, `runs` times; ours must return `expected` every
    time, Hive too when `hive_exact`."""
    company_ids = [company_id for company_id, _ in expected]
    result: dict[str, list[ColdRun]] = {"ours": [], "hive": []}
    for _ in range(runs):
        evict_companies(ours.url, WEBHOOK_SECRET, company_ids, EVICTED, companies_list=True)
        time.sleep(0.2)
        clear_calls(sandbox_url)
        seconds, body = asyncio.run(_ours_dashboard(ours.url))
        assert _ours_rows(body) == expected, "ours returned other records"
        result["ours"].append(ColdRun(seconds, recorded_calls(sandbox_url)))
        seconds, _, pages, calls = _hive_run(hive.url, sandbox_url, failures)
        if hive_exact:
            assert _hive_rows(company_ids, pages) == expected, "Hive returned other records"
        result["hive"].append(ColdRun(seconds, calls, _failed_lookups(pages)))
    return result


def _summary(runs: list[ColdRun]) -> dict[str, Any]:
    return {
        "median_ms": round(_median([run.seconds * 1000 for run in runs]), 1),
        "samples_ms": [round(run.seconds * 1000, 1) for run in runs],
        "upstream_calls": sorted({len(run.calls) for run in runs}),
        "sequential_round_trips": sorted({sequential_round_trips(run.calls) for run in runs}),
        "upstream_critical_path_median_ms": round(
            _median([critical_path_seconds(run.calls) * 1000 for run in runs]), 1
        ),
        "upstream_429s": sorted({sum(call.status == 429 for call in run.calls) for run in runs}),
        "failed_lookups": sorted({run.failed_lookups for run in runs}),
    }


def _cold(sandbox_url: str, ours: Process, hive: Process) -> dict[str, Any]:
    """Cold dashboards, ours and Hive's in turn, after checking they return the same records;
    then at Codat's concurrency cap."""
    _, warm = asyncio.run(_ours_dashboard(ours.url))
    expected = _ours_rows(warm)
    failures: list[str] = []
    _, company_ids, pages, _ = _hive_run(hive.url, sandbox_url, failures)
    assert _hive_rows(company_ids, pages) == expected, "ours and Hive return different records"
    bills = sum(len(bills) for _, bills in expected)
    lines = sum(len(bill[4]) for _, bills in expected for bill in bills)

    httpx.put(f"{sandbox_url}/_sandbox/latency", json={"ms": LATENCY_MS}).raise_for_status()
    cold = _cold_runs(
        sandbox_url, ours, hive, expected, runs=COLD_SAMPLES, hive_exact=True, failures=failures
    )
    # Codat allows 10 requests in flight per company: ours keeps to it, Hive has no such limit.
    _set_limits(sandbox_url, CODAT_CONCURRENCY_CAP)
    capped = _cold_runs(
        sandbox_url, ours, hive, expected, runs=CAPPED_SAMPLES, hive_exact=False, failures=failures
    )
    _set_limits(sandbox_url, 1000)
    httpx.delete(f"{sandbox_url}/_sandbox/latency").raise_for_status()

    figures: dict[str, Any] = {
        "bills": bills,
        "line_items": lines,
        "hive_lookups": bills + 2 * lines,
        "hive_reruns": failures,
        "ours": _summary(cold["ours"]),
        "hive": _summary(cold["hive"]),
        "at_codat_concurrency_cap": {side: _summary(runs) for side, runs in capped.items()},
    }
    figures["latency_ratio"] = round(figures["ours"]["median_ms"] / figures["hive"]["median_ms"], 2)
    return figures


def _same_list(ours_url: str, hive_url: str, company_id: str) -> list[str]:
    """The bill ids of the 100-bill list, after checking both sides return the same ones."""
    ours = httpx.post(f"{ours_url}/graphql", json=_ours_list_body(company_id), timeout=60).json()
    assert "errors" not in ours, ours.get("errors")
    hive = httpx.post(
        f"{hive_url}/graphql", json=_hive_list_body(company_id), headers=AUTH, timeout=60
    ).json()
    ours_ids = [bill["codatId"] for bill in ours["data"]["company"]["bills"]["nodes"]]
    hive_ids = [
        bill["id"] for bill in _found(hive["data"]["list_bills"], "Accounting__Bills")["results"]
    ]
    assert ours_ids == hive_ids, (len(ours_ids), len(hive_ids))
    assert len(ours_ids) == LIST_SIZE, len(ours_ids)
    return ours_ids


def _ours_list_body(company_id: str) -> dict[str, Any]:
    return {"query": OURS_LIST, "variables": {"company": company_id, "first": LIST_SIZE}}


def _hive_list_body(company_id: str) -> dict[str, Any]:
    variables = {"companyId": company_id, "first": LIST_SIZE, "query": BILLS_QUERY}
    return {"query": HIVE_LIST, "variables": variables}


def _throughput(sandbox_url: str, ours: Process, hive: Process, company_id: str) -> dict[str, Any]:
    """wrk on the 100-bill list: a warm-up run each, then rounds taking turns (the order
    alternating), so load from elsewhere on the machine falls on both sides alike."""
    _same_list(ours.url, hive.url, company_id)
    sides: dict[str, tuple[Process, dict[str, Any], dict[str, str] | None]] = {
        "ours": (ours, _ours_list_body(company_id), None),
        "hive": (hive, _hive_list_body(company_id), AUTH),
    }
    for gateway, body, headers in sides.values():
        wrk(f"{gateway.url}/graphql", body, seconds=WRK_WARMUP_SECONDS, headers=headers)
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "hive": []}
    calls = {"ours": 0, "hive": 0}
    for round_ in range(WRK_ROUNDS):
        for side in ("ours", "hive") if round_ % 2 == 0 else ("hive", "ours"):
            gateway, body, headers = sides[side]
            clear_calls(sandbox_url)
            runs[side].append(
                wrk(f"{gateway.url}/graphql", body, seconds=WRK_SECONDS, headers=headers)
            )
            calls[side] += len(recorded_calls(sandbox_url))
    figures: dict[str, Any] = {}
    for side, results in runs.items():
        figures[side] = {
            "rps": _median([run["rps"] for run in results]),
            "p50_ms": _median([run["p50_ms"] for run in results]),
            "p99_ms": _median([run["p99_ms"] for run in results]),
            "rounds_rps": [run["rps"] for run in results],
            "errors": sum(int(run["errors"]) for run in results),
            "non2xx": sum(int(run["non2xx"]) for run in results),
            "upstream_calls": calls[side],
            "rss_mib": round(rss_bytes(sides[side][0].pid) / 2**20, 1),
        }
    figures["rps_ratio"] = round(figures["ours"]["rps"] / figures["hive"]["rps"], 2)
    return figures


def _sandbox_alone(sandbox_url: str, company_id: str) -> dict[str, float]:
    """wrk straight at the sandbox for the page Hive asks for: the ceiling of a gateway that
    calls it on every request."""
    query = urlencode(
        {"page": 1, "pageSize": LIST_SIZE, "query": BILLS_QUERY, "orderBy": "dueDate"}
    )
    url = f"{sandbox_url}/companies/{company_id}/data/bills?{query}"
    return wrk(url, None, seconds=WRK_SECONDS, headers=AUTH)


def _table(
    cold: dict[str, Any], executing: dict[str, Any], stored: dict[str, Any], load: list[float]
) -> list[str]:
    ours, hive = cold["ours"], cold["hive"]
    capped = cold["at_codat_concurrency_cap"]
    lines = [
        "| measure | ours | Hive Gateway | ours/Hive | goal | met |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| cold AP dashboard, median ms ({COLD_SAMPLES} runs) | {ours['median_ms']} "
        f"| {hive['median_ms']} | {cold['latency_ratio']} | <= 0.8 "
        f"| {'yes' if cold['latency_ratio'] <= 0.8 else 'no'} |",
        f"| cold AP dashboard, upstream calls | {ours['upstream_calls']} "
        f"| {hive['upstream_calls']} | | <= Hive's "
        f"| {'yes' if max(ours['upstream_calls']) <= min(hive['upstream_calls']) else 'no'} |",
        f"| cold AP dashboard, sequential upstream round trips | {ours['sequential_round_trips']}"
        f" | {hive['sequential_round_trips']} | | | |",
        f"| cold AP dashboard, upstream critical path, median ms "
        f"| {ours['upstream_critical_path_median_ms']} "
        f"| {hive['upstream_critical_path_median_ms']} | | | |",
    ]
    for label, figures, goal in (
        ("executing (no response cache)", executing, 1.0),
        ("stored responses (response cache)", stored, 3.0),
    ):
        mine, theirs = figures["ours"], figures["hive"]
        lines.append(
            f"| {LIST_SIZE}-bill list, {label}, req/s (p50 / p99 ms) "
            f"| {mine['rps']} ({mine['p50_ms']} / {mine['p99_ms']}) "
            f"| {theirs['rps']} ({theirs['p50_ms']} / {theirs['p99_ms']}) "
            f"| {figures['rps_ratio']} | >= {goal} "
            f"| {'yes' if figures['rps_ratio'] >= goal else 'no'} |"
        )
    lines += [
        "",
        f"Cold samples (ms): ours {ours['samples_ms']}, Hive {hive['samples_ms']}. Hive runs "
        f"repeated after an upstream connection reset: {len(cold['hive_reruns'])} "
        f"{cold['hive_reruns']}.",
        f"Rounds (req/s): executing ours {executing['ours']['rounds_rps']}, Hive "
        f"{executing['hive']['rounds_rps']}; stored ours {stored['ours']['rounds_rps']}, Hive "
        f"{stored['hive']['rounds_rps']}.",
        f"The sandbox alone, wrk GET of the page Hive asks for (no gateway): "
        f"{executing['sandbox_alone']['rps']} req/s (p50 "
        f"{executing['sandbox_alone']['p50_ms']} ms): the ceiling of Hive's executing run.",
        f"Machine load average (1 min) at the start and the end: {load}.",
        f"Upstream calls during the measured wrk runs: executing ours "
        f"{executing['ours']['upstream_calls']}, Hive {executing['hive']['upstream_calls']}; "
        f"stored ours {stored['ours']['upstream_calls']}, Hive {stored['hive']['upstream_calls']}."
        f" wrk errors/non-2xx: executing {executing['ours']['errors']}/"
        f"{executing['ours']['non2xx']} and {executing['hive']['errors']}/"
        f"{executing['hive']['non2xx']}, stored {stored['ours']['errors']}/"
        f"{stored['ours']['non2xx']} and {stored['hive']['errors']}/{stored['hive']['non2xx']}.",
        f"RSS after the wrk runs (MiB): executing ours {executing['ours']['rss_mib']}, Hive "
        f"{executing['hive']['rss_mib']}; stored ours {stored['ours']['rss_mib']}, Hive "
        f"{stored['hive']['rss_mib']}.",
        f"At Codat's real cap of {CODAT_CONCURRENCY_CAP} requests in flight per company "
        f"({CAPPED_SAMPLES} cold runs each, same order): ours median {capped['ours']['median_ms']}"
        f" ms, {capped['ours']['upstream_calls']} calls, {capped['ours']['upstream_429s']} "
        f"answered 429, same records every time; Hive median {capped['hive']['median_ms']} ms, "
        f"{capped['hive']['upstream_calls']} calls, {capped['hive']['upstream_429s']} answered "
        f"429, so {capped['hive']['failed_lookups']} of its {cold['hive_lookups']} lookups came "
        "back as Codat's error instead of the record.",
        "",
        "Setup. One machine, one run, one sandbox (the seeded Codat stand-in), both gateways "
        "bound to 127.0.0.1, one process each (one uvicorn worker; Hive Gateway's default single "
        "worker, NODE_ENV=production, no --jit). Hive Gateway 2.15.1 serves the supergraph "
        "@graphql-mesh/compose-cli 1.8.2 composes with @omnigraph/openapi 0.112.4 from "
        "specs/codat/sync-for-payables-v1.json (bench/peer/, versions pinned in "
        "package-lock.json).",
        f"Cold AP dashboard: {COMPANIES} companies x {BILLS} bills ({cold['bills']} bills, "
        f"{cold['line_items']} line items) with each bill's supplier (status, currency) and "
        "each line's account (type, status) and tax rate (code, rate): fields the refs do not "
        f"carry, so every ref is a lookup. Sandbox latency {LATENCY_MS} ms a call. Both sides "
        "return the same companies, bills, suppliers, accounts and tax rates (checked on every "
        "run). Ours: one document; cold = after signed webhooks evicted the companies list and "
        "every company's bills, suppliers, accounts and tax rates. Hive: Codat's records carry "
        "no company id, so Mesh's declarative @resolveTo (mesh.config.ts: Bill.supplier, "
        "line.account, line.taxRate, one get_* call each) reads it from the document's "
        "$companyId; a frontend sends the companies query, then one document per company in "
        "parallel (two client round trips). Hive keeps no data between requests, so each of "
        "its runs is cold. Wall time is measured at the client, from the first request to "
        "the last response; the upstream critical path is the sandbox's own time along the "
        "longest chain of dependent calls (injected latency plus its processing). "
        "The sandbox's per-company concurrency cap is raised to 1,000 for "
        "these runs, since Hive has no per-company limit (ours keeps Codat's 10); the line "
        "above shows what the real cap does.",
        f"Throughput: wrk, 1 thread, 16 connections, a {WRK_WARMUP_SECONDS} s warm-up each, then "
        f"{WRK_ROUNDS} rounds of {WRK_SECONDS} s taking turns (medians; every round's req/s in "
        f"peer.json), no injected latency, the first {LIST_SIZE} bills of "
        "one company (same ids checked) with the supplier name from the ref. Executing: "
        "response caches off on both sides; ours reads its cached upstream data, Hive (which "
        "has no data cache) calls the sandbox for every request, and the sandbox shares the "
        "machine's two cores. Stored: our response cache against Hive's response caching "
        "plugin (gateway.config.ts: session null, 300 s TTL).",
    ]
    return lines


def main() -> None:
    _install()
    load = [round(os.getloadavg()[0], 2)]
    with (
        server(["sandbox", "--api-key", API_KEY], SANDBOX_ENV, "/_sandbox/seed") as sandbox,
        tempfile.TemporaryDirectory() as folder,
    ):
        _set_limits(sandbox.url, 1000)
        supergraph = _compose(sandbox.url, Path(folder))
        company_id = httpx.get(f"{sandbox.url}/_sandbox/seed").json()["companies"][0]["id"]
        with (
            _ours(sandbox.url, response_cache=False) as ours,
            _hive(supergraph, response_cache=False) as hive,
        ):
            cold = _cold(sandbox.url, ours, hive)
            executing = _throughput(sandbox.url, ours, hive, company_id)
        executing["sandbox_alone"] = _sandbox_alone(sandbox.url, company_id)
        with (
            _ours(sandbox.url, response_cache=True) as ours,
            _hive(supergraph, response_cache=True) as hive,
        ):
            stored = _throughput(sandbox.url, ours, hive, company_id)
    load.append(round(os.getloadavg()[0], 2))
    figures = {
        "load_average_1min_start_end": load,
        "cold_dashboard": cold,
        "executing_list": executing,
        "stored_list": stored,
        "goals": {
            "cold_latency_ratio_at_most": 0.8,
            "upstream_calls": "at most Hive's",
            "executing_rps_ratio_at_least": 1.0,
            "stored_rps_ratio_at_least": 3.0,
        },
    }
    title = "Peer benchmark: ours vs Hive Gateway over Codat's v1 spec"
    print(write_results("peer", title, _table(cold, executing, stored, load), figures).read_text())


if __name__ == "__main__":
    main()
