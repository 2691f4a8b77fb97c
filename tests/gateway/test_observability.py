"""Metrics, traces, request ids and readiness, seen from outside a running gateway."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.app import create_app
from gateway.edge.correlation import RequestIdFilter
from gateway.ops.logs import JsonFormatter
from gateway.ops.metrics import Metrics, template_path
from gateway.ops.tracing import tracer_provider
from tests.conftest import gateway_settings
from tests.servers import running

COMPANY_BILLS = """
query CompanyBills($first: Int!) {
  companies(first: $first) { nodes { name bills(first: 2) { nodes { reference } } } }
}
"""
BROKEN = "query Broken { companies(first: 1) { nodes { nope } } }"


def _post(url: str, query: str, **variables: object) -> httpx.Response:
    body = {"query": query, "variables": variables}
    return httpx.post(f"{url}/graphql", json=body, headers={"Cache-Control": "no-cache"})


def _samples(text: str, name: str) -> dict[str, float]:
    """`{labels: value}` of one metric in Prometheus' text format."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(\{{.*\}})? (\S+)", line)
        if match:
            found[match.group(1) or ""] = float(match.group(2))
    return found


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line (DEBUG and up) as the JSON the gateway writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_codat_paths_are_templated_so_labels_stay_bounded() -> None:
    assert template_path("/companies") == "/companies"
    assert (
        template_path("/companies/8a1c2f0e-77aa-4b8e/data/bills/B-42")
        == "/companies/{companyId}/data/bills/{id}"
    )
    assert (
        template_path("/companies/c1/connections/x9/push/bills")
        == "/companies/{companyId}/connections/{connectionId}/push/bills"
    )
    assert (
        template_path("/companies/c1/push/k-1") == "/companies/{companyId}/push/{pushOperationKey}"
    )
    assert (
        template_path("/companies/c1/data/queue/bills") == "/companies/{companyId}/data/queue/bills"
    )


def test_operation_names_beyond_the_cap_are_counted_as_other() -> None:
    metrics = Metrics()
    for number in range(250):
        metrics.observe_operation(f"Op{number}", "query", "ok", 0.01)
    assert metrics.operation_label("Op3") == "Op3"
    assert metrics.operation_label("Op249") == "other"
    assert metrics.operation_label(None) == "anonymous"


def test_metrics_count_operations_upstream_calls_cache_webhooks_and_bus(sandbox_url: str) -> None:
    # given
    with running(create_app(gateway_settings(sandbox_url))) as gateway:
        # when
        assert "errors" not in _post(gateway.url, COMPANY_BILLS, first=2).json()
        assert "errors" not in _post(gateway.url, COMPANY_BILLS, first=2).json()
        assert "errors" in _post(gateway.url, BROKEN).json()
        httpx.post(f"{gateway.url}/webhooks/codat", content=b"{}")  # unsigned: rejected
        scrape = httpx.get(f"{gateway.url}/metrics")
    # then
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    operations = _samples(text, "gateway_graphql_operations_total")
    assert operations['{operation="CompanyBills",outcome="ok",type="query"}'] == 2
    assert operations['{operation="Broken",outcome="error",type="query"}'] == 1
    assert _samples(text, "gateway_graphql_operation_duration_seconds_count")
    upstream = _samples(text, "gateway_upstream_requests_total")
    assert upstream['{endpoint="/companies",method="GET",status="200"}'] == 1
    bills = '{endpoint="/companies/{companyId}/data/bills",method="GET",status="200"}'
    assert upstream[bills] == 2
    assert all("{companyId}" in key or 'endpoint="/companies"' in key for key in upstream)
    assert _samples(text, "gateway_upstream_request_duration_seconds_count")
    assert _samples(text, "gateway_cache_hits_total")['{cache="upstream"}'] >= 3
    assert _samples(text, "gateway_cache_misses_total")['{cache="upstream"}'] == 3
    assert '{cache="upstream"}' in _samples(text, "gateway_cache_evictions_total")
    webhooks = _samples(text, "gateway_webhooks_total")
    assert webhooks['{type="unknown",verdict="rejected"}'] == 1
    assert _samples(text, "gateway_bus_healthy") == {'{backend="local"}': 1.0}
    assert _samples(text, "gateway_subscriptions_open") == {"": 0.0}


def test_retries_are_counted_per_endpoint(sandbox_url: str) -> None:
    # given: the companies list fails once with a 503, then answers
    fault = {"pathPattern": "^/companies$", "status": 503, "times": 1}
    httpx.post(f"{sandbox_url}/_sandbox/faults", json=fault).raise_for_status()
    with running(create_app(gateway_settings(sandbox_url))) as gateway:
        # when
        assert "errors" not in _post(gateway.url, "{ companies(first: 1) { totalCount } }").json()
        text = httpx.get(f"{gateway.url}/metrics").text
    # then
    retries = _samples(text, "gateway_upstream_retries_total")
    assert retries == {'{endpoint="/companies",method="GET"}': 1.0}


def test_metrics_can_be_turned_off(sandbox_url: str) -> None:
    settings = gateway_settings(sandbox_url, METRICS_ENABLED="false")
    with running(create_app(settings)) as gateway:
        assert httpx.get(f"{gateway.url}/metrics").status_code == 404
        assert "errors" not in _post(gateway.url, COMPANY_BILLS, first=1).json()


def _children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [
        span
        for span in spans
        if span.parent is not None and span.parent.span_id == parent.context.span_id
    ]


