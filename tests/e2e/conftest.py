"""Fixtures of the e2e tests: the abuse suite's tenants, JWKS server and secured gateway, and a
gateway that pays bills."""

from collections.abc import Iterator

import pytest

from gateway.app import create_app
from tests.e2e.abuse import gateway, jwks_url, tenants
from tests.e2e.paying import Payable, hearing_webhooks, payables, writing_settings

__all__ = ["gateway", "jwks_url", "paying_gateway", "target", "tenants"]


@pytest.fixture
def paying_gateway(sandbox_url: str) -> Iterator[str]:
    with hearing_webhooks(sandbox_url, create_app(writing_settings(sandbox_url))) as url:
        yield url


@pytest.fixture
def target(sandbox_url: str) -> Payable:
    """The first payable bill of the sandbox (an open bill with a bank account in its currency)."""
    return payables(sandbox_url)[0]
