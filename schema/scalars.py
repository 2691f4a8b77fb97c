"""Custom scalars: Codat's date strings, passed through exactly as Codat sent them; and the
Decimal scalar, which refuses at the edge what no amount or rate can be."""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode, VariableNode
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from gateway.codat.types import CodatDateTime
from gateway.writes.payments import (
    AMOUNT_PLACES,
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_DIGITS,
    RATE_PLACES,
    UNIT_PLACES,
    decimal_places,
)


def _parse_codat_date_time(value: object) -> CodatDateTime:
    if not isinstance(value, str):
        raise ValueError(f"CodatDateTime must be a string, not {type(value).__name__}")
    return CodatDateTime(value)


CODAT_DATE_TIME = strawberry.scalar(
    name="CodatDateTime",
    description=(
        "ISO-8601 as Codat sent it; may carry no zone (then it is the business's local time)."
    ),
    serialize=str,
    parse_value=_parse_codat_date_time,
)

MAX_DECIMAL_TEXT = 64
"""The longest Decimal text read at all: 13 digits, a point and 10 places fit many times over."""


def parse_decimal(value: object) -> decimal.Decimal:
    """A finite Decimal of at most 13 integer digits and 10 decimal places (trailing zeros do not
    count), from a string or a JSON number; StrawberryInputCoercionError (BAD_USER_INPUT)
    otherwise. `NaN`, `Infinity`, `1E+999999` and `1e-999999` never reach a resolver: there
    they would break comparisons, or be sent to Codat as something else than was asked.
    """
    if isinstance(value, str):
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_DECIMAL_TEXT * 4:
            raise StrawberryInputCoercionError("Decimal value is too large")
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
    else:
        raise StrawberryInputCoercionError(
            f"Decimal must be a string or a number, not {type(value).__name__}"
        )
    return _decimal(text)


def _decimal(text: str) -> decimal.Decimal:
    if len(text) > MAX_DECIMAL_TEXT:
        raise StrawberryInputCoercionError(f"Decimal text is longer than {MAX_DECIMAL_TEXT}")
    try:
        number = decimal.Decimal(text.strip())
    except (decimal.DecimalException, ValueError):
        raise StrawberryInputCoercionError(f"{text!r} is not a decimal number") from None
    if not number.is_finite():
        raise StrawberryInputCoercionError(f"{text!r} is not a finite number")
    if not number.is_zero() and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise StrawberryInputCoercionError(
            f"{text!r} has more than {MAX_INTEGER_DIGITS} digits before the decimal point"
        )
    if decimal_places(number) > MAX_DECIMAL_PLACES:
        raise StrawberryInputCoercionError(
            f"{text!r} has more than {MAX_DECIMAL_PLACES} decimal places"
        )
    return number


def parse_decimal_literal(
    node: ValueNode, variables: Mapping[str, Any] | None = None
) -> decimal.Decimal:
    """A Decimal written in the document: `12.5`, `"12.5"` or `1e3`, read from its text (an
    int or float literal is never turned into a Python number first, where `1e999` is `inf`)."""
    if isinstance(node, IntValueNode | FloatValueNode | StringValueNode):
        return _decimal(node.value)
    if isinstance(node, VariableNode):
        return parse_decimal((variables or {}).get(node.name.value))
    raise StrawberryInputCoercionError("Decimal must be a string or a number")


DECIMAL = ScalarDefinition(
    name="Decimal",
    description=(
        "A decimal number, as a string (exact) or a JSON number: finite, at most "
        f"{MAX_INTEGER_DIGITS} digits before the point and {MAX_DECIMAL_PLACES} after it. "
        f"Written amounts take at most {AMOUNT_PLACES} places, unit amounts and quantities "
        f"{UNIT_PLACES}, currency rates {RATE_PLACES} (more is INVALID_INPUT, never rounded)."
    ),
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal,
    parse_literal=parse_decimal_literal,
    origin=decimal.Decimal,
)

SCALAR_MAP: Mapping[object, ScalarDefinition] = {
    CodatDateTime: CODAT_DATE_TIME,
    decimal.Decimal: DECIMAL,
}
"""Maps the gateway's `CodatDateTime` NewType and `Decimal` to their scalars; passed to
`StrawberryConfig`."""
