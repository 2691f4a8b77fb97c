"""Codat's query language: build filters safely, validate user-written ones, order results.

The language is `path<op>value` clauses joined by `&&` / `||` and grouped with `{ }`; values are
never quoted and Codat documents no escaping. So a value that contains an operator, a brace, `&`
or `|` cannot be expressed, and this module refuses it (`CodatQueryError`) rather than guess at an
escape Codat might read differently. Mixing `&&` and `||` at one level is also refused when
parsing, since Codat does not document their precedence; the builder always adds the braces.

Codat rejects queries of 2048 characters or more and does not say whether it counts the raw or
the URL-encoded text. We count the encoded length, with every reserved character percent-encoded
(`quote(text, safe="")`), which is never shorter than what httpx sends; so a query we accept is
accepted under either reading.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from urllib.parse import quote

from gateway.codat.errors import CodatQueryError

MAX_QUERY_LENGTH = 2048
"""Codat's limit: a query must be shorter than this (we count URL-encoded characters)."""

QueryValue = str | bool | int | Decimal | date | datetime

_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
# Characters that would end a clause or start an operator if they appeared in a value.
_UNSAFE_VALUE_CHARS = frozenset("&|{}=!<>~")
_CLAUSE = re.compile(
    r"\s*(?P<path>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op>!=|>=|<=|=|~|>|<)\s*(?P<value>.*?)\s*",
    re.DOTALL,
)


class Operator(StrEnum):
    EQ = "="
    NE = "!="
    CONTAINS = "~"
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="


_ORDERING = frozenset({Operator.GT, Operator.LT, Operator.GE, Operator.LE})


class Query(ABC):
    """A filter expression; combine with `&` and `|`, render with `str()` or `render()`."""

    def __and__(self, other: Query) -> Query:
        return all_of(self, other)

    def __or__(self, other: Query) -> Query:
        return any_of(self, other)

    @abstractmethod
    def _text(self) -> str: ...

    def render(self, *, limit: int = MAX_QUERY_LENGTH) -> str:
        """The query string, refused if its encoded length reaches `limit`."""
        return check_length(self._text(), limit=limit)

    def __str__(self) -> str:
        return self._text()


@dataclass(frozen=True, slots=True)
class Condition(Query):
    """One clause, `path<op>value`, with the value already in Codat's text form."""

    path: str
    operator: Operator
    value: str

    def _text(self) -> str:
        return f"{self.path}{self.operator.value}{self.value}"


@dataclass(frozen=True, slots=True)
class AllOf(Query):
    parts: tuple[Query, ...]

    def _text(self) -> str:
        return "&&".join(_braced(part, AnyOf) for part in self.parts)


@dataclass(frozen=True, slots=True)
class AnyOf(Query):
    parts: tuple[Query, ...]

    def _text(self) -> str:
        return "||".join(_braced(part, AllOf) for part in self.parts)


def _braced(part: Query, other_kind: type[Query]) -> str:
    text = part._text()
    return f"{{{text}}}" if isinstance(part, other_kind) else text


def all_of(*queries: Query) -> Query:
    """`a && b && ...`, flattening nested ANDs."""
    return _combine(AllOf, queries)


def any_of(*queries: Query) -> Query:
    """`a || b || ...`, flattening nested ORs."""
    return _combine(AnyOf, queries)


def _combine(kind: type[AllOf] | type[AnyOf], queries: tuple[Query, ...]) -> Query:
    parts: list[Query] = []
    for query in queries:
        parts.extend(query.parts if isinstance(query, kind) else (query,))
    if not parts:
        raise CodatQueryError("an empty group cannot be expressed in Codat's query language")
    return parts[0] if len(parts) == 1 else kind(tuple(parts))


