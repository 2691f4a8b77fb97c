"""Benchmark: cache hit ratio and warm throughput of a query, and webhook-to-eviction time.

Two gateway replicas (in-process servers, each with its own cache and Redis connection) share one
sandbox and a real Redis. Webhooks go to replica A only; the time measured per event runs from
replica A accepting the webhook to the last replica having evicted (p50, p99).

Run: `.venv/bin/python -m bench.webhooks [--events 200] [--requests 200]`
(REDIS_URL defaults to redis://127.0.0.1:6379/0). Writes bench/results/webhooks.{md,json}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from bench.common import signed_webhook_headers
from gateway.app import create_app
from gateway.events.invalidation import CacheInvalidator
from gateway.settings import Settings
from sandbox.app import create_app as create_sandbox_app
from sandbox.config import SandboxConfig
from tests.queries import AP_DASHBOARD
from tests.servers import running

RESULTS = Path(__file__).resolve().parent / "results"
API_KEY = "bench-key"
DASHBOARD_VARIABLES = {"companies": 5, "bills": 20, "dueFrom": "2026-10-01", "dueTo": "2027-01-31"}


def _settings(sandbox_url: str, secret: str, redis_url: str, prefix: str) -> Settings:
    return Settings(
        codat_api_key=SecretStr(API_KEY),
        codat_base_url=sandbox_url,
        webhook_secret=SecretStr(secret),
        redis_url=SecretStr(redis_url),
        redis_key_prefix=prefix,
        graphiql=False,
        log_level="WARNING",
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _cache_counts(url: str) -> tuple[int, int]:
    cache = httpx.get(f"{url}/readyz", timeout=5).json()["cache"]
    return int(cache["hits"]), int(cache["misses"])


async def _throughput(url: str, body: dict[str, Any], requests: int, concurrency: int) -> float:
    async with httpx.AsyncClient(timeout=30) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(requests):
            queue.put_nowait(n)

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                response = await client.post(f"{url}/graphql", json=body)
                response.raise_for_status()
                assert "errors" not in response.json()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


def _read_completed(company_id: str) -> tuple[str, bytes]:
    event_id = str(uuid.uuid4())
    body = {
        "id": event_id,
        "eventType": "read.completed",
        "generatedDate": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "payload": {
            "referenceCompany": {"id": company_id, "name": "bench"},
            "dataTypes": [{"dataType": "bills", "recordsModified": True, "status": "Complete"}],
        },
    }
    return event_id, json.dumps(body).encode()


def _lag(invalidator: CacheInvalidator, event_id: str) -> float | None:
    for seen, lag in reversed(invalidator.lag_seconds):
        if seen == event_id:
            return lag
    return None


def _eviction_times(
    url: str, secret: str, apps: list[FastAPI], companies: list[str], events: int
) -> list[float]:
    invalidators: list[CacheInvalidator] = [app.state.services.invalidator for app in apps]
    times: list[float] = []
    with httpx.Client(timeout=10) as client:
        for n in range(events):
            event_id, body = _read_completed(companies[n % len(companies)])
            response = client.post(
                f"{url}/webhooks/codat", content=body, headers=signed_webhook_headers(secret, body)
            )
            response.raise_for_status()
            deadline = time.monotonic() + 5
            lags: list[float | None] = [None]
            while time.monotonic() < deadline:
                lags = [_lag(invalidator, event_id) for invalidator in invalidators]
                if all(lag is not None for lag in lags):
                    break
                time.sleep(0.0005)
            if any(lag is None for lag in lags):
                raise RuntimeError(f"event {event_id} was not applied on every replica within 5 s")
            times.append(max(lag for lag in lags if lag is not None))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--query", type=Path, help="a GraphQL document (default: the AP dashboard)")
    parser.add_argument("--variables", type=str, help="JSON variables for --query")
    args = parser.parse_args()
    query = AP_DASHBOARD if args.query is None else args.query.read_text()
    variables = DASHBOARD_VARIABLES if args.variables is None else json.loads(args.variables)
    body = {"query": query, "variables": variables}
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"bench-{uuid.uuid4().hex[:12]}"

    config = SandboxConfig(api_key=API_KEY)
    with running(create_sandbox_app(config)) as sandbox:
        settings = _settings(sandbox.url, config.webhook_secret, redis_url, prefix)
        app_a, app_b = create_app(settings), create_app(settings)
        with running(app_a) as a, running(app_b) as b:
            companies = [
                c["id"]
                for c in httpx.get(f"{sandbox.url}/_sandbox/seed", timeout=30).json()["companies"]
            ]
            started = time.perf_counter()
            for url in (a.url, b.url):
                httpx.post(f"{url}/graphql", json=body, timeout=60).raise_for_status()
            cold_seconds = (time.perf_counter() - started) / 2
            hits_before, misses_before = _cache_counts(a.url)
            warm_rps = asyncio.run(_throughput(a.url, body, args.requests, args.concurrency))
            hits_after, misses_after = _cache_counts(a.url)
            lookups = (hits_after - hits_before) + (misses_after - misses_before)
            hit_ratio = (hits_after - hits_before) / lookups if lookups else 1.0
            times = _eviction_times(
                a.url, config.webhook_secret, [app_a, app_b], companies, args.events
            )

    data = {
        "replicas": 2,
        "bus": "redis",
        "query": "AP_DASHBOARD" if args.query is None else str(args.query),
        "cold_query_seconds": round(cold_seconds, 4),
        "warm_requests": args.requests,
        "warm_concurrency": args.concurrency,
        "warm_requests_per_second": round(warm_rps, 1),
        "warm_cache_hit_ratio": round(hit_ratio, 4),
        "events": args.events,
        "eviction_ms_p50": round(statistics.median(times) * 1000, 3),
        "eviction_ms_p99": round(_percentile(times, 0.99) * 1000, 3),
        "eviction_ms_max": round(max(times) * 1000, 3),
    }
    lines = [
        "# Webhooks: cache hit ratio, warm throughput, webhook-to-eviction time",
        "",
        f"Two replicas (in-process uvicorn servers), one sandbox (default seed), Redis at "
        f"`{redis_url}`. Query: {data['query']}. Generated by `python -m bench.webhooks` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| cold query (mean of the two replicas) | {data['cold_query_seconds']} s |",
        f"| warm throughput ({args.requests} requests, {args.concurrency} concurrent) "
        f"| {data['warm_requests_per_second']} req/s |",
        f"| warm cache hit ratio | {data['warm_cache_hit_ratio']:.2%} |",
        f"| webhook receipt to evicted on every replica, p50 ({args.events} events) "
        f"| {data['eviction_ms_p50']} ms |",
        f"| same, p99 | {data['eviction_ms_p99']} ms |",
        f"| same, max | {data['eviction_ms_max']} ms |",
        "",
        "Eviction time runs from replica A parsing the verified webhook to the invalidator of the",
        "last replica (A itself included, via Redis) having evicted; both replicas share a clock.",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "webhooks.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "webhooks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
