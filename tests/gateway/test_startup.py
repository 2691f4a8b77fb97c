"""Start-up as a new user meets it, run as subprocesses: a port in use, check-config refusing
what serve would refuse or what lets no client in, numbers with messages naming the variable."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from bench.common import free_port
from tests.gateway.commands import run_cli

pytestmark = pytest.mark.e2e  # runs the gateway as a subprocess

CLEAN = {
    "CODAT_API_KEY": "",
    "GATEWAY_AUTH": "",
    "GATEWAY_API_KEYS": "",
    "GATEWAY_JWT_SECRET": "",
    "GATEWAY_JWKS": "",
    "LOG_FORMAT": "text",
}


@pytest.fixture
def held_port() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        yield holder.getsockname()[1]
    finally:
        holder.close()


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("setting", ["GATEWAY_PORT", "SANDBOX_PORT"])
def test_a_port_in_use_is_one_line_naming_the_setting_and_the_port(
    held_port: int, setting: str
) -> None:
    ports = {"GATEWAY_PORT": str(free_port()), "SANDBOX_PORT": str(free_port())}
    ports[setting] = str(held_port)
    result = run_cli("serve", **CLEAN, **ports)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert f"{setting}={held_port}" in line
    assert "already in use" in line
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"SANDBOX_COMPANIES": "abc"}, "SANDBOX_COMPANIES"),
        ({"GATEWAY_AUTH": "on"}, "GATEWAY_API_KEYS"),
        ({"CODAT_TIMEOUT_SECONDS": "abc"}, "CODAT_TIMEOUT_SECONDS"),
        ({"GATEWAY_PORT": "eighty"}, "GATEWAY_PORT"),
        ({"GATEWAY_RATE_LIMIT_BURST": "1.5"}, "GATEWAY_RATE_LIMIT_BURST"),
    ],
)
def test_check_config_refuses_what_cannot_work_in_one_line(
    environ: dict[str, str], named: str
) -> None:
    result = run_cli("check-config", **{**CLEAN, **environ})
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert named in line
    assert "could not convert" not in line
    assert "invalid literal" not in line


def test_numbers_name_the_expected_form() -> None:
    result = run_cli("check-config", **CLEAN, CODAT_TIMEOUT_SECONDS="abc")
    assert one_line(result.stderr) == (
        "error: CODAT_TIMEOUT_SECONDS: expected a number, e.g. 2.5 (got 'abc')"
    )


def test_check_config_passes_the_default_development_set_up() -> None:
    result = run_cli("check-config", **CLEAN)
    assert result.returncode == 0, result.stderr
    assert "ok: the gateway would serve against the built-in sandbox" in result.stdout
