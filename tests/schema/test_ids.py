"""Node ids carry the company; record ids are opaque (colons allowed); bad ids are user errors."""

from __future__ import annotations

import base64

import pytest
from strawberry.relay import GlobalID

from gateway.codat.types import CompanyId
from schema.errors import UserInputError
from schema.ids import (
    RecordKey,
    company_id_from_argument,
    format_node_id,
    parse_company_node_id,
    parse_global_id,
    parse_node_id,
)

COMPANY = "8a210b68-6988-11ed-a1eb-0242ac120002"


def test_a_record_node_id_is_company_colon_record() -> None:
    assert format_node_id(COMPANY, "bill-1") == f"{COMPANY}:bill-1"


def test_parsing_splits_on_the_first_colon_only() -> None:
    # given
    node_id = format_node_id(COMPANY, "NS:bill:42")

    # when
    key = parse_node_id(node_id)

    # then
    assert key == RecordKey(CompanyId(COMPANY), "NS:bill:42")
    assert key.as_loader_key() == (COMPANY, "NS:bill:42")


@pytest.mark.parametrize("node_id", ["", "no-colon", ":record", f"{COMPANY}:"])
def test_a_node_id_without_both_parts_is_refused(node_id: str) -> None:
    with pytest.raises(UserInputError):
        parse_node_id(node_id)


def test_a_company_node_id_is_the_company_id() -> None:
    assert parse_company_node_id(COMPANY) == COMPANY


@pytest.mark.parametrize("node_id", ["", f"{COMPANY}:extra"])
def test_a_company_node_id_with_a_colon_or_nothing_is_refused(node_id: str) -> None:
    with pytest.raises(UserInputError):
        parse_company_node_id(node_id)


def test_a_global_id_round_trips_through_relay_encoding() -> None:
    # given
    encoded = str(GlobalID("Bill", format_node_id(COMPANY, "a:b")))

    # when
    decoded = parse_global_id(encoded)

    # then
    assert decoded.type_name == "Bill"
    assert parse_node_id(decoded.node_id) == RecordKey(CompanyId(COMPANY), "a:b")


@pytest.mark.parametrize(
    "value",
    [
        "garbage!!",
        base64.b64encode(b"no colon here").decode(),
        base64.b64encode(b":nothing-before").decode(),
        base64.b64encode(b"Bill:").decode(),
    ],
)
def test_a_malformed_global_id_is_refused(value: str) -> None:
    with pytest.raises(UserInputError, match="is not a global id"):
        parse_global_id(value)


def test_a_company_argument_may_be_the_codat_id_or_the_global_id() -> None:
    assert company_id_from_argument(COMPANY) == COMPANY
    assert company_id_from_argument(str(GlobalID("Company", COMPANY))) == COMPANY


def test_a_company_argument_that_is_another_types_global_id_is_refused() -> None:
    with pytest.raises(UserInputError):
        company_id_from_argument(str(GlobalID("Bill", format_node_id(COMPANY, "b"))))
