"""Profile: where the AP dashboard (issue 17's 3 x 25) spends the gateway's CPU, cold and warm.

Run: `.venv/bin/python -m bench.profile_dashboard`. Writes bench/results/dashboard-profile.txt:
the in-process CPU time (time.process_time; the sandbox runs in its own process) per cold
dashboard (every data type evicted, as after a sync's webhooks) and per warm one, the time the
cyclic collector took, then a pyinstrument profile of each.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pyinstrument import Profiler

from bench.common import API_KEY, RESULTS, server
from bench.dashboard import EVICTED, ISSUE_VARIABLES, SANDBOX_ENV
from gateway.app import client_config
from gateway.codat import CodatClient
from gateway.reads.cache import UpstreamCache
from gateway.reads.loaders import Loaders
from gateway.reads.upstream import Upstream
from gateway.settings import Settings
from schema import build_schema
from schema.context import Context
from tests.queries import AP_DASHBOARD

RUNS = 30


class _Collections:
    """CPU seconds the cyclic garbage collector takes while installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


async def _cpu_ms(
    once: Callable[[], Awaitable[None]], before: Callable[[], None]
) -> tuple[list[float], float]:
    """CPU ms of each of RUNS calls (`before` each, not counted), and collector ms per call."""
    collections = _Collections()
    gc.callbacks.append(collections)
    samples = []
    try:
        for _ in range(RUNS):
            before()
            started = time.process_time()
            await once()
            samples.append((time.process_time() - started) * 1000)
    finally:
        gc.callbacks.remove(collections)
    return samples, collections.seconds * 1000 / RUNS


async def profile(sandbox_url: str) -> str:
    settings = Settings.from_env({}).pointed_at(sandbox_url, API_KEY)
    schema = build_schema()
    async with CodatClient(client_config(settings)) as client:
        cache = UpstreamCache(ttl_seconds=600, max_entries=20_000)
        upstream = Upstream(client, cache)

        async def once() -> None:
            context = Context(loaders=Loaders(upstream))
            result = await schema.execute(
                AP_DASHBOARD, variable_values=ISSUE_VARIABLES, context_value=context
            )
            assert result.errors is None, result.errors

        await once()
        companies = await client.list_companies(page=1, page_size=100)
        company_ids = [company.id for company in companies.results]

        def evict() -> None:
            for company_id in company_ids:
                cache.invalidate(company_id, EVICTED)

        def nothing() -> None:
            pass

        cold, cold_gc = await _cpu_ms(once, evict)
        warm, warm_gc = await _cpu_ms(once, nothing)
        lines = [
            f"AP dashboard {ISSUE_VARIABLES['companies']} companies x "
            f"{ISSUE_VARIABLES['bills']} bills, in-process CPU per request over {RUNS} runs:",
            f"  cold: median {statistics.median(cold):.1f} ms, mean {statistics.mean(cold):.1f} ms"
            f" (cyclic collector {cold_gc:.1f} ms of it on average)",
            f"  warm: median {statistics.median(warm):.1f} ms, mean {statistics.mean(warm):.1f} ms"
            f" (cyclic collector {warm_gc:.1f} ms of it on average)",
            "",
        ]
        for name, before in (("cold", evict), ("warm", nothing)):
            profiler = Profiler(async_mode="enabled")
            for _ in range(RUNS):
                before()
                with profiler:
                    await once()
            lines += [
                f"== {name} ==",
                profiler.output_text(unicode=False, color=False, show_all=False),
            ]
    return "\n".join(lines)


def main() -> None:
    with server(["sandbox", "--api-key", API_KEY], SANDBOX_ENV, "/_sandbox/seed") as sandbox:
        text = asyncio.run(profile(sandbox.url))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dashboard-profile.txt").write_text(text)
    print(text[:6000])


if __name__ == "__main__":
    main()
