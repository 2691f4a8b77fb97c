"""Prometheus metrics: one registry per app, instruments fed at the gateway's single points.

Counters and histograms are fed as things happen (GraphQL operations, Codat calls, webhooks,
subscriptions); cache, bus and rate-limit figures are read from their owners at scrape time.
Every label has a bounded set of values: Codat paths are templated, operation names capped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.codat.transport import RateLimitState
from gateway.events.bus import BusHealth
from gateway.ops.bounds import Bound
from gateway.ops.looplag import LAG_BUCKETS
from gateway.reads.cache import ResponseCache, UpstreamCache
from gateway.reads.shared import SharedCache

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

MAX_OPERATION_NAMES = 200
"""Distinct operation names labelled as themselves; later ones are counted as `other`."""

# Path segments that are words of Codat's API; any other segment is an id.
_WORDS = frozenset(
    {
        "companies",
        "connections",
        "data",
        "push",
        "dataStatus",
        "info",
        "all",
        "queue",
        "history",
        "options",
        "attachments",
        "bills",
        "billPayments",
        "billCreditNotes",
        "suppliers",
        "accounts",
        "bankAccounts",
        "paymentMethods",
        "taxRates",
        "trackingCategories",
        "journalEntries",
        "journals",
        "pushOperations",
    }
)
# What an id is called, by the word before it.
_ID_NAMES = {
    "companies": "{companyId}",
    "connections": "{connectionId}",
    "push": "{pushOperationKey}",
    "queue": "{dataType}",
    "history": "{datasetId}",
    "options": "{dataType}",
}


def template_path(path: str) -> str:
    """`/companies/8a1c.../data/bills/42` as `/companies/{companyId}/data/bills/{id}`."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    templated: list[str] = []
    previous = ""
    for segment in segments:
        if segment in _WORDS:
            templated.append(segment)
        else:
            templated.append(_ID_NAMES.get(previous, "{id}"))
        previous = segment
    return "/" + "/".join(templated)


@dataclass(frozen=True, slots=True)
class Sources:
    """What the scrape-time collector reads (each may be absent until the lifespan starts)."""

    cache: Callable[[], UpstreamCache | None]
    responses: Callable[[], ResponseCache | None]
    bus: Callable[[], BusHealth | None]
    rate_limit: Callable[[], RateLimitState | None]
    bounds: Callable[[], Iterable[Bound]] = tuple
    """Every bounded cache, store and queue: what it holds, its limits (gateway/ops/bounds.py)."""
    limited: Callable[[], Mapping[str, int]] = dict
    """Requests refused by the gateway's own rate limits, by kind (gateway/edge/ratelimit.py)."""
    shared: Callable[[], SharedCache | None] = lambda: None
    """The upstream cache replicas share in Redis (gateway/reads/shared.py), if there is one."""


class _LookupStats(Protocol):
    """What every cache counts of its lookups (`CacheStats`, `SharedCacheStats`)."""

    @property
    def hits(self) -> int: ...
    @property
    def misses(self) -> int: ...
    @property
    def evictions(self) -> int: ...


