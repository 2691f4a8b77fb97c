"""Graceful shutdown of `gateway serve`: SIGTERM drains the requests in flight, then exits 0."""

from __future__ import annotations

import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bench.common import free_port
from tests.gateway.commands import GATEWAY, on_built_in_sandbox, wait_until_serving

pytestmark = pytest.mark.e2e  # runs the gateway as a subprocess

QUERY = "query Names { companies(first: 2) { nodes { name } } }"


def test_sigterm_lets_a_slow_request_finish_and_exits_zero() -> None:
    # given: the gateway on its built-in sandbox, which answers Codat calls after 1.5 s
    port, sandbox_port = free_port(), free_port()
    env = on_built_in_sandbox(port, sandbox_port, LOG_FORMAT="json")
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [GATEWAY, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until_serving(process, f"{url}/healthz")
        latency = {"ms": 1500}
        httpx.put(f"http://127.0.0.1:{sandbox_port}/_sandbox/latency", json=latency, timeout=5)
        with ThreadPoolExecutor(max_workers=1) as pool:
            slow = pool.submit(httpx.post, f"{url}/graphql", json={"query": QUERY}, timeout=30)
            time.sleep(0.5)  # the request is waiting on Codat
            # when
            process.send_signal(signal.SIGTERM)
            response = slow.result()
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # then
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert len(body["data"]["companies"]["nodes"]) == 2
    assert process.returncode == 0, stderr