@dataclass(frozen=True, slots=True)
class Field:
    """A (dotted) property path to compare: `where("supplierRef.id").eq("61")`."""

    path: str

    def __post_init__(self) -> None:
        _check_path(self.path)

    def eq(self, value: QueryValue) -> Condition:
        return self._compare(Operator.EQ, value)

    def ne(self, value: QueryValue) -> Condition:
        return self._compare(Operator.NE, value)

    def contains(self, value: str) -> Condition:
        if not isinstance(value, str):
            raise CodatQueryError(f"~ (contains) works on strings only, not {value!r}")
        return self._compare(Operator.CONTAINS, value)

    def gt(self, value: QueryValue) -> Condition:
        return self._compare(Operator.GT, value)

    def lt(self, value: QueryValue) -> Condition:
        return self._compare(Operator.LT, value)

    def ge(self, value: QueryValue) -> Condition:
        return self._compare(Operator.GE, value)

    def le(self, value: QueryValue) -> Condition:
        return self._compare(Operator.LE, value)

    def _compare(self, operator: Operator, value: QueryValue) -> Condition:
        if operator in _ORDERING and isinstance(value, bool):
            raise CodatQueryError(f"{operator.value} compares numbers and dates, not {value!r}")
        return Condition(self.path, operator, format_value(value))


def where(path: str) -> Field:
    return Field(path)


