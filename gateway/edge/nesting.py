"""What a request body holds that no parser may see: nesting past a bound, lone surrogates.

How deeply a request nests is measured on its text before anything parses it recursively.

JSON nested a few hundred levels deep made the response cache's key (orjson: 255 levels at most)
and Python's recursive walkers fail with a 500. The guard measures the raw body (and a GET's
`variables` and `extensions`) here and refuses anything deeper than `MAX_JSON_NESTING` with a
400, so no recursive code ever sees it. The scan is linear and runs only when the text holds
more opening brackets than the bound at all (a plain `bytes.count`), so ordinary requests pay
next to nothing.
"""

from __future__ import annotations

import re

MAX_JSON_NESTING = 64
"""The deepest nesting of arrays and objects a GraphQL request body may have (the body's own
object and the `variables` object count as two levels)."""

_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
"""A JSON string (skipped: brackets in it do not nest) or a bracket."""


def too_deep(data: bytes | str, limit: int = MAX_JSON_NESTING) -> bool:
    """Whether the JSON text `data` nests arrays and objects deeper than `limit`.

    The text need not be valid JSON: an unclosed string ends the scan and unbalanced closers are
    ignored; what matters is that nothing parsed from it can nest deeper than the scan found.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth = max(0, depth - 1)
    return False


_SURROGATE_ESCAPE = re.compile(rb"(\\+)u[dD]([89abAB]|[c-fC-F])[0-9a-fA-F]{2}")
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
_LOW_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def lone_surrogate(data: bytes) -> bool:
    """Whether the JSON text `data` escapes a UTF-16 surrogate that is not half of a pair
    (`"\\ud800"`), or writes one as UTF-8 bytes. Either is what `json.loads` takes, but no
    Unicode text: the str it makes cannot be encoded again, so an id holding one failed as a
    500 on its way to Codat (found by tests/e2e/test_fuzz.py).
    """
    if _ENCODED_SURROGATE.search(data):
        return True  # a surrogate written as UTF-8 bytes: json.loads takes it (surrogatepass)
    if b"\\u" not in data:
        return False
    for match in _SURROGATE_ESCAPE.finditer(data):
        if len(match.group(1)) % 2 == 0:
            continue  # an escaped backslash followed by the text `ud800`
        high = match.group(2) in b"89abAB"
        if not high:
            before = data[max(0, match.start() - 6) : match.start() + len(match.group(1)) - 1]
            if not _HIGH_BEFORE.fullmatch(before):
                return True
            continue
        if not _LOW_SURROGATE_ESCAPE.match(data, match.end()):
            return True
    return False


_HIGH_BEFORE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
