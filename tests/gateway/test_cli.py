"""The `gateway` command as a user runs it: real subprocesses on 127.0.0.1."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from bench.common import free_port
from tests.gateway.commands import GATEWAY, on_built_in_sandbox, run_cli, wait_until_serving
from tests.gateway.test_settings import SECRET_WORDS, SECRETS

pytestmark = pytest.mark.e2e  # runs the gateway as a subprocess


@contextmanager
def serving(args: list[str], env: dict[str, str], health_url: str) -> Iterator[list[str]]:
    """Run the command until the block ends; yields its stderr lines once it ended."""
    process = subprocess.Popen(
        [GATEWAY, *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        wait_until_serving(process, health_url)
        yield lines
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        lines.extend(stderr.splitlines())
    assert process.returncode == 0


def test_check_config_prints_settings_with_the_key_masked() -> None:
    # (with client keys: GATEWAY_AUTH is on with a Codat key, and check-config refuses a
    # gateway no client could use, tests/gateway/test_startup.py)
    keys = '[{"name": "ops", "sha256": "' + "0" * 64 + '", "companies": "*"}]'
    result = run_cli("check-config", CODAT_API_KEY="do-not-print-me", GATEWAY_API_KEYS=keys)
    assert result.returncode == 0, result.stderr
    assert "do-not-print-me" not in result.stdout + result.stderr
    assert "codat_base_url" in result.stdout
    assert "https://api.codat.io" in result.stdout


def test_a_malformed_setting_is_a_one_line_error_naming_the_variable() -> None:
    result = run_cli("check-config", CODAT_TIMEOUT_SECONDS="soon")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: CODAT_TIMEOUT_SECONDS:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_without_a_key_runs_the_gateway_on_the_built_in_sandbox() -> None:
    # given
    port, sandbox_port = free_port(), free_port()
    env = on_built_in_sandbox(port, sandbox_port, LOG_FORMAT="text")
    url = f"http://127.0.0.1:{port}"
    # when
    with serving(["serve"], env, f"{url}/healthz") as logs:
        body = httpx.post(
            f"{url}/graphql",
            json={"query": "{ companies(first: 2) { totalCount nodes { name } } }"},
            timeout=30,
        ).json()
        graphiql = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}, timeout=10)
    # then
    assert "errors" not in body
    assert body["data"]["companies"]["totalCount"] >= 2
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    assert any("built-in Codat sandbox" in line for line in logs)


def test_sandbox_command_accepts_only_its_key_when_given_one() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(["sandbox", "--port", str(port), "--api-key", "k1"], {}, f"{url}/_sandbox/seed"):
        right = base64.b64encode(b"k1").decode()
        wrong = base64.b64encode(b"k2").decode()
        ok = httpx.get(f"{url}/companies", headers={"Authorization": f"Basic {right}"})
        refused = httpx.get(f"{url}/companies", headers={"Authorization": f"Basic {wrong}"})
    assert ok.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["statusCode"] == 401


def test_check_config_prints_no_secret() -> None:
    result = run_cli("check-config", **SECRETS)
    assert result.returncode == 0, result.stderr
    assert "jwt_secret" in result.stdout
    for word in SECRET_WORDS:
        assert word not in result.stdout + result.stderr
