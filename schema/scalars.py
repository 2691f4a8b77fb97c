"""Custom scalars: Codat's date strings, passed through exactly as Codat sent them."""

from __future__ import annotations

from collections.abc import Mapping

import strawberry
from strawberry.types.scalar import ScalarDefinition

from gateway.codat.types import CodatDateTime


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

SCALAR_MAP: Mapping[object, ScalarDefinition] = {CodatDateTime: CODAT_DATE_TIME}
"""Maps the gateway's `CodatDateTime` NewType to its scalar; passed to `StrawberryConfig`."""
