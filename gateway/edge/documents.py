"""A GraphQL document looked at before it is parsed: its tokens counted up to a limit, its
operation types, without building a syntax tree.

A parse of a 1 MB document of half a million tokens holds the event loop for seconds; counting
with graphql-core's own lexer stops at the limit (`max_tokens + 1` tokens read), so a document
over it is refused in the time its first tokens take.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cachetools
from graphql import GraphQLError, OperationType, Source
from graphql.language.lexer import Lexer
from graphql.language.token_kind import TokenKind

from gateway.ops.bounds import Bound

_OPERATIONS = {kind.value: kind for kind in OperationType}


@dataclass(frozen=True, slots=True)
class DocumentScan:
    tokens: int
    """Tokens read (at most `max_tokens + 1`)."""
    too_many: bool
    """More than `max_tokens`: refuse without parsing."""
    operations: Mapping[str | None, OperationType]
    """Each operation's type by its name (None: anonymous or shorthand), as far as read (shared
    by every request sending the same document: read only)."""
    lexable: bool = True
    """False when the lexer refused a character (the parser will say where)."""


MEMO_MAX_ENTRIES = 512
MEMO_MAX_DOCUMENT_CHARS = 8 * 1024
"""The scans kept: of documents this short (an application's own queries), this many at most,
so the memo holds at most 4 MiB of documents; a longer document is scanned every time."""

_memo: cachetools.LRUCache[tuple[str, int], DocumentScan] = cachetools.LRUCache(MEMO_MAX_ENTRIES)


def scan_document(query: str, max_tokens: int) -> DocumentScan:
    """Count `query`'s tokens up to `max_tokens + 1` and note its operations' types.

    An application sends the same few documents again and again (and a request is looked at by
    more than one part of the edge), so the scans of short documents are kept, least recently
    used first out: lexing was a third of a stored response's time.
    """
    if len(query) > MEMO_MAX_DOCUMENT_CHARS:
        return _scan(query, max_tokens)
    key = (query, max_tokens)
    scan = _memo.get(key)
    if scan is None:
        scan = _memo[key] = _scan(query, max_tokens)
    return scan


def memo_size() -> tuple[int, int]:
    """The scans kept and the characters of their documents."""
    return len(_memo), sum(len(query) for query, _ in _memo)


def memo_bound() -> Bound:
    """The memo as /metrics reports it (`gateway_bounded_*{holder="documents"}`)."""
    entries, chars = memo_size()
    return Bound(
        "documents", entries, MEMO_MAX_ENTRIES, chars, MEMO_MAX_ENTRIES * MEMO_MAX_DOCUMENT_CHARS
    )


def _scan(query: str, max_tokens: int) -> DocumentScan:
    lexer = Lexer(Source(query))
    depth = 0
    tokens = 0
    operations: dict[str | None, OperationType] = {}
    pending: OperationType | None = None
    named = False
    fragment = False
    try:
        token = lexer.advance()
        while token.kind is not TokenKind.EOF:
            tokens += 1
            if tokens > max_tokens:
                return DocumentScan(tokens, True, operations)
            kind = token.kind
            if kind in (TokenKind.BRACE_L, TokenKind.PAREN_L, TokenKind.BRACKET_L):
                if depth == 0 and kind is TokenKind.BRACE_L:
                    if pending is not None and not named:
                        operations.setdefault(None, pending)
                    elif pending is None and not fragment:
                        operations.setdefault(None, OperationType.QUERY)  # shorthand
                    pending, named, fragment = None, False, False
                depth += 1
            elif kind in (TokenKind.BRACE_R, TokenKind.PAREN_R, TokenKind.BRACKET_R):
                depth = max(0, depth - 1)
            elif depth == 0 and kind is TokenKind.NAME:
                value = token.value or ""
                if pending is None and not fragment and value in _OPERATIONS:
                    pending = _OPERATIONS[value]
                elif pending is None and not fragment and value == "fragment":
                    fragment = True
                elif pending is not None and not named:
                    operations[value] = pending
                    named = True
            token = lexer.advance()
    except GraphQLError:
        return DocumentScan(tokens, False, operations, lexable=False)
    return DocumentScan(tokens, False, operations)


def operation_type(scan: DocumentScan, operation_name: str | None) -> OperationType | None:
    """The type of the operation a request runs, if the scan can tell."""
    if operation_name is not None:
        return scan.operations.get(operation_name)
    if len(scan.operations) == 1:
        return next(iter(scan.operations.values()))
    return None


def too_many_tokens_message(max_tokens: int) -> str:
    """graphql-core's own words for a document over the limit."""
    return f"Syntax Error: Document contains more than {max_tokens} tokens. Parsing aborted."
