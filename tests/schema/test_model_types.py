"""GraphQL types built from Codat models: fields copied by name, converted where declared."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.codat import models
from gateway.codat.types import CompanyId
from schema.types.bills import Bill
from schema.types.common import Tracking
from schema.types.connection_data import ConnectionBankAccount
from schema.types.lines import BillLineItem

pytestmark = pytest.mark.unit

COMPANY = CompanyId("c1")


def test_a_shape_copies_its_model_and_builds_nested_shapes() -> None:
    # given
    model = models.Tracking.model_validate(
        {"categoryRefs": [{"id": "t1", "name": "North"}], "customerRef": None}
    )

    # when
    tracking = Tracking.from_model(model)

    # then
    assert [(ref.id, ref.name) for ref in tracking.category_refs] == [("t1", "North")]
    assert tracking.customer_ref is None
    assert tracking.is_billed_to is model.is_billed_to


def test_a_shape_of_a_company_holds_the_company_and_its_model() -> None:
    # given
    model = models.BillLineItem.model_validate(
        {"unitAmount": "2.5", "quantity": "2", "accountRef": {"id": "a1", "name": "Rent"}}
    )

    # when
    line = BillLineItem.from_model(COMPANY, model)

    # then
    assert (line.company_id, line.model) == (COMPANY, model)
    assert line.unit_amount == Decimal("2.5")
    assert line.account_ref is not None
    assert line.account_ref.name == "Rent"
    assert line.tracking is None


def test_a_record_has_a_global_id_and_is_built_once_per_model() -> None:
    # given
    model = models.Bill.model_validate(
        {
            "id": "b1",
            "issueDate": "2024-01-01T00:00:00",
            "status": "Open",
            "subTotal": "1",
            "taxAmount": "0",
            "totalAmount": "1",
            "lineItems": [{"unitAmount": "1", "quantity": "1"}],
            "supplementalData": {"content": {"k": "v"}},
        }
    )

    # when
    bill = Bill.from_model(COMPANY, model)

    # then
    assert (bill.node_id, bill.codat_id, bill.company_id) == ("c1:b1", "b1", COMPANY)
    assert bill.line_items is not None
    assert bill.line_items[0].company_id == COMPANY
    supplemental: object = bill.supplemental_data
    assert supplemental == {"k": "v"}
    assert bill.metadata is None
    assert Bill.from_model(COMPANY, model) is bill


def test_given_fields_stand_in_for_the_models_own() -> None:
    # given
    model = models.BankAccount.model_validate({"id": "ba1", "iBan": "GB00", "accountType": "Debit"})

    # when
    account = ConnectionBankAccount.from_model(model)

    # then
    assert (account.codat_id, account.iban) == ("ba1", "GB00")
