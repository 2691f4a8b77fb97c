"""Fixtures of the e2e tests: the abuse suite's tenants, JWKS server and secured gateway."""

from tests.e2e.abuse import gateway, jwks_url, tenants

__all__ = ["gateway", "jwks_url", "tenants"]
