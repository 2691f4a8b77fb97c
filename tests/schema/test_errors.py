"""Gateway errors reach clients as GraphQL errors with a code, Codat's fields, and no leaks."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from gateway.codat.errors import (
    CodatDataNotReady,
    CodatError,
    CodatNotFound,
    CodatQueryError,
    CodatRateLimited,
    CodatTransportError,
    CodatUnauthorized,
    CodatUnavailable,
)
from gateway.reads.pagination import CursorError
from schema.errors import INTERNAL_MESSAGE, NotFoundError, UserInputError, to_graphql_error

URL = "https://api.codat.io/companies/c-1/data/bills"


def _raised(error: Exception) -> GraphQLError:
    return to_graphql_error(
        GraphQLError(str(error), path=["company", "bills"], original_error=error)
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UserInputError("first must be between 0 and 500"), "BAD_USER_INPUT"),
        (CursorError("invalid cursor 'x'"), "BAD_USER_INPUT"),
        (CodatQueryError("the query is empty"), "BAD_USER_INPUT"),
        (NotFoundError("no company with id c-1"), "NOT_FOUND"),
        (CodatNotFound("gone", status_code=404, method="GET", url=URL), "NOT_FOUND"),
        (CodatUnavailable("down", status_code=503, method="GET", url=URL), "UPSTREAM_UNAVAILABLE"),
        (CodatTransportError("timed out", method="GET", url=URL), "UPSTREAM_UNAVAILABLE"),
    ],
)
def test_each_error_gets_its_code(error: Exception, code: str) -> None:
    assert (_raised(error).extensions or {})["code"] == code


def test_rate_limits_carry_retry_after_and_the_correlation_id() -> None:
    # given
    error = CodatRateLimited(
        "slow down",
        status_code=429,
        method="GET",
        url=URL,
        correlation_id="corr-1",
        retry_after=12.0,
        company_id="c-1",
    )

    # when
    mapped = _raised(error)

    # then
    assert mapped.extensions == {
        "code": "UPSTREAM_RATE_LIMITED",
        "retryAfter": 12.0,
        "correlationId": "corr-1",
        "companyId": "c-1",
    }
    assert mapped.path == ["company", "bills"]


def test_data_not_ready_names_the_data_type() -> None:
    error = CodatDataNotReady(
        "The data set has not been requested.",
        status_code=409,
        method="GET",
        url=URL,
        data_type="bills",
    )
    mapped = _raised(error)
    assert mapped.extensions == {"code": "DATA_NOT_READY", "dataType": "bills"}
    assert "bills" in mapped.message


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("secret internals at /srv/app.py"),
        CodatUnauthorized("bad key abc123", status_code=401, method="GET", url=URL),
        CodatError("something odd"),
    ],
)
def test_unexpected_errors_are_masked(error: Exception) -> None:
    mapped = _raised(error)
    assert mapped.message == INTERNAL_MESSAGE
    assert (mapped.extensions or {})["code"] == "INTERNAL_SERVER_ERROR"


def test_an_error_that_already_has_a_code_is_kept() -> None:
    error = GraphQLError("custom", extensions={"code": "FORBIDDEN"})
    assert to_graphql_error(error) is error
