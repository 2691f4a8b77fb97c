"""Upstream values as bytes for the shared cache: JSON with money exact, decoded to the same models.

A value is one Codat model, a page, a list or a by-name mapping of them (`Shape`). Models are
dumped by alias and parsed back with `model_validate`, as the client parses Codat's own bodies;
`Decimal`s are written as JSON numbers with every digit kept and read back as `Decimal`
(`parse_float=Decimal`), in typed fields and in free-form ones (`supplementalData`) alike.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast, overload

from pydantic import BaseModel

from gateway.codat import _json
from gateway.codat.paging import Page

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
A = TypeVar("A")

_MARK = "\x00decimal\x00"
_MARKED = re.compile(r'"\\u0000decimal\\u0000([^"]*)"')
"""A Decimal leaves `json.dumps` as a marked string, then the marks are replaced by the number."""


class CodecError(ValueError):
    """A value that cannot be written (or bytes that cannot be read) as this codec's shape."""


class Shape(enum.Enum):
    ONE = "one"
    PAGE = "page"
    LIST = "list"
    BY_NAME = "by_name"
    """`{name: model or None}` (Codat's data status)."""


@dataclass(frozen=True, slots=True)
class Codec(Generic[T]):
    """How one kind of cached value becomes bytes and back. `absent` (a marker object, such as
    "Codat has no such record") is written as null and read back as itself."""

    model: type[BaseModel]
    shape: Shape
    absent: Any = None

    def encode(self, value: T) -> bytes:
        return _dumps(self._plain(value))

    def decode(self, data: bytes) -> T:
        try:
            plain = _json.loads(data)
            return cast(T, self._typed(plain))
        except (ValueError, TypeError, KeyError) as exc:
            raise CodecError(f"unreadable {self.shape.value} of {self.model.__name__}") from exc

    def _model(self, value: Any) -> Any:
        if value is None or (self.absent is not None and value is self.absent):
            return None
        if not isinstance(value, BaseModel):
            raise CodecError(f"{type(value).__name__} is not a {self.model.__name__}")
        return value.model_dump(mode="python", by_alias=True)

    def _plain(self, value: Any) -> Any:
        if self.shape is Shape.ONE:
            return self._model(value)
        if self.shape is Shape.LIST:
            return [self._model(item) for item in value]
        if self.shape is Shape.BY_NAME:
            return {str(name): self._model(item) for name, item in value.items()}
        page: Page[Any] = value
        return {
            "page": page.page_number,
            "size": page.page_size,
            "total": page.total_results,
            "next": page.has_next,
            "results": [self._model(item) for item in page.results],
        }

    def _record(self, plain: Any) -> Any:
        if plain is None:
            if self.absent is None:
                raise CodecError(f"a null {self.model.__name__}")
            return self.absent
        return self.model.model_validate(plain)

    def _typed(self, plain: Any) -> Any:
        if self.shape is Shape.ONE:
            return self._record(plain)
        if self.shape is Shape.LIST:
            return [self._record(item) for item in plain]
        if self.shape is Shape.BY_NAME:
            return {
                str(name): None if item is None else self.model.model_validate(item)
                for name, item in plain.items()
            }
        return Page(
            results=tuple(self._record(item) for item in plain["results"]),
            page_number=int(plain["page"]),
            page_size=int(plain["size"]),
            total_results=int(plain["total"]),
            has_next=bool(plain["next"]),
        )


@overload
def one(model: type[M]) -> Codec[M]: ...


@overload
def one(model: type[M], *, absent: A) -> Codec[M | A]: ...


def one(model: type[M], *, absent: Any = None) -> Codec[Any]:
    return Codec(model, Shape.ONE, absent)


def page(model: type[M]) -> Codec[Page[M]]:
    return Codec(model, Shape.PAGE)


def listed(model: type[M]) -> Codec[list[M]]:
    return Codec(model, Shape.LIST)


def by_name(model: type[M]) -> Codec[dict[str, M | None]]:
    return Codec(model, Shape.BY_NAME)


def _dumps(plain: Any) -> bytes:
    """JSON of dumped models, each `Decimal` as a number with its digits (json's C encoder)."""
    decimals = 0

    def mark(value: Any) -> str:
        nonlocal decimals
        if isinstance(value, Decimal) and value.is_finite():
            decimals += 1
            return _MARK + str(value)
        raise CodecError(f"{type(value).__name__} is not written to the shared cache")

    text = json.dumps(plain, default=mark, separators=(",", ":"))
    if not decimals:
        return text.encode()
    text, replaced = _MARKED.subn(r"\1", text)
    if replaced != decimals:
        # A string of Codat's own looked like a mark: nothing is written rather than a guess.
        raise CodecError("a value holds text that looks like a marked number")
    return text.encode()
