"""Filter and order inputs become exactly the Codat query strings they promise, or are refused."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from gateway.codat.query import MAX_QUERY_LENGTH, where
from schema.enums import AccountStatus, AccountType, BillStatus, OrderDirection, SupplierStatus
from schema.errors import UserInputError
from schema.filters import (
    AccountFilter,
    BankAccountFilter,
    BillCreditNoteFilter,
    BillFilter,
    BillPaymentFilter,
    DateRange,
    SupplierFilter,
    list_query,
)
from schema.ordering import (
    BillOrder,
    BillOrderField,
    SupplierOrder,
    SupplierOrderField,
    order_param,
)

NOT_DELETED = "metadata.isDeleted!=true"


def test_no_filter_still_excludes_deleted_records() -> None:
    assert list_query(BillFilter(), None) == NOT_DELETED


def test_include_deleted_sends_no_query_at_all() -> None:
    assert list_query(BillFilter(include_deleted=True), None) is None


def test_bill_statuses_are_an_or_group_in_braces() -> None:
    # given
    bills = BillFilter(status=[BillStatus.Open, BillStatus.PartiallyPaid])

    # when
    query = list_query(bills, None)

    # then
    assert query == f"{{status=Open||status=PartiallyPaid}}&&{NOT_DELETED}"


def test_a_single_status_needs_no_braces() -> None:
    assert list_query(BillFilter(status=[BillStatus.Paid]), None) == f"status=Paid&&{NOT_DELETED}"


def test_every_bill_condition_is_anded_in_a_fixed_order() -> None:
    # given
    bills = BillFilter(
        status=[BillStatus.Open],
        supplier_id="61",
        currency="GBP",
        due_date=DateRange(from_=date(2023, 6, 1), to=date(2023, 6, 30)),
        issue_date=DateRange(to=date(2023, 5, 31)),
        has_amount_due=True,
        modified_since=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )

    # when
    query = list_query(bills, None)

    # then
    assert query == (
        "status=Open&&supplierRef.id=61&&currency=GBP"
        "&&dueDate>=2023-06-01&&dueDate<=2023-06-30&&issueDate<=2023-05-31"
        "&&amountDue>0&&modifiedDate>=2024-01-02T03:04:05.000Z&&metadata.isDeleted!=true"
    )


def test_no_amount_due_is_amount_due_at_most_zero() -> None:
    bills = BillFilter(has_amount_due=False, include_deleted=True)
    assert list_query(bills, None) == "amountDue<=0"


def test_a_zone_less_modified_since_stays_zone_less() -> None:
    bills = BillFilter(modified_since=datetime(2024, 1, 2, 3, 4, 5), include_deleted=True)
    assert list_query(bills, None) == "modifiedDate>=2024-01-02T03:04:05"


def test_supplier_filter_by_status_and_name() -> None:
    suppliers = SupplierFilter(status=[SupplierStatus.Active], name_contains="Acme Ltd")
    assert list_query(suppliers, None) == f"status=Active&&supplierName~Acme Ltd&&{NOT_DELETED}"


def test_account_filter_by_bank_flag_status_and_type() -> None:
    # given
    accounts = AccountFilter(
        is_bank_account=False,
        status=[AccountStatus.Active, AccountStatus.Pending],
        type=[AccountType.Expense],
    )

    # when
    query = list_query(accounts, None)

    # then
    assert query == (
        f"isBankAccount=false&&{{status=Active||status=Pending}}&&type=Expense&&{NOT_DELETED}"
    )


def test_bank_accounts_always_ask_for_the_bank_flag() -> None:
    assert list_query(BankAccountFilter(), None) == f"isBankAccount=true&&{NOT_DELETED}"


def test_credit_notes_and_payments_by_supplier_and_date() -> None:
    # given
    notes = BillCreditNoteFilter(supplier_id="s-1", issue_date=DateRange(from_=date(2024, 2, 1)))
    payments = BillPaymentFilter(supplier_id="s-1", date=DateRange(to=date(2024, 3, 1)))

    # then
    assert list_query(notes, None) == f"supplierRef.id=s-1&&issueDate>=2024-02-01&&{NOT_DELETED}"
    assert list_query(payments, None) == f"supplierRef.id=s-1&&date<=2024-03-01&&{NOT_DELETED}"


def test_fixed_clauses_come_first() -> None:
    query = list_query(BillFilter(), None, where("supplierRef.id").eq("42"))
    assert query == f"supplierRef.id=42&&{NOT_DELETED}"


def test_a_raw_or_query_is_anded_with_the_filter_in_braces() -> None:
    query = list_query(BillFilter(currency="USD"), "totalAmount>100 || totalAmount<50")
    assert query == f"currency=USD&&{NOT_DELETED}&&{{totalAmount>100||totalAmount<50}}"


def test_a_raw_query_alone_is_sent_as_written() -> None:
    assert list_query(None, "status=Open") == "status=Open"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("status=Open||", "ends where a clause"),
        ("{status=Open", "unbalanced braces"),
        ("status=Open&&total>1||total<0", "needs braces"),
        ("status", "is not a clause"),
        ("   ", "empty"),
    ],
)
def test_a_malformed_raw_query_is_refused_naming_the_argument(raw: str, problem: str) -> None:
    with pytest.raises(UserInputError, match=problem) as refused:
        list_query(BillFilter(), raw)
    assert str(refused.value).startswith("query: ")


def test_a_raw_query_at_codats_length_limit_is_refused() -> None:
    raw = "reference=" + "x" * MAX_QUERY_LENGTH
    with pytest.raises(UserInputError, match=r"^query: "):
        list_query(None, raw)


def test_a_filter_and_query_too_long_together_are_refused() -> None:
    raw = "reference=" + "x" * (MAX_QUERY_LENGTH - 60)
    with pytest.raises(UserInputError, match="too long for Codat"):
        list_query(BillFilter(currency="GBP"), raw)


@pytest.mark.parametrize(
    ("bills", "argument"),
    [
        (BillFilter(supplier_id="a&&b"), "filter.supplierId"),
        (BillFilter(supplier_id=""), "filter.supplierId"),
        (BillFilter(currency="usd"), "filter.currency"),
        (BillFilter(status=[]), "filter.status"),
        (
            BillFilter(due_date=DateRange(from_=date(2024, 2, 1), to=date(2024, 1, 1))),
            "filter.dueDate",
        ),
    ],
)
def test_an_inexpressible_filter_is_refused_naming_the_field(
    bills: BillFilter, argument: str
) -> None:
    with pytest.raises(UserInputError, match=f"^{re.escape(argument)}: "):
        list_query(bills, None)


def test_a_name_with_a_brace_cannot_be_searched() -> None:
    with pytest.raises(UserInputError, match=r"^filter\.nameContains: "):
        list_query(SupplierFilter(name_contains="Acme {UK}"), None)


def test_order_is_the_field_with_a_minus_for_descending() -> None:
    assert order_param(None) is None
    assert order_param(BillOrder(field=BillOrderField.DUE_DATE)) == "dueDate"
    descending = BillOrder(field=BillOrderField.ISSUE_DATE, direction=OrderDirection.DESC)
    assert order_param(descending) == "-issueDate"
    by_name = SupplierOrder(field=SupplierOrderField.SUPPLIER_NAME, direction=OrderDirection.DESC)
    assert order_param(by_name) == "-supplierName"
