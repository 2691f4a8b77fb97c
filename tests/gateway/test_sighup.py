"""`kill -HUP` re-reads the client keys file: a removed key is refused at once, and the process
stays up (SIGHUP's default action would end it)."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bench.common import free_port
from tests.gateway.commands import GATEWAY, on_built_in_sandbox, wait_until_serving

pytestmark = pytest.mark.e2e  # runs the gateway as a subprocess

KEY = "sighup-test-key-0123456789"
QUERY = {"query": "{ companies(first: 1) { nodes { name } } }"}


def _ask(url: str) -> int:
    headers = {"Authorization": f"Bearer {KEY}"}
    return httpx.post(f"{url}/graphql", json=QUERY, headers=headers, timeout=10).status_code


def test_sighup_reloads_the_keys_and_the_gateway_keeps_serving(tmp_path: Path) -> None:
    # given: the gateway on its sandbox, with auth on and its keys in a file
    keys = tmp_path / "keys.json"
    entry = {"name": "ops", "sha256": hashlib.sha256(KEY.encode()).hexdigest(), "companies": "*"}
    keys.write_text(json.dumps([entry]), encoding="utf-8")
    port, sandbox_port = free_port(), free_port()
    env = on_built_in_sandbox(port, sandbox_port, GATEWAY_AUTH="on", GATEWAY_API_KEYS=str(keys))
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [GATEWAY, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_serving(process, f"{url}/healthz")
        assert _ask(url) == 200
        # when: the key is removed from the file and the process gets SIGHUP
        keys.write_text("[]", encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while _ask(url) != 401:
            assert time.monotonic() < deadline, "the key was not dropped"
            time.sleep(0.1)
        # then: still serving
        assert process.poll() is None
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
