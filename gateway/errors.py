"""The gateway's own error tree (the Codat client has its own: `gateway/codat/errors.py`).

    GatewayError
    ├── ConfigError                  a setting is missing or malformed (names the variable)
    └── NoLinkedConnectionError      a company has no linked connection to reach its software

Each layer raises its own; `schema/errors.py` is the one place that turns them (and Codat's)
into GraphQL `extensions.code`.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class NoLinkedConnectionError(GatewayError):
    """Reads and writes that go through a connection need a linked one; the company has none."""

    def __init__(self, company_id: str) -> None:
        super().__init__(
            f"company {company_id} has no linked connection to its accounting software"
        )
        self.company_id = company_id


class ConfigError(GatewayError):
    """A setting is missing or malformed; the message names the environment variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem
