"""The `gateway` command as a user runs it: its path, its environment, waiting until it serves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

GATEWAY = str(Path(sys.executable).parent / "gateway")


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GATEWAY, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def on_built_in_sandbox(port: int, sandbox_port: int, **env: str) -> dict[str, str]:
    """`gateway serve`'s environment on `port` with no Codat key: its own sandbox on
    `sandbox_port`."""
    return {
        **os.environ,
        "GATEWAY_PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "CODAT_API_KEY": "",
        **env,
    }


def wait_until_serving(process: subprocess.Popen[Any], health_url: str) -> None:
    """Return once `health_url` answers; fail if the process exits or 30 s pass first."""
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, "the server exited early"
        try:
            httpx.get(health_url, timeout=1)
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
