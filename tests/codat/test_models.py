"""Payload models: exact money, tolerant enums, zone-less dates, and write bodies."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from gateway.codat import ClientConfig, RetryPolicy
from gateway.codat.models import (
    Bill,
    BillInput,
    BillLineItem,
    BillPushOperation,
    BillStatus,
    ConnectionStatus,
    DataStatus,
    DataType,
    PushOperationStatus,
    Supplier,
    SupplierInput,
    SupplierRef,
    SupplierStatus,
    TrackingCategoryTree,
)

BILL = b"""{
  "id": "b-1", "issueDate": "2023-01-01T00:00:00", "status": "Open",
  "subTotal": 0.1, "taxAmount": 0.2, "totalAmount": 123456789012345.123456789,
  "amountDue": 0.30, "supplierRef": {"id": "s-1", "supplierName": "Acme"},
  "metadata": {"isDeleted": false}, "somethingNew": {"nested": 1}
}"""


def test_money_parses_to_exact_decimals() -> None:
    bill = Bill.from_json(BILL)
    assert bill.total_amount == Decimal("123456789012345.123456789")
    assert bill.sub_total + bill.tax_amount == Decimal("0.3")
    assert bill.amount_due == Decimal("0.30")


def test_dates_are_kept_exactly_as_codat_sent_them() -> None:
    assert Bill.from_json(BILL).issue_date == "2023-01-01T00:00:00"


def test_unknown_fields_are_ignored_and_models_are_frozen() -> None:
    bill = Bill.from_json(BILL)
    assert not hasattr(bill, "something_new")
    with pytest.raises(ValidationError):
        bill.status = BillStatus.Paid  # type: ignore[misc]


def test_unknown_enum_values_fall_back_to_unknown() -> None:
    bill = Bill.from_json(BILL.replace(b'"Open"', b'"Refunded"'))
    assert bill.status is BillStatus.Unknown
    assert PushOperationStatus("Exploded") is PushOperationStatus.Unknown
    assert ConnectionStatus("Sleeping") is ConnectionStatus.Unknown
    assert DataStatus.model_validate({"dataType": "new-thing"}).data_type is DataType.UNKNOWN


def test_fields_are_snake_case_and_accept_either_name() -> None:
    supplier = Supplier(id="s", status=SupplierStatus.Active, supplier_name="Acme")
    assert (
        Supplier.model_validate({"id": "s", "status": "Active", "supplierName": "Acme"}) == supplier
    )


def test_tracking_category_tree_nests() -> None:
    tree = TrackingCategoryTree.model_validate(
        {"id": "1", "hasChildren": True, "subCategories": [{"id": "2", "status": "Active"}]}
    )
    assert tree.sub_categories is not None
    assert tree.sub_categories[0].id == "2"


def test_write_bodies_use_aliases_omit_nulls_and_send_decimals_as_numbers() -> None:
    bill = BillInput(
        supplier_ref=SupplierRef(id="s-1"),
        issue_date="2023-06-01",
        status=BillStatus.Open,
        sub_total=Decimal("100.10"),
        tax_amount=Decimal("20.02"),
        total_amount=Decimal("120.12"),
        line_items=(BillLineItem(unit_amount=Decimal("100.10"), quantity=Decimal(1)),),
    )
    text = bill.to_json().decode()
    assert '"totalAmount":120.12' in text
    assert "null" not in text
    decoded = json.loads(text, parse_float=Decimal)
    assert decoded["supplierRef"] == {"id": "s-1"}
    assert decoded["lineItems"] == [{"unitAmount": Decimal("100.10"), "quantity": 1}]
    assert decoded["status"] == "Open"


def test_write_bodies_refuse_misspelt_fields() -> None:
    with pytest.raises(ValidationError):
        SupplierInput(status=SupplierStatus.Active, supplier_nmae="x")  # type: ignore[call-arg]


def test_a_pushed_records_incomplete_echo_does_not_break_the_push_operation() -> None:
    operation = BillPushOperation.model_validate(
        {
            "companyId": "c",
            "pushOperationKey": "k",
            "dataConnectionKey": "d",
            "requestedOnUtc": "2023-01-01T00:00:00Z",
            "status": "Pending",
            "statusCode": 202,
            "data": {"issueDate": "2023-01-01"},
        }
    )
    assert operation.status is PushOperationStatus.Pending
    assert operation.data is None


def test_config_repr_is_readable_and_hides_the_api_key() -> None:
    config = ClientConfig(api_key="super-secret", retry=RetryPolicy(max_attempts=2))
    text = repr(config)
    assert "super-secret" not in text
    assert "base_url='https://api.codat.io'" in text
    assert "RetryPolicy(max_attempts=2" in text
    with pytest.raises(TypeError):
        ClientConfig("positional")  # type: ignore[call-arg]