def format_value(value: QueryValue) -> str:
    """A value in Codat's text form (`true`, `0`, `2023-06-01`), or CodatQueryError."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CodatQueryError(f"{value} cannot be expressed in a Codat query")
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            # Codat's own zone-less times are the business's local time; keep them zone-less.
            return value.isoformat()
        # A `+hh:mm` offset would be decoded as a space by some servers; UTC with `Z` is
        # unambiguous and is the form in Codat's examples.
        utc = value.astimezone(UTC).replace(tzinfo=None)
        return utc.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        _check_value_text(value)
        return value
    raise CodatQueryError(f"{type(value).__name__} values are not sent in Codat queries")


def _check_value_text(value: str) -> None:
    if not value:
        raise CodatQueryError("an empty value cannot be expressed in a Codat query")
    if value != value.strip():
        raise CodatQueryError(f"{value!r}: Codat would trim the surrounding whitespace")
    unsafe = sorted(set(value) & _UNSAFE_VALUE_CHARS)
    if unsafe:
        raise CodatQueryError(
            f"{value!r} contains {''.join(unsafe)!r}, which Codat's unquoted values cannot carry"
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise CodatQueryError(f"{value!r} contains a control character")


def _check_path(path: str) -> None:
    if not _PATH.fullmatch(path):
        raise CodatQueryError(f"{path!r} is not a property path (like `supplierRef.id`)")


def encoded_length(text: str) -> int:
    """The length of `text` with every reserved character percent-encoded (see module doc)."""
    return len(quote(text, safe=""))


def check_length(text: str, *, limit: int = MAX_QUERY_LENGTH) -> str:
    """`text` unchanged, or CodatQueryError if its encoded length is `limit` or more."""
    length = encoded_length(text)
    if length >= limit:
        raise CodatQueryError(
            f"query is {length} characters URL-encoded; Codat needs fewer than {limit}"
        )
    return text


def parse_query(text: str) -> Query:
    """Parse a user-written query into a `Query`, or CodatQueryError saying what is wrong."""
    tokens = _tokenize(text)
    if not tokens:
        raise CodatQueryError("the query is empty")
    parser = _Parser(tokens)
    query = parser.expression()
    if parser.position != len(tokens):
        raise CodatQueryError(f"unexpected {tokens[parser.position]!r} in query {text!r}")
    return query


def validate_query(text: str, *, limit: int = MAX_QUERY_LENGTH) -> str:
    """Check a raw query (syntax, braces, values, length) and return it stripped."""
    stripped = text.strip()
    parse_query(stripped)
    return check_length(stripped, limit=limit)


_SYMBOLS = ("&&", "||", "{", "}")
_SPLIT = re.compile(r"(&&|\|\||\{|\})")


def _tokenize(text: str) -> list[str]:
    # Operators and braces split the text; what lies between them is a clause.
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def expression(self) -> Query:
        parts = [self.term()]
        joiner: str | None = None
        while self._peek() in ("&&", "||"):
            token = self.tokens[self.position]
            if joiner is not None and token != joiner:
                raise CodatQueryError(
                    "mixing && and || needs braces: Codat does not document their precedence"
                )
            joiner = token
            self.position += 1
            parts.append(self.term())
        if joiner is None:
            return parts[0]
        return all_of(*parts) if joiner == "&&" else any_of(*parts)

    def term(self) -> Query:
        token = self._peek()
        if token is None:
            raise CodatQueryError("the query ends where a clause was expected")
        self.position += 1
        if token == "{":
            inner = self.expression()
            if self._peek() != "}":
                raise CodatQueryError("unbalanced braces: a `{` is never closed")
            self.position += 1
            return inner
        if token in _SYMBOLS:
            raise CodatQueryError(f"expected a clause, found {token!r}")
        return _parse_clause(token)


def _parse_clause(text: str) -> Condition:
    match = _CLAUSE.fullmatch(text)
    if match is None:
        raise CodatQueryError(f"{text!r} is not a clause of the form `path<op>value`")
    path, value = match["path"], match["value"]
    _check_path(path)
    _check_value_text(value)
    return Condition(path, Operator(match["op"]), value)


def id_chunks(
    field: str,
    ids: Iterable[str],
    *,
    base: Query | str | None = None,
    limit: int = MAX_QUERY_LENGTH,
) -> list[str]:
    """Split an id set into queries `{id=a||id=b}&&<base>` that each fit under `limit`.

    Codat has no `in` operator, so a batch of ids is an OR-chain. Every id lands in exactly one
    chunk (duplicates are dropped, order is kept); an id that cannot fit even alone, or cannot be
    expressed, raises CodatQueryError.
    """
    _check_path(field)
    base_query = parse_query(base) if isinstance(base, str) else base
    clauses: list[Condition] = []
    for id_ in dict.fromkeys(ids):
        clauses.append(Condition(field, Operator.EQ, format_value(id_)))
    if not clauses:
        return []

    # Encoding is per character, so lengths add up: braces plus `&&base` are a fixed overhead
    # (counted even for a lone id, which needs no braces: conservative) and each id costs its
    # clause plus one `||`.
    overhead = 0
    if base_query is not None:
        overhead = encoded_length("{}&&" + _braced(base_query, AnyOf))
    separator = encoded_length("||")

    chunks: list[str] = []
    current: list[Condition] = []
    used = overhead
    for clause in clauses:
        cost = encoded_length(clause._text()) + (separator if current else 0)
        if current and used + cost >= limit:
            chunks.append(_chunk(current, base_query, limit))
            current, used = [], overhead
            cost = encoded_length(clause._text())
        if used + cost >= limit:
            raise CodatQueryError(f"{clause.value!r} does not fit in a query of {limit} characters")
        current.append(clause)
        used += cost
    chunks.append(_chunk(current, base_query, limit))
    return chunks


def _chunk(clauses: list[Condition], base: Query | None, limit: int) -> str:
    ids = any_of(*clauses)
    query = ids if base is None else all_of(ids, base)
    return query.render(limit=limit)


@dataclass(frozen=True, slots=True)
class OrderBy:
    """Codat's `orderBy`: a property path, `-` first for descending (`-modifiedDate`)."""

    field: str
    descending: bool = False

    def __post_init__(self) -> None:
        _check_path(self.field)

    @classmethod
    def asc(cls, field: str) -> OrderBy:
        return cls(field)

    @classmethod
    def desc(cls, field: str) -> OrderBy:
        return cls(field, descending=True)

    @classmethod
    def parse(cls, text: str) -> OrderBy:
        text = text.strip()
        if text.startswith("-"):
            return cls(text[1:], descending=True)
        return cls(text)

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def query_param(query: Query | str | None, *, limit: int = MAX_QUERY_LENGTH) -> str | None:
    """The `query` parameter to send: built queries are rendered, strings are validated."""
    if query is None:
        return None
    if isinstance(query, Query):
        return query.render(limit=limit)
    return validate_query(query, limit=limit)


def order_by_param(order_by: OrderBy | str | None) -> str | None:
    if order_by is None:
        return None
    return str(order_by if isinstance(order_by, OrderBy) else OrderBy.parse(order_by))
