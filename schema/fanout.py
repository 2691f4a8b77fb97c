"""One execution of a subscription event for all the subscribers who would get the same result.

An update reaches every subscriber of it as one object (`schema/subscriptions.py` builds its
GraphQL view once). Subscribers whose operations are the same parsed document (Strawberry's parser
cache hands one document to every operation sending the same text), with the same variables and
the same companies to see (`Principal.companies`, what `cache_scope` names) get the same result:
it is executed for the first of them and kept, for the others, in a small bounded memo. Its data
is `SharedData`, encoded to JSON once for all of them (gateway/edge/http.py). A result with errors
is not kept, nor one whose execution waited on anything (each subscriber executes those itself).

Each subscriber's results still pass its own schema extensions; `PerResultHooks` asks only the
extensions that have something to say about a result, not all of them for every result.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import cachetools
import orjson
from graphql import ExecutionResult, OperationDefinitionNode
from graphql.execution import Executor
from graphql.pyutils import AwaitableOrValue
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import StreamResultContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.types.execution import StreamExecutionResult
from strawberry.utils.await_maybe import await_maybe

from gateway.edge.http import SharedData
from gateway.tenancy import Principal
from schema.execution import GatewayExecutionContext

EVENT_RESULTS_KEPT = 256
"""How many (event, document, variables, companies) results are kept: enough for the distinct
subscriptions of the events being delivered at once; an evicted one is executed again."""

EventKey = tuple[int, int, bytes, frozenset[str] | None]
"""(id of the event's object, id of the operation, its variables as canonical JSON, the
companies the subscriber may see: None for every company)."""


@dataclass(frozen=True, slots=True)
class _Kept:
    event: object
    """Held so that its id is not reused while the result is kept."""
    operation: OperationDefinitionNode
    result: ExecutionResult


class EventResults:
    """The kept results of recent subscription events; `executions` counts those executed
    under a key, `shared` those answered from the memo."""

    def __init__(self, maxsize: int = EVENT_RESULTS_KEPT) -> None:
        self._kept: cachetools.LRUCache[EventKey, _Kept] = cachetools.LRUCache(maxsize)
        self.executions = 0
        self.shared = 0

    def __len__(self) -> int:
        return len(self._kept)

    def get(
        self, key: EventKey, event: object, operation: OperationDefinitionNode
    ) -> ExecutionResult | None:
        kept = self._kept.get(key)
        if kept is None or kept.event is not event or kept.operation is not operation:
            return None
        self.shared += 1
        return kept.result

    def keep(
        self,
        key: EventKey,
        event: object,
        operation: OperationDefinitionNode,
        result: ExecutionResult,
    ) -> None:
        self._kept[key] = _Kept(event, operation, result)


class SharedEventExecutor(GatewayExecutionContext):
    """The gateway's executor (schema/execution.py); a subscription's event is executed once
    per `EventKey`.

    For each event graphql-core asks the subscription's executor for one to run it
    (`build_per_event_executor`, a copy with the event as root value) and at once runs
    `execute_operation` on that. A kept result is replayed by the subscription's own executor
    instead (no copy); a new one is executed by the copy, and kept when it can be shared.
    """

    event_results: EventResults | None = None
    """Set by `sharing_executor` (one memo per schema)."""

    _event_key: EventKey | None = None
    _replay: ExecutionResult | None = None
    _variables: bytes | None = None
    """The subscription's variables as canonical JSON, once known; b"" when they have none
    (a value JSON cannot carry): its events are not shared."""

    def build_per_event_executor(self, payload: Any) -> Executor[Any]:
        key, results = self._key(payload), self.event_results
        if key is not None and results is not None:
            kept = results.get(key, payload, self.operation)
            if kept is not None:
                self._replay = kept
                return self
        executor = super().build_per_event_executor(payload)
        if isinstance(executor, SharedEventExecutor):
            executor._event_key = key
        return executor

    def _key(self, payload: object) -> EventKey | None:
        principal = getattr(self.context_value, "principal", None)
        if self.event_results is None or not isinstance(principal, Principal):
            return None
        if self._variables is None:
            try:
                self._variables = orjson.dumps(
                    self.variable_values.coerced, option=orjson.OPT_SORT_KEYS
                )
            except TypeError:
                self._variables = b""
        if not self._variables:
            return None
        return (id(payload), id(self.operation), self._variables, principal.companies)

    def execute_operation(self, serially: bool | None = None) -> AwaitableOrValue[Any]:
        replay, self._replay = self._replay, None
        if replay is not None:
            return replay
        result = super().execute_operation(serially)
        key, results = self._event_key, self.event_results
        if key is None or results is None:
            return result
        results.executions += 1
        if isinstance(result, ExecutionResult) and not result.errors and result.data is not None:
            result.data = SharedData(result.data)
            results.keep(key, self.root_value, self.operation, result)
        return result


def sharing_executor(results: EventResults) -> type[SharedEventExecutor]:
    """The executor class of one schema, sharing events' results through `results`."""

    class Executor(SharedEventExecutor):
        event_results = results

    return Executor


class PerResultHooks(SchemaExtensionsRunner):
    """Strawberry's extensions runner, for an operation's results: only the extensions that
    define `get_results` are asked for theirs, and a result is not wrapped in the
    `on_stream_result` hooks of extensions that have none (Strawberry asks every extension, for
    every result of every subscriber)."""

    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None
    ) -> None:
        super().__init__(execution_context, extensions)
        self._reporting = [e for e in self.extensions if _overrides(e, "get_results")]
        self._on_result = any(_overrides(e, "on_stream_result") for e in self.extensions)

    def on_stream_result(self, result: StreamExecutionResult) -> StreamResultContextManager:
        if self._on_result:
            return super().on_stream_result(result)
        return _NoResultHooks(result)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._reporting:
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


def _overrides(extension: SchemaExtension, hook: str) -> bool:
    return getattr(type(extension), hook) is not getattr(SchemaExtension, hook)


class _NoResultHooks(StreamResultContextManager):
    """`on_stream_result` when no extension hooks it."""

    def __init__(self, result: StreamExecutionResult) -> None:
        self.result = result
        self.hooks = []

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        return None
