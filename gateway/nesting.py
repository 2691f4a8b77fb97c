"""How deeply a request nests, measured on its text before anything parses it recursively.

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
