"""Decimal inputs at the edge: the scalar and the payment checks never raise on any text, and
refuse what cannot be an amount or a rate (issue 11, finding 6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.exceptions import StrawberryInputCoercionError

from gateway.writes.payments import (
    LineDraft,
    WriteErrorCode,
    canonical_decimal,
    check_lines,
    check_non_negative,
    check_positive,
    decimal_places,
    line_totals,
)
from schema.scalars import parse_decimal

QUICK = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

DECIMAL_TEXT = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["NaN", "sNaN", "-Infinity", "1E+999999", "1e-999999", "-0", "0E-99", " 1 "]),
    st.from_regex(r"\A-?[0-9]{0,20}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,7})?\Z"),
    st.text(max_size=80),
)


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "sNaN",
        "Infinity",
        "-inf",
        "1E+999999",
        "1e-999999",
        "12345678901234",
        "0.1" + "1" * 10,
        float("nan"),
        float("inf"),
        1e300,
        10**70,
        True,
        None,
        [],
        {},
        "x" * 65,
    ],
)
def test_the_scalar_refuses_what_no_amount_or_rate_can_be(value: object) -> None:
    with pytest.raises(StrawberryInputCoercionError):
        parse_decimal(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (7, Decimal(7)),
        (0.25, Decimal("0.25")),
        ("9999999999999.9999999999", Decimal("9999999999999.9999999999")),
        ("1.5000000000000000", Decimal("1.5000000000000000")),
        ("1E+3", Decimal(1000)),
    ],
)
def test_the_scalar_reads_ordinary_decimals_exactly(value: object, expected: Decimal) -> None:
    assert parse_decimal(value) == expected


@QUICK
@given(DECIMAL_TEXT)
def test_the_scalar_never_raises_anything_but_a_coercion_error(text: str) -> None:
    try:
        number = parse_decimal(text)
    except StrawberryInputCoercionError:
        return
    assert number.is_finite()
    assert decimal_places(number) <= 10
    assert number.is_zero() or number.adjusted() < 13


@QUICK
@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_the_checks_never_raise_and_refuse_every_non_finite_number(value: Decimal) -> None:
    for code in (WriteErrorCode.AMOUNT_NOT_POSITIVE, WriteErrorCode.CURRENCY_RATE_NOT_POSITIVE):
        issues = check_positive(value, "x", code)
        assert value.is_finite() or issues
    assert value.is_finite() or check_non_negative(value, "x")
    canonical_decimal(value)


@QUICK
@given(
    st.lists(
        st.builds(
            LineDraft,
            unit_amount=st.decimals(allow_nan=True, allow_infinity=True),
            quantity=st.decimals(allow_nan=True, allow_infinity=True),
            tax_amount=st.decimals(allow_nan=True, allow_infinity=True),
            discount_amount=st.decimals(allow_nan=True, allow_infinity=True),
        ),
        max_size=5,
    ),
)
def test_lines_that_pass_the_checks_always_total(lines: list[LineDraft]) -> None:
    if not check_lines(lines):
        line_totals(lines)  # no InvalidOperation however large the lines are


def test_amounts_are_in_cents_rates_to_ten_places_and_never_rounded_to_zero() -> None:
    amount, rate = WriteErrorCode.AMOUNT_NOT_POSITIVE, WriteErrorCode.CURRENCY_RATE_NOT_POSITIVE
    assert check_positive(Decimal("10.00"), "amount", amount) == []
    assert [i.code for i in check_positive(Decimal("10.001"), "amount", amount)] == [
        WriteErrorCode.INVALID_INPUT
    ]
    assert check_positive(Decimal("0.0000000001"), "currencyRate", rate) == []
    tiny = check_positive(Decimal("1e-11"), "currencyRate", rate)
    assert [i.code for i in tiny] == [WriteErrorCode.INVALID_INPUT]
    assert "10 decimal places" in tiny[0].message
    assert [i.code for i in check_positive(Decimal("-0"), "currencyRate", rate)] == [rate]
    assert [i.field for i in check_positive(Decimal("NaN"), "amount", amount)] == ["amount"]


def test_a_line_whose_product_is_too_large_is_refused() -> None:
    line = LineDraft(unit_amount=Decimal("9999999999999"), quantity=Decimal("9999999999999"))
    [issue] = check_lines([line])
    assert issue.code is WriteErrorCode.INVALID_INPUT
    assert issue.field == "lineItems[0].quantity"