def test_a_query_is_one_span_with_a_child_span_per_codat_call(sandbox_url: str) -> None:
    # given: Codat fails the bills of every company with a 404 (which carries a correlation id)
    fault = {"pathPattern": "/data/bills$", "status": 404}
    httpx.post(f"{sandbox_url}/_sandbox/faults", json=fault).raise_for_status()
    exporter = InMemorySpanExporter()
    app = create_app(gateway_settings(sandbox_url), tracing=tracer_provider(exporter))
    with running(app) as gateway:
        # when
        body = _post(gateway.url, COMPANY_BILLS, first=2).json()
    # then
    assert body["errors"]
    spans = exporter.get_finished_spans()
    operations = [span for span in spans if span.name.startswith("graphql ")]
    assert [span.name for span in operations] == ["graphql query CompanyBills"]
    operation = operations[0]
    assert operation.attributes is not None
    assert operation.attributes["graphql.outcome"] == "error"
    calls = _children(spans, operation)
    assert len(calls) == 3
    companies = [span for span in calls if span.name == "codat GET /companies"]
    assert len(companies) == 1
    assert companies[0].attributes is not None
    assert companies[0].attributes["http.response.status_code"] == 200
    bills = [span for span in calls if span.name.endswith("/data/bills")]
    assert len(bills) == 2
    for span in bills:
        assert span.attributes is not None
        assert span.attributes["http.request.method"] == "GET"
        assert span.attributes["url.template"] == "/companies/{companyId}/data/bills"
        assert span.attributes["http.response.status_code"] == 404
        assert span.attributes["codat.correlation_id"]
        assert span.attributes["error.type"] == "CodatNotFound"


def test_request_ids_reach_the_response_the_logs_and_graphql_errors(
    sandbox_url: str, captured_logs: io.StringIO
) -> None:
    fault = {"pathPattern": "/data/bills$", "status": 500}
    httpx.post(f"{sandbox_url}/_sandbox/faults", json=fault).raise_for_status()
    with running(create_app(gateway_settings(sandbox_url))) as gateway:
        # a sane incoming id is kept
        kept = httpx.post(
            f"{gateway.url}/graphql",
            json={"query": COMPANY_BILLS, "variables": {"first": 1}},
            headers={"X-Request-ID": "req-123.abc"},
        )
        # anything else is replaced by a fresh one
        replaced = httpx.get(
            f"{gateway.url}/healthz", headers={"X-Request-ID": "semi;colons/and/slashes" * 10}
        )
    assert kept.headers["x-request-id"] == "req-123.abc"
    error = kept.json()["errors"][0]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["extensions"]["requestId"] == "req-123.abc"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    upstream = [line for line in lines if line["logger"] == "gateway.reads.upstream.calls"]
    failed = [line for line in upstream if line["level"] == "WARNING"]
    assert failed
    assert all(line["request_id"] == "req-123.abc" for line in failed)
    assert all(line["codat_correlation_id"] for line in failed)
    assert all(line["endpoint"] == "/companies/{companyId}/data/bills" for line in failed)


def test_no_secret_ever_reaches_the_logs(sandbox_url: str, captured_logs: io.StringIO) -> None:
    # given: every secret the gateway knows, and things that make it log a lot
    webhook_secret = "whsec_c2VjcmV0LXdlYmhvb2sta2V5LTEyMzQ1Ng=="
    settings = gateway_settings(
        sandbox_url,
        WEBHOOK_SECRET=webhook_secret,
        WEBHOOK_LEGACY_AUTHORIZATION="Bearer legacy-webhook-token",
        REDIS_URL="redis://gateway:redis-password-42@127.0.0.1:1/0",
        LOG_LEVEL="DEBUG",
    )
    httpx.post(
        f"{sandbox_url}/_sandbox/faults", json={"pathPattern": "/data/bills$", "status": 500}
    ).raise_for_status()
    with running(create_app(settings)) as gateway:
        _post(gateway.url, COMPANY_BILLS, first=2)
        httpx.post(
            f"{gateway.url}/webhooks/codat",
            content=b"{}",
            headers={"Authorization": "Bearer wrong-legacy-token", "webhook-signature": "v1,x"},
        )
        httpx.get(f"{gateway.url}/readyz")
    # then
    logs = captured_logs.getvalue()
    assert "gateway.reads.upstream.calls" in logs
    api_key = settings.codat_api_key.get_secret_value() if settings.codat_api_key else ""
    basic = base64.b64encode(api_key.encode()).decode()
    for secret in (
        api_key,
        basic,
        webhook_secret,
        webhook_secret.removeprefix("whsec_"),
        "legacy-webhook-token",
        "wrong-legacy-token",
        "redis-password-42",
        "Authorization",
    ):
        assert secret not in logs


def test_readyz_is_503_while_codat_does_not_answer_and_checks_at_most_every_interval(
    sandbox_url: str,
) -> None:
    settings = gateway_settings(
        sandbox_url, READY_CHECK_INTERVAL_SECONDS="0.3", READY_CHECK_TIMEOUT_SECONDS="1"
    )
    with running(create_app(settings)) as gateway:
        ready = httpx.get(f"{gateway.url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["upstream"] == {"reachable": True, "detail": None}
        # when Codat fails every call
        httpx.post(f"{sandbox_url}/_sandbox/faults", json={"status": 503}).raise_for_status()
        httpx.delete(f"{sandbox_url}/_sandbox/requests")
        remembered = httpx.get(f"{gateway.url}/readyz")
        assert remembered.status_code == 200  # the last answer holds for the interval
        time.sleep(0.35)
        unready = httpx.get(f"{gateway.url}/readyz")
        assert httpx.get(f"{gateway.url}/healthz").status_code == 200
    assert unready.status_code == 503
    assert unready.json()["status"] == "unavailable"
    assert unready.json()["upstream"]["reachable"] is False
