"""The upstream deadline of each query and mutation (`CODAT_WALK_DEADLINE_SECONDS`).

Every walk through Codat's pages started while the operation executes (in its resolvers, its
DataLoader batches, the cache's shared fetches) stops at this deadline with
`CodatDeadlineExceeded`: the field that needed it answers `UPSTREAM_DEADLINE_EXCEEDED` and the rest
of the response stands. Subscriptions live longer than any deadline and get none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.codat.deadline import operation_deadline


class OperationDeadline(SchemaExtension):
    """Sets the operation's upstream deadline for the time it executes."""

    seconds: float = 30.0

    @classmethod
    def factory(cls, seconds: float) -> Callable[[], OperationDeadline]:
        if not seconds > 0:
            raise ValueError(f"an operation deadline must be positive, got {seconds!r}")

        def make() -> OperationDeadline:
            extension = cls()
            extension.seconds = seconds
            return extension

        return make

    def on_execute(self) -> Iterator[None]:
        try:
            subscription = self.execution_context.operation_type is OperationType.SUBSCRIPTION
        except RuntimeError:  # no document: nothing executes
            subscription = True
        if subscription:
            yield
            return
        with operation_deadline(self.seconds):
            yield
