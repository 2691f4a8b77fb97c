"""Profile: where a warm AP dashboard spends its time in the gateway (pyinstrument, in-process).

Run: `.venv/bin/python -m bench.profile_dashboard`. Writes bench/results/dashboard-profile.txt.
"""

from __future__ import annotations

import asyncio

from pyinstrument import Profiler

from bench.common import API_KEY, RESULTS, server
from bench.dashboard import SANDBOX_ENV, VARIABLES
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


async def profile(sandbox_url: str) -> str:
    settings = Settings.from_env({}).pointed_at(sandbox_url, API_KEY)
    schema = build_schema()
    async with CodatClient(client_config(settings)) as client:
        upstream = Upstream(client, UpstreamCache(ttl_seconds=600, max_entries=10_000))

        async def once() -> None:
            context = Context(loaders=Loaders(upstream))
            result = await schema.execute(
                AP_DASHBOARD, variable_values=VARIABLES, context_value=context
            )
            assert result.errors is None, result.errors

        await once()
        profiler = Profiler(async_mode="enabled")
        with profiler:
            for _ in range(RUNS):
                await once()
    text: str = profiler.output_text(unicode=False, color=False, show_all=False)
    return text


def main() -> None:
    with server(["sandbox", "--api-key", API_KEY], SANDBOX_ENV, "/_sandbox/seed") as sandbox:
        text = asyncio.run(profile(sandbox.url))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dashboard-profile.txt").write_text(text)
    print(text[:6000])


if __name__ == "__main__":
    main()