class _StateCollector(Collector):
    def __init__(self, sources: Sources) -> None:
        self._sources = sources

    def collect(self) -> Iterable[Metric]:
        yield from self._caches()
        yield from self._bus()
        yield from self._rate_limit()
        yield from self._bounds()
        limited = CounterMetricFamily(
            "gateway_rate_limited",
            "Requests and operations refused by the gateway's rate limits.",
            labels=["kind"],
        )
        for kind, count in self._sources.limited().items():
            limited.add_metric([kind], count)
        yield limited

    def _bounds(self) -> Iterator[Metric]:
        families = {
            name: GaugeMetricFamily(f"gateway_bounded_{name}", text, labels=["holder"])
            for name, text in (
                ("entries", "Entries held by a bounded cache, store or queue."),
                ("max_entries", "Its entry limit (settings)."),
                ("bytes", "Approximate bytes it holds (JSON/UTF-8 size of the data)."),
                ("max_bytes", "Its byte limit (settings)."),
            )
        }
        for bound in self._sources.bounds():
            families["entries"].add_metric([bound.holder], bound.entries)
            families["max_entries"].add_metric([bound.holder], bound.max_entries)
            families["bytes"].add_metric([bound.holder], bound.bytes)
            families["max_bytes"].add_metric([bound.holder], bound.max_bytes)
        yield from families.values()

    def _caches(self) -> Iterator[Metric]:
        hits = CounterMetricFamily(
            "gateway_cache_hits", "Cache lookups answered.", labels=["cache"]
        )
        misses = CounterMetricFamily(
            "gateway_cache_misses", "Cache lookups missed.", labels=["cache"]
        )
        evictions = CounterMetricFamily(
            "gateway_cache_evictions", "Entries dropped by webhooks or clears.", labels=["cache"]
        )
        entries = GaugeMetricFamily("gateway_cache_entries", "Entries held.", labels=["cache"])
        held: list[tuple[str, _LookupStats, int]] = []
        cache = self._sources.cache()
        if cache is not None:
            held.append(("upstream", cache.stats, len(cache)))
        responses = self._sources.responses()
        if responses is not None:
            held.append(("response", responses.stats, len(responses)))
        shared = self._sources.shared()
        if shared is not None:
            held.append(("shared", shared.stats, shared.entries))
            yield self._shared(shared)
        for name, stats, count in held:
            hits.add_metric([name], stats.hits)
            misses.add_metric([name], stats.misses)
            evictions.add_metric([name], stats.evictions)
            entries.add_metric([name], count)
        yield from (hits, misses, evictions, entries)

    def _shared(self, shared: SharedCache) -> Metric:
        events = CounterMetricFamily(
            "gateway_shared_cache_events",
            "What the shared upstream cache did: stores, values not stored (oversize, "
            "unencodable, stale), waits for another replica's fetch, invalidations, clears, and "
            "fallbacks (Redis did not answer: the replica read on its own).",
            labels=["event"],
        )
        stats = shared.stats
        for event, count in (
            ("store", stats.stores),
            ("oversize", stats.oversize),
            ("unencodable", stats.unencodable),
            ("stale_write_dropped", stats.stale_writes_dropped),
            ("wait", stats.waits),
            ("invalidation", stats.invalidations),
            ("clear", stats.clears),
            ("fallback", stats.fallbacks),
        ):
            events.add_metric([event], count)
        return events

    def _bus(self) -> Iterator[Metric]:
        health = self._sources.bus()
        if health is None:
            return
        family: type[GaugeMetricFamily] | type[CounterMetricFamily]
        for family, name, text, value in (
            (GaugeMetricFamily, "healthy", "1 when events reach every replica.", health.healthy),
            (CounterMetricFamily, "published", "Events published.", health.published),
            (
                CounterMetricFamily,
                "delivered",
                "Events delivered to this replica.",
                health.delivered,
            ),
            (
                CounterMetricFamily,
                "dropped_subscribers",
                "Subscribers dropped for falling behind.",
                health.dropped_subscribers,
            ),
            (GaugeMetricFamily, "subscribers", "Subscribers listening.", health.subscribers),
        ):
            metric = family(f"gateway_bus_{name}", text, labels=["backend"])
            metric.add_metric([health.backend], int(value))
            yield metric

    def _rate_limit(self) -> Iterator[Metric]:
        state = self._sources.rate_limit()
        if state is None:
            return
        if state.remaining is not None:
            yield GaugeMetricFamily(
                "gateway_upstream_rate_limit_remaining",
                "Codat's latest X-Rate-Limit-Remaining.",
                value=state.remaining,
            )
        if state.limit is not None:
            yield GaugeMetricFamily(
                "gateway_upstream_rate_limit_limit",
                "Codat's latest X-Rate-Limit-Limit.",
                value=state.limit,
            )


class Metrics:
    """The app's instruments, on a registry of its own (two apps in one process never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.operations = Counter(
            "gateway_graphql_operations",
            "GraphQL operations executed.",
            ["operation", "type", "outcome"],
            registry=registry,
        )
        self.operation_seconds = Histogram(
            "gateway_graphql_operation_duration_seconds",
            "Time to execute a GraphQL operation.",
            ["operation", "type", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.upstream_requests = Counter(
            "gateway_upstream_requests",
            "Codat requests (one per logical call, retries included), by final status.",
            ["method", "endpoint", "status"],
            registry=registry,
        )
        self.upstream_seconds = Histogram(
            "gateway_upstream_request_duration_seconds",
            "Time of a Codat call, retries included.",
            ["method", "endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.upstream_retries = Counter(
            "gateway_upstream_retries",
            "Codat requests sent again after a retryable failure.",
            ["method", "endpoint"],
            registry=registry,
        )
        self.webhooks = Counter(
            "gateway_webhooks",
            "Webhook deliveries, by event type and verdict.",
            ["type", "verdict"],
            registry=registry,
        )
        self.subscriptions_open = Gauge(
            "gateway_subscriptions_open", "GraphQL subscriptions open.", registry=registry
        )
        self.loop_lag = Histogram(
            "gateway_event_loop_lag_seconds",
            "How much later than asked a sleeping task woke (gateway/ops/looplag.py): the time "
            "something held the event loop.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self._operation_names: set[str] = set()

    def read_state(self, sources: Sources) -> None:
        """Read caches, bus health and Codat's rate limit from their owners at every scrape."""
        self.registry.register(_StateCollector(sources))

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self._operation_names:
            return name
        if len(self._operation_names) >= MAX_OPERATION_NAMES or len(name) > 100:
            return "other"
        self._operation_names.add(name)
        return name

    def observe_operation(
        self, name: str | None, operation_type: str, outcome: str, seconds: float
    ) -> None:
        labels = (self.operation_label(name), operation_type, outcome)
        self.operations.labels(*labels).inc()
        self.operation_seconds.labels(*labels).observe(seconds)

    def observe_upstream(
        self, method: str, endpoint: str, status: int | None, retries: int, seconds: float
    ) -> None:
        self.upstream_requests.labels(method, endpoint, str(status or "error")).inc()
        self.upstream_seconds.labels(method, endpoint).observe(seconds)
        if retries:
            self.upstream_retries.labels(method, endpoint).inc(retries)

    def observe_webhook(self, event_type: str, verdict: str) -> None:
        self.webhooks.labels(event_type, verdict).inc()

    @contextmanager
    def subscription(self) -> Iterator[None]:
        """Wrap a subscription's lifetime: `with metrics.subscription(): async for ...`."""
        self.subscriptions_open.inc()
        try:
            yield
        finally:
            self.subscriptions_open.dec()

    def render(self) -> bytes:
        return generate_latest(self.registry)
