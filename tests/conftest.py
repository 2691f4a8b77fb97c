"""Shared fixtures: the sandbox and the gateway as real servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from sandbox.app import create_app as create_sandbox_app
from sandbox.config import SandboxConfig
from tests.servers import ServerThread, running

SANDBOX_API_KEY = "test-api-key"


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[ServerThread]:
    config = SandboxConfig.small(api_key=SANDBOX_API_KEY)
    with running(create_sandbox_app(config)) as server:
        yield server


@pytest.fixture
def sandbox_url(sandbox_server: ServerThread) -> str:
    """The sandbox's base URL, reset to its seeded state (and an empty request record)."""
    response = httpx.post(f"{sandbox_server.url}/_sandbox/reset", timeout=10)
    response.raise_for_status()
    return sandbox_server.url


def gateway_settings(sandbox_url: str, **environ: str) -> Settings:
    """Settings for a gateway in front of the test sandbox, quick to give up on a failing call."""
    base = {
        "CODAT_MAX_ATTEMPTS": "2",
        "CODAT_RETRY_MAX_ELAPSED_SECONDS": "3",
        # Client authentication has its own tests (tests/e2e/test_abuse_*.py).
        "GATEWAY_AUTH": "off",
        **environ,
    }
    return Settings.from_env(base).pointed_at(sandbox_url, SANDBOX_API_KEY)


@pytest.fixture
def gateway_url(sandbox_url: str) -> Iterator[str]:
    """A fresh gateway (cold cache) as a real server in front of the freshly reset sandbox."""
    with running(create_app(gateway_settings(sandbox_url))) as server:
        yield server.url


SERVER_FIXTURES = frozenset({"sandbox_server", "sandbox_url", "gateway_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test is `unit`, `e2e` (real servers on 127.0.0.1: it uses a server fixture or lives
    in tests/e2e) or `browser` (headless Chromium), so `pytest -m unit` is the fast loop."""
    for item in items:
        path = item.path.as_posix()
        if item.get_closest_marker("browser") is not None or "/tests/browser/" in path:
            item.add_marker(pytest.mark.browser)
        elif (
            item.get_closest_marker("e2e") is not None
            or "/tests/e2e/" in path
            or "/tests/contract_prism/" in path
            or SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.e2e)
        else:
            item.add_marker(pytest.mark.unit)
