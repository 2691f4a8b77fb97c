"""Bounded work over real servers: abusive documents never stall the event loop, the budget
refuses what would cost too much before any call, a client that leaves stops its upstream calls,
and the persisted-query store stays within its bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from bench.common import rss_bytes, server
from gateway.app import create_app
from tests.conftest import SANDBOX_API_KEY, gateway_settings
from tests.e2e.paying import codat_get
from tests.servers import running
from tests.upstream import clear_calls, recorded_calls

BILL_FIELDS = "codatId reference dueDate amountDue status currency totalAmount"
ALIAS_BOMB = (
    "{ "
    + " ".join(
        f"a{i}: companies(first: 5) {{ nodes {{ bills(first: 500) {{ nodes {{ {BILL_FIELDS} "
        "} } } }"
        for i in range(30)
    )
    + " }"
)
TOKEN_BOMB = "{ " + "a " * 500_000 + "}"
"""About 1 MB and 500,000 tokens."""
TOKEN_BOMB_SMALL = "{ " + "a " * 40_000 + "}"
"""80 KB (under the document size limit) and 40,000 tokens: refused by counting."""


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    selector = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(selector) + r"\}" if selector else "")
    match = re.search(rf"^{pattern} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def lag_over(text: str, seconds: str) -> float:
    """Event-loop lag samples above `seconds` (a histogram bucket bound) so far."""
    total = metric(text, "gateway_event_loop_lag_seconds_count")
    within = metric(text, "gateway_event_loop_lag_seconds_bucket", le=seconds)
    return total - within


class HealthProbe:
    """Polls /healthz every 20 ms on a thread and keeps the slowest answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.slowest = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                client.get(f"{self.url}/healthz").raise_for_status()
                self.slowest = max(self.slowest, time.perf_counter() - started)
                self.samples += 1
                time.sleep(0.02)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


@pytest.fixture
def gateway_process(sandbox_url: str) -> Iterator[str]:
    """The gateway as its own process (its event loop shares no GIL with the test)."""
    env = {
        "CODAT_API_KEY": SANDBOX_API_KEY,
        "CODAT_BASE_URL": sandbox_url,
        "GATEWAY_AUTH": "off",
        "CODAT_MAX_ATTEMPTS": "1",
        "RESPONSE_CACHE": "false",
    }
    with server(["serve"], env, "/healthz") as process:
        yield process.url


def test_abusive_documents_are_refused_at_once_and_the_loop_never_lags_100_ms(
    sandbox_url: str, gateway_process: str
) -> None:
    # given
    url = gateway_process
    before = httpx.get(f"{url}/metrics", timeout=10).text
    clear_calls(sandbox_url)
    answers: list[tuple[float, dict[str, Any]]] = []
    # when: each abusive request three times, while /healthz is polled
    with HealthProbe(url) as probe, httpx.Client(timeout=60) as client:
        for _ in range(3):
            for document in (TOKEN_BOMB, ALIAS_BOMB, TOKEN_BOMB_SMALL):
                started = time.perf_counter()
                response = client.post(f"{url}/graphql", json={"query": document})
                answers.append((time.perf_counter() - started, response.json()))
        time.sleep(0.2)
    after = httpx.get(f"{url}/metrics", timeout=10).text
    # then: both refused before any upstream call, each within 0.5 s
    for seconds, body in answers:
        assert seconds < 0.5, (seconds, body["errors"][0]["message"])
    token_errors = [body["errors"][0]["extensions"] for _, body in answers[0::3]]
    token_codes = {e["code"] for e in token_errors}
    assert all(e["maxBytes"] == 100_000 for e in token_errors)
    alias_errors = [body["errors"][0]["extensions"] for _, body in answers[1::3]]
    counted = [body["errors"][0]["extensions"] for _, body in answers[2::3]]
    assert {(e["code"], e["maxTokens"]) for e in counted} == {("GRAPHQL_PARSE_FAILED", 3000)}
    assert token_codes == {"GRAPHQL_PARSE_FAILED"}
    assert {e["code"] for e in alias_errors} == {"QUERY_TOO_COSTLY"}
    assert all(e["cost"] > e["budget"] and e["requestId"] for e in alias_errors)
    assert recorded_calls(sandbox_url) == []
    # and the event loop never lagged 100 ms; /healthz kept answering
    assert lag_over(after, "0.1") - lag_over(before, "0.1") == 0
    assert metric(after, "gateway_event_loop_lag_seconds_count") > metric(
        before, "gateway_event_loop_lag_seconds_count"
    )
    assert probe.samples > 10
    assert probe.slowest < 0.25


def test_pay_bills_with_2000_made_up_ids_is_refused_before_any_call(
    sandbox_url: str, gateway_url: str
) -> None:
    # given
    company = codat_get(sandbox_url, "/companies", pageSize="1")["results"][0]["id"]
    bills = [{"billId": f"made-up-{i}"} for i in range(2000)]
    mutation = """
    mutation Pay($input: PayBillsInput!) { payBills(input: $input) { results { billId } } }
    """
    variables = {
        "input": {
            "companyId": company,
            "accountId": "x",
            "date": "2026-11-26",
            "bills": bills,
            "idempotencyKey": "made-up-ids",
        }
    }
    clear_calls(sandbox_url)
    # when
    body = httpx.post(
        f"{gateway_url}/graphql", json={"query": mutation, "variables": variables}, timeout=30
    ).json()
    # then
    extensions = body["errors"][0]["extensions"]
    assert extensions["code"] == "QUERY_TOO_COSTLY"
    assert extensions["measure"] == "payBills"
    assert (extensions["cost"], extensions["budget"]) == (2000, 100)
    assert recorded_calls(sandbox_url) == []


def test_a_query_over_the_records_budget_names_the_figure_and_calls_nothing(
    sandbox_url: str,
) -> None:
    # given: a budget of 1,000 records
    settings = gateway_settings(sandbox_url, GATEWAY_MAX_RECORDS="1000")
    query = "{ companies(first: 5) { nodes { bills(first: 300) { nodes { codatId } } } } }"
    with running(create_app(settings)) as gateway:
        clear_calls(sandbox_url)
        # when
        body = httpx.post(f"{gateway.url}/graphql", json={"query": query}, timeout=30).json()
    # then
    extensions = body["errors"][0]["extensions"]
    assert extensions["code"] == "QUERY_TOO_COSTLY"
    assert extensions["measure"] == "records"
    assert extensions["cost"] >= 1500
    assert extensions["budget"] == 1000
    assert recorded_calls(sandbox_url) == []


# --- work stops when nobody waits ---------------------------------------------------------------

SLOW_QUERY = """
{ companies(first: 5) { nodes { bills(first: 20) { nodes {
    supplier { supplierName } billPayments { totalAmount } } } } } }
"""


def _codat_calls_after(sandbox_url: str, moment: float) -> list[str]:
    return [c.path for c in recorded_calls(sandbox_url) if c.start > moment]


def test_a_client_that_disconnects_mid_query_stops_its_upstream_calls_within_a_second(
    sandbox_url: str,
) -> None:
    # given: every Codat call takes 1.5 s
    httpx.put(f"{sandbox_url}/_sandbox/latency", json={"ms": 1500}, timeout=10)
    app = create_app(gateway_settings(sandbox_url, RESPONSE_CACHE="false"))
    with running(app) as gateway:
        clear_calls(sandbox_url)
        # when: the client gives up after the first level started
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{gateway.url}/graphql", json={"query": SLOW_QUERY}, timeout=2.0)
        gone = time.time()
        started = len(recorded_calls(sandbox_url))
        time.sleep(1.0)
        cache = app.state.services.upstream.cache
        inflight_after_a_second = cache.inflight()
        time.sleep(2.5)  # long enough for a next level to have started, had the work gone on
        later = _codat_calls_after(sandbox_url, gone + 1.0)
    # then: in-flight fetches were cancelled, and nothing new reached Codat
    assert started >= 1
    assert inflight_after_a_second == 0
    assert cache.stats.cancelled >= 1
    assert later == []


async def test_a_websocket_that_closes_mid_query_stops_its_upstream_calls(
    sandbox_url: str,
) -> None:
    from websockets.asyncio.client import connect

    async with httpx.AsyncClient() as client:
        await client.put(f"{sandbox_url}/_sandbox/latency", json={"ms": 1500}, timeout=10)
    app = create_app(gateway_settings(sandbox_url, RESPONSE_CACHE="false"))
    with running(app) as gateway:
        clear_calls(sandbox_url)
        url = gateway.url.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            await socket.send(orjson.dumps({"type": "connection_init"}).decode())
            await socket.recv()
            message = {"id": "1", "type": "subscribe", "payload": {"query": SLOW_QUERY}}
            await socket.send(orjson.dumps(message).decode())
            await asyncio.sleep(0.5)
        gone = time.time()
        await asyncio.sleep(1.0)
        inflight_after_a_second = app.state.services.upstream.cache.inflight()
        await asyncio.sleep(2.5)
        later = _codat_calls_after(sandbox_url, gone + 1.0)
    assert inflight_after_a_second == 0
    assert later == []


def test_a_shared_fetch_goes_on_while_one_waiter_remains(sandbox_url: str) -> None:
    # given: two clients asking the same thing; one leaves
    httpx.put(f"{sandbox_url}/_sandbox/latency", json={"ms": 800}, timeout=10)
    app = create_app(gateway_settings(sandbox_url, RESPONSE_CACHE="false"))
    query = "{ companies(first: 2) { nodes { name } } }"
    with running(app) as gateway:
        result: dict[str, Any] = {}

        def patient() -> None:
            response = httpx.post(f"{gateway.url}/graphql", json={"query": query}, timeout=10)
            result["body"] = response.json()

        thread = threading.Thread(target=patient)
        thread.start()
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{gateway.url}/graphql", json={"query": query}, timeout=0.3)
        thread.join(timeout=10)
    # then: the one still waiting got its answer
    assert "errors" not in result["body"], result["body"]
    assert len(result["body"]["data"]["companies"]["nodes"]) == 2


# --- bounded stores -------------------------------------------------------------------------------


def apq(url: str, query: str) -> httpx.Response:
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    return httpx.post(f"{url}/graphql", json={"query": query, "extensions": extensions}, timeout=30)


def test_apq_refuses_large_documents_and_its_store_stays_within_its_bytes(
    sandbox_url: str,
) -> None:
    # given: the persisted-query store may hold 200 KB; a document at most 64 KB, held in the
    # process (a blank REDIS_URL: not Redis, whatever the environment running the tests says)
    env = {
        "REDIS_URL": "",
        "CODAT_API_KEY": SANDBOX_API_KEY,
        "CODAT_BASE_URL": sandbox_url,
        "GATEWAY_AUTH": "off",
        "PERSISTED_QUERIES_MAX_BYTES": str(200 * 1024),
        "GATEWAY_MAX_TOKENS": "100000",
        "GATEWAY_MAX_DOCUMENT_BYTES": "2000000",
    }
    with server(["serve"], env, "/healthz") as process:
        rss_before = rss_bytes(process.pid)
        # when: 200 registrations of 0.9 MB documents
        large = [
            apq(process.url, "{ __typename }" + f" # {i} " + "x" * 900_000) for i in range(200)
        ]
        rss_after_large = rss_bytes(process.pid)
        # and 100 registrations of 40 KB documents (each allowed, together over the bound)
        small = [apq(process.url, "{ __typename }" + f" # {i} " + "y" * 40_000) for i in range(100)]
        metrics = httpx.get(f"{process.url}/metrics", timeout=10).text
        pid = process.pid
        rss_after = rss_bytes(pid)
    # then
    assert {r.json()["errors"][0]["extensions"]["code"] for r in large} == {
        "PERSISTED_QUERY_TOO_LARGE"
    }
    assert all(r.status_code == 200 and "errors" not in r.json() for r in small)
    held = metric(metrics, "gateway_bounded_bytes", holder="persisted")
    assert 150 * 1024 < held <= 200 * 1024
    assert metric(metrics, "gateway_bounded_max_bytes", holder="persisted") == 200 * 1024
    assert metric(metrics, "gateway_bounded_entries", holder="persisted") <= 5
    # the process did not keep the documents (540 MB before the bound); allow for allocator noise
    assert rss_after_large - rss_before < 100 * 1024 * 1024
    assert rss_after - rss_before < 120 * 1024 * 1024


def test_metrics_report_every_bounded_holder(gateway_url: str) -> None:
    httpx.post(
        f"{gateway_url}/graphql", json={"query": "{ companies(first: 1) { nodes { name } } }"}
    )
    text = httpx.get(f"{gateway_url}/metrics", timeout=10).text
    for holder in ("upstream", "response", "persisted", "store"):
        assert metric(text, "gateway_bounded_max_bytes", holder=holder) > 0, holder
        assert metric(text, "gateway_bounded_max_entries", holder=holder) > 0, holder
    assert metric(text, "gateway_bounded_bytes", holder="upstream") > 0
    assert metric(text, "gateway_bounded_entries", holder="upstream") > 0
