"""Codat's ErrorMessage body and the exception that produces it."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.jsonio import JSONResponse

MALFORMED_QUERY = "Error parsing query - Malformed query."
NOT_REQUESTED = "The data set has not been requested."
STILL_SYNCING = "The data set is still syncing and has not completed a first successful sync."


def correlation_id() -> str:
    """A fresh correlation id in Codat's style (32 lowercase hex characters)."""
    return secrets.token_hex(16)


def error_body(status: int, error: str, service: str = "PublicApi") -> dict[str, Any]:
    """Codat's ErrorMessage body (canBeRetried is the string "Unknown", as in the spec)."""
    return {
        "statusCode": status,
        "service": service,
        "error": error,
        "correlationId": correlation_id(),
        "canBeRetried": "Unknown",
        "detailedErrorCode": 0,
    }


def error_response(
    status: int, error: str, service: str = "PublicApi", headers: dict[str, str] | None = None
) -> JSONResponse:
    """An ErrorMessage JSON response."""
    return JSONResponse(error_body(status, error, service), status_code=status, headers=headers)


class CodatError(Exception):
    """Raised by handlers; turned into an ErrorMessage response with this status."""

    def __init__(self, status: int, error: str, service: str = "PublicApi") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.service = service

    def response(self) -> JSONResponse:
        return error_response(self.status, self.error, self.service)


def malformed_query() -> CodatError:
    return CodatError(400, MALFORMED_QUERY)


def company_not_found(company_id: str) -> CodatError:
    return CodatError(404, f"No company was found with ID {company_id}", "ClientsApi")


def connection_not_found(connection_id: str) -> CodatError:
    return CodatError(404, f"Data connection {connection_id} not found")


def record_not_found(data_type: str, record_id: str) -> CodatError:
    return CodatError(404, f"No data available for {data_type} for ID {record_id}")
