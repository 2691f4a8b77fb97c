"""The operation deadline on real servers: a slow walk is cut off, the rest still answers."""

from __future__ import annotations

import time

import httpx
import pytest

from gateway.app import client_config, create_app
from gateway.errors import ConfigError
from gateway.settings import Settings
from tests.conftest import gateway_settings
from tests.servers import running

# `status` is not on the line's taxRateRef, so the tax rates are walked (not read from the ref).
QUERY = """
{
  companies(first: 3) {
    nodes {
      name
      bills(first: 3) { nodes { reference lineItems { description taxRate { name status } } } }
    }
  }
}
"""

DEADLINE_SECONDS = 0.5
SLOW_MS = 4000


def test_a_walk_slower_than_the_deadline_answers_with_the_rest_and_a_coded_error(
    sandbox_url: str,
) -> None:
    # Tax rates (a whole reference set, read by walking its pages) take 4 s; the deadline is 0.5 s.
    httpx.put(
        f"{sandbox_url}/_sandbox/latency",
        json={"ms": SLOW_MS, "jitterMs": 0, "pathPattern": "/data/taxRates"},
        timeout=5,
    ).raise_for_status()
    settings = gateway_settings(sandbox_url, CODAT_WALK_DEADLINE_SECONDS=str(DEADLINE_SECONDS))
    try:
        with running(create_app(settings)) as gateway:
            started = time.monotonic()
            response = httpx.post(f"{gateway.url}/graphql", json={"query": QUERY}, timeout=30)
            elapsed = time.monotonic() - started
    finally:
        httpx.delete(f"{sandbox_url}/_sandbox/latency", timeout=5)

    assert response.status_code == 200
    body = response.json()
    assert elapsed < DEADLINE_SECONDS + 2.0, elapsed  # not the 4 s the tax rates would take
    late = [e for e in body["errors"] if e["extensions"]["code"] == "UPSTREAM_DEADLINE_EXCEEDED"]
    assert late, body["errors"]
    assert all(e["path"][-1] == "taxRate" for e in late)
    assert late[0]["extensions"]["dataType"] == "taxRates"
    assert late[0]["extensions"]["deadlineSeconds"] == DEADLINE_SECONDS
    # The rest of the response stands: companies, bills and line items are there.
    names = [c["name"] for c in body["data"]["companies"]["nodes"] if c]
    assert names
    lines = [
        line
        for company in body["data"]["companies"]["nodes"]
        if company and company["bills"]
        for bill in company["bills"]["nodes"]
        for line in bill["lineItems"] or []
    ]
    assert lines
    assert all(line["description"] is not None for line in lines)


def test_the_walk_settings_reach_the_client_and_refuse_nonsense() -> None:
    settings = Settings.from_env(
        {"CODAT_MAX_PAGES_PER_LIST": "7", "CODAT_WALK_DEADLINE_SECONDS": "2.5"}
    ).pointed_at("http://127.0.0.1:1", "k")
    walks = client_config(settings).walks
    assert (walks.max_pages, walks.deadline_seconds) == (7, 2.5)
    defaults = client_config(Settings().pointed_at("http://127.0.0.1:1", "k")).walks
    assert (defaults.max_pages, defaults.deadline_seconds) == (50, 30.0)
    for name, value in [
        ("CODAT_MAX_PAGES_PER_LIST", "0"),
        ("CODAT_MAX_PAGES_PER_LIST", "many"),
        ("CODAT_WALK_DEADLINE_SECONDS", "-1"),
    ]:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value})
