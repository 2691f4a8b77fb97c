"""JSON in and out of the client with money kept exact: numbers with a fraction become `Decimal`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any


def loads(data: bytes | str) -> Any:
    """Parse a Codat body; `parse_float=Decimal` keeps `0.1` as `Decimal('0.1')`, not a float."""
    return json.loads(data, parse_float=Decimal)


def dumps(value: Any) -> bytes:
    """Serialise a request body, writing `Decimal` as a JSON number with every digit kept.

    The standard encoder can only write a Decimal as a string (or via float, which loses digits),
    and Codat's write models declare money as `number`.
    """
    return "".join(_encode(value)).encode()


def _encode(value: Any) -> Iterator[str]:
    if value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, str):
        yield json.dumps(str(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be sent to Codat: JSON has no NaN or infinity")
        yield format(value, "f")
    elif isinstance(value, int):
        yield str(int(value))
    elif isinstance(value, Mapping):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
            if index:
                yield ","
            yield json.dumps(key)
            yield ":"
            yield from _encode(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _encode(item)
        yield "]"
    else:
        # Floats land here on purpose: money must reach Codat as Decimal, never through a float.
        raise TypeError(f"{type(value).__name__} is not sent to Codat as JSON")
