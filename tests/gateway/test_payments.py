"""gateway/writes/payments.py, pure: checks, settlements, payment bodies and document totals."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from gateway.codat.models import Account, Bill, BillStatus
from gateway.codat.models.common import SupplierRef
from gateway.codat.types import CodatDateTime
from gateway.writes.payments import (
    LineDraft,
    WriteErrorCode,
    WriteRefusedError,
    bill_lines,
    build_bill_payment,
    canonical_decimal,
    check_bank_account,
    check_lines,
    check_required,
    line_totals,
    parse_codat_date,
    plan_settlement,
)

DATE = CodatDateTime("2026-11-26T00:00:00")


def bill(
    bill_id: str = "b1",
    *,
    due: str = "100.00",
    status: BillStatus = BillStatus.Open,
    currency: str = "GBP",
    supplier: str = "s1",
) -> Bill:
    return Bill(
        id=bill_id,
        supplier_ref=SupplierRef(id=supplier, supplier_name="Supplier"),
        issue_date=CodatDateTime("2026-11-01T00:00:00"),
        currency=currency,
        status=status,
        sub_total=Decimal(due),
        tax_amount=Decimal(0),
        total_amount=Decimal(due),
        amount_due=Decimal(due),
    )


BANK = Account(id="a1", name="Current", currency="GBP", is_bank_account=True)


def codes(error: WriteRefusedError) -> list[WriteErrorCode]:
    return [issue.code for issue in error.issues]


def test_a_date_may_be_a_day_or_a_date_time_and_nothing_else() -> None:
    assert parse_codat_date("2026-11-26", "date") == "2026-11-26T00:00:00"
    assert parse_codat_date("2026-11-26T10:00:00Z", "date") == "2026-11-26T10:00:00+00:00"
    with pytest.raises(WriteRefusedError) as refused:
        parse_codat_date("26/11/2026", "date")
    assert codes(refused.value) == [WriteErrorCode.INVALID_DATE]
    assert refused.value.issues[0].field == "date"


def test_one_amount_has_one_canonical_text() -> None:
    assert {canonical_decimal(Decimal(v)) for v in ("100", "100.0", "1E2")} == {"100"}
    assert canonical_decimal(Decimal("-0.00")) == "0"


def test_an_unspecified_amount_settles_what_the_bill_owes() -> None:
    settlement = plan_settlement(
        bill(), amount=None, payment_currency="GBP", currency_rate=None, field="billId"
    )
    assert settlement.amount == Decimal("100.00")


@pytest.mark.parametrize(
    ("target", "amount", "currency", "rate", "code"),
    [
        (bill(status=BillStatus.Paid), None, "GBP", None, WriteErrorCode.BILL_NOT_PAYABLE),
        (bill(status=BillStatus.Void), None, "GBP", None, WriteErrorCode.BILL_NOT_PAYABLE),
        (bill(due="0"), None, "GBP", None, WriteErrorCode.BILL_NOT_PAYABLE),
        (bill(), Decimal("100.01"), "GBP", None, WriteErrorCode.AMOUNT_ABOVE_DUE),
        (bill(currency="EUR"), None, "GBP", None, WriteErrorCode.CURRENCY_RATE_REQUIRED),
        (
            bill(currency="EUR"),
            Decimal(100),
            "GBP",
            Decimal("1.2"),
            WriteErrorCode.AMOUNT_ABOVE_DUE,
        ),
    ],
    ids=["paid", "void", "owes nothing", "above due", "no rate", "above due once converted"],
)
def test_a_bill_that_cannot_be_settled_so_is_refused(
    target: Bill, amount: Decimal | None, currency: str, rate: Decimal | None, code: WriteErrorCode
) -> None:
    with pytest.raises(WriteRefusedError) as refused:
        plan_settlement(
            target, amount=amount, payment_currency=currency, currency_rate=rate, field="billId"
        )
    assert codes(refused.value) == [code]


def test_a_payment_of_several_bills_has_one_line_and_a_negative_link_per_bill() -> None:
    settlements = [
        plan_settlement(
            bill("b1", due="60"),
            amount=None,
            payment_currency="GBP",
            currency_rate=None,
            field="b1",
        ),
        plan_settlement(
            bill("b2", due="40"),
            amount=Decimal("15.5"),
            payment_currency="GBP",
            currency_rate=None,
            field="b2",
        ),
    ]
    body = build_bill_payment(settlements, account=BANK, currency="GBP", date=DATE)
    sent = json.loads(body.to_json())
    assert sent["totalAmount"] == 75.5
    (line,) = sent["lines"]
    assert line["amount"] == 75.5
    assert [(link["id"], link["amount"]) for link in line["links"]] == [("b1", -60), ("b2", -15.5)]
    assert line["amount"] + sum(link["amount"] for link in line["links"]) == 0


def test_a_payment_never_mixes_suppliers() -> None:
    settlements = [
        plan_settlement(
            bill("b1", supplier=s),
            amount=None,
            payment_currency="GBP",
            currency_rate=None,
            field="x",
        )
        for s in ("s1", "s2")
    ]
    with pytest.raises(ValueError, match="one supplier"):
        build_bill_payment(settlements, account=BANK, currency="GBP", date=DATE)


def test_only_a_bank_account_can_pay() -> None:
    assert check_bank_account(BANK, "a1", "accountId") == []
    other = Account(id="a2", name="Sales", is_bank_account=False)
    assert [i.code for i in check_bank_account(other, "a2", "accountId")] == [
        WriteErrorCode.NOT_A_BANK_ACCOUNT
    ]
    assert [i.code for i in check_bank_account(None, "a3", "accountId")] == [
        WriteErrorCode.ACCOUNT_NOT_FOUND
    ]


def test_document_totals_follow_from_the_lines() -> None:
    lines = [
        LineDraft(unit_amount=Decimal(40), quantity=Decimal(2), tax_amount=Decimal(16)),
        LineDraft(unit_amount=Decimal(10), quantity=Decimal(1), discount_amount=Decimal(2)),
    ]
    totals = line_totals(lines, Decimal("104.00"))
    assert (totals.sub_total, totals.tax_amount, totals.total_amount) == (
        Decimal("88.00"),
        Decimal("16.00"),
        Decimal("104.00"),
    )
    items = bill_lines(lines)
    assert [item.total_amount for item in items] == [Decimal("96.00"), Decimal("8.00")]
    with pytest.raises(WriteRefusedError) as refused:
        line_totals(lines, Decimal(100))
    assert codes(refused.value) == [WriteErrorCode.TOTALS_INCONSISTENT]


def test_lines_are_checked_for_negative_amounts_and_oversized_discounts() -> None:
    lines = [
        LineDraft(unit_amount=Decimal(-1), quantity=Decimal(1)),
        LineDraft(unit_amount=Decimal(5), quantity=Decimal(0)),
        LineDraft(unit_amount=Decimal(5), quantity=Decimal(1), discount_amount=Decimal(6)),
    ]
    issues = check_lines(lines)
    assert [(i.code, i.field) for i in issues] == [
        (WriteErrorCode.AMOUNT_NEGATIVE, "lineItems[0].unitAmount"),
        (WriteErrorCode.INVALID_INPUT, "lineItems[1].quantity"),
        (WriteErrorCode.TOTALS_INCONSISTENT, "lineItems[2].discountAmount"),
    ]
    assert [i.code for i in check_lines([])] == [WriteErrorCode.FIELD_REQUIRED]


def test_a_blank_required_field_is_missing() -> None:
    assert check_required("Acme", "supplierName") == []
    assert [i.code for i in check_required("  ", "supplierName")] == [WriteErrorCode.FIELD_REQUIRED]
    assert [i.code for i in check_required(None, "supplierName")] == [WriteErrorCode.FIELD_REQUIRED]
