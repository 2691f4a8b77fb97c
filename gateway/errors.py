"""The gateway's one error tree.

    GatewayError
    ├── ConfigError                  a setting is missing or malformed (names the variable)
    └── CodatError                   anything that went wrong talking to Codat
        ├── CodatTransportError      no usable HTTP response (connect/read failure, timeout)
        └── CodatHTTPError           Codat answered with an error status
            ├── CodatBadRequest          400 (malformed query, bad body)
            ├── CodatUnauthorized        401
            ├── CodatPaymentRequired     402
            ├── CodatForbidden           403
            ├── CodatNotFound            404
            ├── CodatConflict            409 on a write (idempotency key in flight, too many values)
            │   └── CodatDataNotReady        409 on a read: the dataset is not synced yet
            ├── CodatUnprocessable       422 (idempotency key reused with another body)
            ├── CodatRateLimited         429 (carries retry_after)
            └── CodatServerError         5xx
                └── CodatUnavailable         503

`gateway/codat/transport.py` is the one place that turns httpx exceptions and HTTP statuses into
these; `schema/errors.py` is the one place that turns them into GraphQL `extensions.code`.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """A setting is missing or malformed; the message names the environment variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem
