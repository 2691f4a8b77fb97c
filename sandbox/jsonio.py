"""JSON in and out: Decimals stay exact (money is written with its 2 decimal places)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, cast

from starlette.responses import Response

_encode_string = cast(Any, json.encoder).encode_basestring_ascii


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_encode_string(key))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, Decimal):
        out.append(format(value, "f"))
    elif isinstance(value, int | float):
        out.append(json.dumps(value))
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    """Encode `value` as compact JSON; Decimal('12.50') is written as the number 12.50."""
    out: list[str] = []
    _write(value, out)
    return "".join(out).encode("ascii")


def loads(raw: bytes | str) -> Any:
    """Decode JSON, reading every non-integer number as a Decimal."""
    return json.loads(raw, parse_float=Decimal)


class JSONResponse(Response):
    """A JSON response encoded with `dumps`, so Decimals keep their scale."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
