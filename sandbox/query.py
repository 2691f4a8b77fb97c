"""Codat's query language: a tokenizer, a recursive-descent parser, and ordering.

Grammar (&& binds tighter than ||; braces group)::

    query      := or_expr END
    or_expr    := and_expr ( "||" and_expr )*
    and_expr   := term ( "&&" term )*
    term       := "{" or_expr "}" | comparison
    comparison := path op value
    path       := name ( "." name )*
    op         := "!=" | ">=" | "<=" | "=" | "~" | ">" | "<"
    value      := everything up to "&&", "||", "}" or the end, trimmed; never empty and
                  never starting with "=", "<", ">" or "~" (so `a==b` is malformed, not a="=b")

Semantics: strings compare case-insensitively (`=`, `!=`, `~` contains); numbers and dates
support every comparison except `~`; booleans only `=`/`!=` with true/false. A missing
property matches only `!=`. Arrays and objects can't be queried. Anything else, including an
unknown property, is "Error parsing query - Malformed query.".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.errors import CodatError, malformed_query
from sandbox.fields import Kind

MAX_QUERY_LENGTH = 2048  # Codat: "under 2048 characters"
QUERY_TOO_LONG = "Error parsing query - Query is too long. The maximum length is 2047 characters."

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_OPERATORS = ("!=", ">=", "<=", "=", "~", ">", "<")
_OPS_BY_KIND: dict[str, frozenset[str]] = {
    "string": frozenset({"=", "!=", "~"}),
    "number": frozenset({"=", "!=", ">", "<", ">=", "<="}),
    "date": frozenset({"=", "!=", ">", "<", ">=", "<="}),
    "bool": frozenset({"=", "!="}),
}


@dataclass(frozen=True)
class Token:
    kind: str  # LBRACE RBRACE AND OR PATH OP VALUE END
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens; a value runs from its operator to `&&`, `||`, `}` or the end."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    expect_value = False
    while i < n:
        if expect_value:
            end = _value_end(text, i)
            value = text[i:end].strip()
            if not value or value[0] in "=<>~":
                raise malformed_query()
            tokens.append(Token("VALUE", value, i))
            i, expect_value = end, False
            continue
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "{":
            tokens.append(Token("LBRACE", char, i))
            i += 1
        elif char == "}":
            tokens.append(Token("RBRACE", char, i))
            i += 1
        elif text.startswith("&&", i):
            tokens.append(Token("AND", "&&", i))
            i += 2
        elif text.startswith("||", i):
            tokens.append(Token("OR", "||", i))
            i += 2
        elif (op := next((o for o in _OPERATORS if text.startswith(o, i)), None)) is not None:
            tokens.append(Token("OP", op, i))
            i += len(op)
            expect_value = True
        elif (match := _NAME.match(text, i)) is not None:
            tokens.append(Token("PATH", match.group(), i))
            i = match.end()
        else:
            raise malformed_query()
    if expect_value:
        raise malformed_query()
    tokens.append(Token("END", "", n))
    return tokens


def _value_end(text: str, start: int) -> int:
    candidates = [p for p in (text.find("&&", start), text.find("||", start)) if p >= 0]
    brace = text.find("}", start)
    if brace >= 0:
        candidates.append(brace)
    return min(candidates, default=len(text))


@dataclass(frozen=True)
class Comparison:
    path: str
    op: str
    value: str


@dataclass(frozen=True)
class And:
    terms: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    terms: tuple[Node, ...]


Node = Comparison | And | Or


class _Parser:
    def __init__(self, tokens: Sequence[Token]) -> None:
        self._tokens = tokens
        self._pos = 0

    def _peek(self) -> Token:
        return self._tokens[self._pos]

    def _take(self, kind: str) -> Token:
        token = self._tokens[self._pos]
        if token.kind != kind:
            raise malformed_query()
        self._pos += 1
        return token

    def parse(self) -> Node:
        node = self._or()
        self._take("END")
        return node

    def _or(self) -> Node:
        return self._joined("OR", self._and, Or)

    def _and(self) -> Node:
        return self._joined("AND", self._term, And)

    def _joined(
        self, kind: str, operand: Callable[[], Node], join: Callable[[tuple[Node, ...]], Node]
    ) -> Node:
        """One or more `operand`s separated by `kind` tokens; two or more joined by `join`."""
        terms = [operand()]
        while self._peek().kind == kind:
            self._pos += 1
            terms.append(operand())
        return terms[0] if len(terms) == 1 else join(tuple(terms))

    def _term(self) -> Node:
        if self._peek().kind == "LBRACE":
            self._pos += 1
            node = self._or()
            self._take("RBRACE")
            return node
        path = self._take("PATH").text
        op = self._take("OP").text
        value = self._take("VALUE").text
        return Comparison(path, op, value)


def parse(text: str) -> Node:
    """Parse a query into a syntax tree, or raise a 400 CodatError."""
    if len(text) >= MAX_QUERY_LENGTH:
        raise CodatError(400, QUERY_TOO_LONG)
    if not text.strip():
        raise malformed_query()
    return _Parser(tokenize(text)).parse()


@functools.lru_cache(maxsize=65536)
def parse_datetime(text: str) -> datetime | None:
    """Read an ISO date or date-time; aware values become naive UTC so all compare."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _lookup(record: Record, path: str) -> Any:
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def _normalise(kind: Kind, value: Any) -> Any:
    """Turn a stored value into something comparable for its kind, or None if it isn't one."""
    if value is None:
        return None
    if kind == "string":
        return value.casefold() if isinstance(value, str) else None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
            return None
        return Decimal(value) if not isinstance(value, float) else Decimal(str(value))
    if kind == "date":
        return parse_datetime(value) if isinstance(value, str) else None
    if kind == "bool":
        return value if isinstance(value, bool) else None
    return None


def _query_value(kind: Kind, raw: str) -> Any:
    if kind == "string":
        return raw.casefold()
    if kind == "number":
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise malformed_query() from None
        if not number.is_finite():
            raise malformed_query()
        return number
    if kind == "date":
        parsed = parse_datetime(raw)
        if parsed is None:
            raise malformed_query()
        return parsed
    lowered = raw.lower()
    if lowered not in {"true", "false"}:
        raise malformed_query()
    return lowered == "true"


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "~":
        return bool(right in left)
    if op == ">":
        return bool(left > right)
    if op == "<":
        return bool(left < right)
    if op == ">=":
        return bool(left >= right)
    return bool(left <= right)


def _bind(node: Node, fields: Mapping[str, Kind]) -> Predicate:
    if isinstance(node, And):
        parts = [_bind(term, fields) for term in node.terms]
        return lambda record: all(part(record) for part in parts)
    if isinstance(node, Or):
        parts = [_bind(term, fields) for term in node.terms]
        return lambda record: any(part(record) for part in parts)
    kind = fields.get(node.path)
    if kind is None or node.op not in _OPS_BY_KIND.get(kind, frozenset()):
        raise malformed_query()
    wanted = _query_value(kind, node.value)
    path, op = node.path, node.op

    def predicate(record: Record) -> bool:
        actual = _normalise(kind, _lookup(record, path))
        if actual is None:
            return op == "!="
        return _compare(op, actual, wanted)

    return predicate


def compile_query(text: str | None, fields: Mapping[str, Kind]) -> Predicate | None:
    """A predicate for `text` over records with these fields; None when there is no query."""
    if text is None or text == "":
        return None
    return _bind(parse(text), fields)


def order(
    records: Sequence[Record], order_by: str | None, fields: Mapping[str, Kind]
) -> list[Record]:
    """Sort stably by `field` (ascending) or `-field` (descending); missing sorts smallest."""
    if not order_by:
        return list(records)
    descending = order_by.startswith("-")
    path = order_by[1:] if descending else order_by
    kind = fields.get(path.strip())
    if kind is None or kind not in _OPS_BY_KIND:
        raise CodatError(400, f"Error parsing orderBy - could not resolve property {path}.")
    path = path.strip()

    def key(record: Record) -> tuple[int, Any]:
        value = _normalise(kind, _lookup(record, path))
        return (0, "") if value is None else (1, value)

    return sorted(records, key=key, reverse=descending)


def select(
    records: Sequence[Record], query: str | None, order_by: str | None, fields: Mapping[str, Kind]
) -> list[Record]:
    """Filter by `query`, then order by `order_by`; raises 400 CodatError on bad input."""
    predicate = compile_query(query, fields)
    chosen = list(records) if predicate is None else [r for r in records if predicate(r)]
    return order(chosen, order_by, fields)


def paths(node: Node) -> set[str]:
    """Every property path a parsed query mentions."""
    if isinstance(node, Comparison):
        return {node.path}
    return set().union(*(paths(term) for term in node.terms))
