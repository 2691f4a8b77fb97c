"""Every benchmark in one command, gathered into one table and one plot.

Run: `.venv/bin/python -m bench.run_all` (needs wrk and Redis, like the scenarios it runs).
Runs each scenario present (dashboard, webhooks, warm_path, subscriptions) as its own process,
then reads their JSON results into bench/results/summary.md (upstream calls, latency,
throughput) and bench/results/summary.svg (latency and throughput, log scale).
`--summarize-only` rebuilds the summary from the results already written.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape
from typing import Any

from bench.common import RESULTS

SCENARIOS = ("dashboard", "webhooks", "warm_path", "subscriptions")


@dataclass(frozen=True)
class Row:
    scenario: str
    case: str
    upstream_calls: str
    p50_ms: float | None
    p99_ms: float | None
    rps: float | None
    note: str = ""


def _dashboard(data: dict[str, Any]) -> Iterator[Row]:
    setup = (
        f"{data['companies']} companies, {data['bills_in_response']} bills, "
        f"Codat latency {data['upstream_latency_ms']} ms"
    )
    calls = f"{data['upstream_calls']} (min {data['upstream_calls_minimum']}, "
    calls += f"naive {data['upstream_calls_naive']})"
    yield Row(
        "dashboard", "cold (first request)", calls, data["first_request_ms"], None, None, setup
    )
    after = data["cold_after_webhooks_calls"]
    yield Row(
        "dashboard",
        "cold after webhooks",
        str(after[len(after) // 2]),
        data["cold_after_webhooks_median_ms"],
        None,
        None,
        "median of the runs",
    )
    yield Row(
        "dashboard",
        "warm (wrk)",
        str(data["warm_upstream_calls"]),
        data["warm_p50_ms"],
        data["warm_p99_ms"],
        data["warm_rps"],
        f"bare Strawberry ceiling {data['ceiling_bare_strawberry_sync_ops']} ops/s",
    )


def _webhooks(data: dict[str, Any]) -> Iterator[Row]:
    yield Row(
        "webhooks",
        f"warm, {data['replicas']} replicas on {data['bus']}",
        "0",
        None,
        None,
        data["warm_requests_per_second"],
        f"hit ratio {data['warm_cache_hit_ratio']}",
    )
    yield Row(
        "webhooks",
        "webhook to eviction on every replica",
        "0",
        data["eviction_ms_p50"],
        data["eviction_ms_p99"],
        None,
        f"{data['events']} events",
    )


def _warm_path(data: dict[str, Any]) -> Iterator[Row]:
    for size, figures in data["sizes"].items():
        for mode, label in (("with_response_cache", "response cache"), ("without", "no cache")):
            run = figures[mode]
            yield Row(
                "warm_path",
                f"{size} bills, {label}",
                "0",
                run["p50_ms"],
                run["p99_ms"],
                run["rps"],
                f"ceiling {figures['bare_strawberry_in_process_ops']} ops/s",
            )


def _number(data: dict[str, Any], *words: str) -> float | None:
    for key, value in data.items():
        if isinstance(value, int | float) and all(word in key for word in words):
            return float(value)
    return None


def _generic(name: str) -> Callable[[dict[str, Any]], Iterator[Row]]:
    """A scenario without its own reader: its figures found by their names."""

    def rows(data: dict[str, Any]) -> Iterator[Row]:
        calls = _number(data, "upstream_calls")
        rps = _number(data, "per_second") or _number(data, "rps")
        yield Row(
            name,
            "all",
            "-" if calls is None else f"{calls:g}",
            _number(data, "p50"),
            _number(data, "p99"),
            rps,
        )

    return rows


READERS: dict[str, Callable[[dict[str, Any]], Iterator[Row]]] = {
    "dashboard": _dashboard,
    "webhooks": _webhooks,
    "warm_path": _warm_path,
}


def present(name: str) -> bool:
    return importlib.util.find_spec(f"bench.{name}") is not None


def run(name: str) -> float:
    """Run one scenario in its own process; its seconds."""
    started = time.monotonic()
    print(f"== bench.{name}", flush=True)
    subprocess.run([sys.executable, "-m", f"bench.{name}"], check=True)
    return time.monotonic() - started


def gather() -> list[Row]:
    rows: list[Row] = []
    for name in SCENARIOS:
        path = RESULTS / f"{name}.json"
        if path.is_file():
            rows.extend(READERS.get(name, _generic(name))(json.loads(path.read_text())))
    return rows


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}" if value < 10_000 else f"{value:,.0f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| scenario | case | upstream calls | p50 ms | p99 ms | req/s | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        cells = (_cell(row.p50_ms), _cell(row.p99_ms), _cell(row.rps))
        lines.append(
            f"| {row.scenario} | {row.case} | {row.upstream_calls} | {' | '.join(cells)} "
            f"| {row.note} |"
        )
    return "\n".join(lines)


def svg(rows: list[Row]) -> str:
    """Two panels of horizontal bars on a log scale: p50 latency (ms) and throughput (req/s)."""
    label_width, panel_width, bar_height, gap = 330, 300, 16, 6
    top = 40
    height = top + len(rows) * (bar_height + gap) + 30
    width = label_width + 2 * (panel_width + 40)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    panels = (
        ("p50 latency, ms (log)", [row.p50_ms for row in rows], "#d9534f"),
        ("throughput, req/s (log)", [row.rps for row in rows], "#337ab7"),
    )
    for index, (title, values, colour) in enumerate(panels):
        left = label_width + index * (panel_width + 40)
        known = [value for value in values if value is not None and value > 0]
        high = math.log10(max(known) * 1.5) if known else 1.0
        low = min(0.0, math.floor(math.log10(min(known)))) if known else 0.0
        parts.append(f'<text x="{left}" y="20" font-weight="bold">{escape(title)}</text>')
        for position, value in enumerate(values):
            y = top + position * (bar_height + gap)
            if value is None or value <= 0:
                parts.append(f'<text x="{left + 4}" y="{y + 12}" fill="#999">n/a</text>')
                continue
            length = max(2.0, panel_width * (math.log10(value) - low) / (high - low))
            parts.append(
                f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                f'fill="{colour}"/>'
            )
            parts.append(f'<text x="{left + length + 4:.1f}" y="{y + 12}">{_cell(value)}</text>')
    for position, row in enumerate(rows):
        y = top + position * (bar_height + gap) + 12
        label = escape(f"{row.scenario}: {row.case}")
        parts.append(f'<text x="{label_width - 8}" y="{y}" text-anchor="end">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_summary(rows: list[Row], seconds: dict[str, float]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    ran = ", ".join(f"{name} ({value:.0f} s)" for name, value in seconds.items())
    text = [
        "# Benchmarks: summary",
        "",
        "Gathered by `.venv/bin/python -m bench.run_all` from each scenario's JSON in this folder;",
        "each scenario's own `.md` has its set-up and every figure. Upstream calls are Codat calls",
        "per request (0: served from the gateway's caches).",
        "",
        *([f"Scenarios run: {ran}.", ""] if ran else []),
        table(rows),
        "",
        "![latency and throughput](summary.svg)",
        "",
    ]
    (RESULTS / "summary.md").write_text("\n".join(text))
    (RESULTS / "summary.svg").write_text(svg(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--summarize-only", action="store_true", help="run no scenario")
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    if not args.summarize_only:
        for name in SCENARIOS:
            if present(name):
                seconds[name] = run(name)
    write_summary(gather(), seconds)
    print((RESULTS / "summary.md").read_text())


if __name__ == "__main__":
    main()
