"""Subscribers of one event with the same document, variables and companies share one execution
and one encoding of its result; other documents and other company scopes get their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator, Sequence
from contextlib import AsyncExitStack, aclosing
from typing import Any, cast

import orjson
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext, ExecutionResult

from gateway.codat import CodatClient
from gateway.edge.http import SharedData, encode_message
from gateway.events.bus import LocalBus
from gateway.tenancy import ANONYMOUS, Principal
from gateway.writes.pushwatch import PushTracker
from schema import build_schema
from schema.context import Context
from schema.fanout import EventResults, PerResultHooks
from tests.schema.test_push_fanout import operation
from tests.schema.test_slow_subscriber import COMPANY, _Loaders

SUBSCRIBERS = 20
PUSH = """
subscription Push($company: ID!, $key: String!) {
  pushOperation(companyId: $company, key: $key) { pushOperationKey status }
}
"""
PUSH_WITH_TYPE = """
subscription Push($company: ID!, $key: String!) {
  pushOperation(companyId: $company, key: $key) { pushOperationKey status dataType }
}
"""
OTHER_COMPANY = "0d6a7e0b-9b51-4b7e-8f0e-5d4b0c2a9e11"


def tenant(*companies: str) -> Principal:
    return Principal(
        subject=f"tenant-{len(companies)}", kind="api-key", companies=frozenset(companies)
    )


class _PendingThenSuccess:
    """Codat's answers for one push: Pending until `complete()`, then Success."""

    def __init__(self) -> None:
        self.done = False

    def complete(self) -> None:
        self.done = True

    async def get_push_operation(self, company_id: str, key: str) -> Any:
        status = "Success" if self.done else "Pending"
        return operation(key).model_copy(update={"status": type(operation().status)(status)})


def _results(schema: strawberry.Schema) -> EventResults:
    results = getattr(schema.execution_context_class, "event_results", None)
    assert isinstance(results, EventResults)
    return results


async def _first_two(
    schema: strawberry.Schema, subscribers: Sequence[tuple[str, Principal]]
) -> list[list[Any]]:
    """Each subscriber's first two results (Pending, then Success after the push completes)."""
    codat = _PendingThenSuccess()
    bus = LocalBus(queue_size=10)
    tracker = PushTracker(
        cast(CodatClient, codat),
        bus,
        poll_after=0.05,
        poll_max_interval=0.05,
        max_seconds=60,
        queue_size=10,
    )
    variables = {"company": COMPANY, "key": "push-1"}
    async with AsyncExitStack() as stack:
        streams: list[AsyncGenerator[Any, None]] = []
        for document, principal in subscribers:
            context = Context(
                loaders=cast(Any, _Loaders()), pushes=tracker, bus=bus, principal=principal
            )
            stream: Any = await schema.subscribe(
                document, variable_values=variables, context_value=context
            )
            streams.append(await stack.enter_async_context(aclosing(stream)))
        firsts = await asyncio.gather(*(anext(s) for s in streams))
        codat.complete()  # the watch polls and finds Success
        seconds = await asyncio.wait_for(asyncio.gather(*(anext(s) for s in streams)), 10)
    await tracker.stop()
    return [list(pair) for pair in zip(firsts, seconds, strict=True)]


async def test_subscribers_of_one_document_share_one_execution_per_event() -> None:
    # given
    schema = build_schema()
    # when
    heard = await _first_two(schema, [(PUSH, ANONYMOUS)] * SUBSCRIBERS)
    # then: every subscriber got both updates, each update executed once for all of them
    statuses = {tuple(r.data["pushOperation"]["status"] for r in results) for results in heard}
    assert statuses == {("Pending", "Success")}
    assert all(not r.errors for results in heard for r in results)
    for event in (0, 1):
        assert len({id(results[event].data) for results in heard}) == 1
    assert _results(schema).executions == 2
    assert _results(schema).shared == 2 * (SUBSCRIBERS - 1)


async def test_callers_who_may_see_different_companies_never_share_a_result() -> None:
    # given: two tenants who may both see the company, but not the same set of companies
    schema = build_schema()
    mine, theirs = tenant(COMPANY), tenant(COMPANY, OTHER_COMPANY)
    # when
    heard = await _first_two(schema, [(PUSH, mine), (PUSH, theirs), (PUSH, mine), (PUSH, theirs)])
    # then: one execution per event per tenant; each tenant's subscribers share theirs only
    for event in (0, 1):
        data = [results[event].data for results in heard]
        assert data[0] is data[2]
        assert data[1] is data[3]
        assert data[0] is not data[1]
        assert data[0] == data[1]
    assert _results(schema).executions == 4


async def test_different_documents_are_executed_each_for_their_own() -> None:
    schema = build_schema()
    heard = await _first_two(schema, [(PUSH, ANONYMOUS), (PUSH_WITH_TYPE, ANONYMOUS)])
    plain, typed = (results[1].data["pushOperation"] for results in heard)
    assert "dataType" not in plain
    assert "dataType" in typed
    assert _results(schema).executions == 4


def test_the_memo_forgets_the_oldest_results_beyond_its_bound() -> None:
    # given
    results = EventResults(maxsize=2)
    schema = build_schema()
    kept = []
    # when: three events' results are kept
    for _ in range(3):
        event, result = object(), schema.execute_sync("{ __typename }")
        key = (id(event), 0, b"{}", None)
        results.keep(key, event, cast(Any, None), cast(Any, result))
        kept.append((key, event))
    # then: only the last two are answered
    assert len(results) == 2
    assert [results.get(key, event, cast(Any, None)) is not None for key, event in kept] == [
        False,
        True,
        True,
    ]


def test_shared_data_is_encoded_once_and_spliced_into_each_message() -> None:
    # given
    data = SharedData({"pushOperation": {"pushOperationKey": "push-1", "status": "SUCCESS"}})
    messages = [
        {"id": identifier, "type": "next", "payload": {"data": data}}
        for identifier in ("1", 'quote"and\\slash', "ünïcode")
    ]
    # when
    encoded = [encode_message(message) for message in messages]
    # then: each is that message's JSON, built around one encoding of the payload
    assert [orjson.loads(text) for text in encoded] == messages
    assert data.payload_json() is data.payload_json()
    assert all(data.payload_json() in text for text in encoded)


def test_messages_with_errors_or_plain_data_are_encoded_whole() -> None:
    shared = SharedData({"a": 1})
    for message in (
        {"id": "1", "type": "next", "payload": {"data": {"a": 1}}},
        {"id": "1", "type": "next", "payload": {"data": shared, "errors": [{"message": "x"}]}},
        {"type": "connection_ack"},
    ):
        assert encode_message(message) == orjson.dumps(message)


class _Reporting(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        return {"reported": True}


class _Watching(SchemaExtension):
    seen: list[object] = []

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self.seen.append(result)
        yield


async def test_results_pass_the_extensions_that_hook_them_and_only_those() -> None:
    # given
    context = cast(ExecutionContext, type("Ctx", (), {"extensions_results": {"own": 1}})())
    quiet = PerResultHooks(context, [SchemaExtension(), _Reporting()])
    watched = PerResultHooks(context, [SchemaExtension(), _Watching()])
    result = ExecutionResult(data={}, errors=None)
    # when
    reported = await quiet.get_extensions_results(context)
    async with quiet.on_stream_result(result):
        pass
    async with watched.on_stream_result(result):
        pass
    # then
    assert reported == {"reported": True, "own": 1}
    assert _Watching.seen == [result]
