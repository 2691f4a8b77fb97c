"""`extensions.warnings` of a response some of whose reads were answered from old copies.

When Codat's rate limit refuses a read that was answered before, the gateway answers it from
that old copy (`gateway/reads/stale.py`) rather than fail; this extension tells the client which
company's data types are old, by how much, and when to ask again:
`{"extensions": {"warnings": [{"code": "STALE_DATA", "companyId", "dataType", "ageSeconds",
"retryAfter", "message"}]}}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from gateway.reads.stale import StaleNote, collecting_stale_reads


class StaleReadWarnings(SchemaExtension):
    """Collects the operation's stale reads and reports them as warnings."""

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self._notes: list[StaleNote] = []

    def on_operation(self) -> Iterator[None]:
        with collecting_stale_reads() as notes:
            self._notes = notes
            yield

    def get_results(self) -> dict[str, Any]:
        if not self._notes:
            return {}
        return {"warnings": [note.as_warning() for note in self._notes]}
