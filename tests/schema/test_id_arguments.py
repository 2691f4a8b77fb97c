"""The rule for every id argument (schema/ids.py): the global id a query returned, or Codat's."""

from __future__ import annotations

import pytest
from strawberry.relay import GlobalID

from gateway.codat.types import CompanyId
from schema.errors import UserInputError
from schema.ids import company_id_from_argument, format_node_id, record_id_from_argument

COMPANY = CompanyId("8a210b68-6988-11ed-a1eb-0242ac120002")


def global_id(type_name: str, company: str, record: str) -> str:
    return str(GlobalID(type_name, format_node_id(company, record)))


@pytest.mark.parametrize(
    "codat_id", ["bill-1", "8a210b68-6988-11ed-a1eb-0242ac120002", "1234", "QmlsbA==", "a:b:c"]
)
def test_a_codat_id_is_taken_as_given(codat_id: str) -> None:
    assert record_id_from_argument(codat_id, COMPANY, "Bill") == codat_id


def test_a_global_id_of_the_expected_type_gives_codats_id() -> None:
    given = global_id("Bill", COMPANY, "bill:with:colons")
    assert record_id_from_argument(given, COMPANY, "Bill") == "bill:with:colons"
    account = global_id("BankAccount", COMPANY, "acc-1")
    assert record_id_from_argument(account, COMPANY, "Account", "BankAccount") == "acc-1"


def test_a_global_id_of_another_type_is_refused() -> None:
    with pytest.raises(UserInputError, match="the id of a Supplier, not of a Bill"):
        record_id_from_argument(global_id("Supplier", COMPANY, "s-1"), COMPANY, "Bill")


def test_a_global_id_of_another_companys_record_is_refused() -> None:
    with pytest.raises(UserInputError, match="of company other"):
        record_id_from_argument(global_id("Bill", "other", "b-1"), COMPANY, "Bill")


def test_a_company_by_either_id() -> None:
    assert company_id_from_argument(str(GlobalID("Company", COMPANY))) == COMPANY
    assert company_id_from_argument(COMPANY) == COMPANY
