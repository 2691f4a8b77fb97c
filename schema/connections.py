"""The one Relay connection: a window of a Codat list, paged by offsets in opaque cursors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypedDict, Unpack

import strawberry
from strawberry import relay
from strawberry.relay import NodeType

from gateway.reads.loaders import ListRequest, Slice
from gateway.reads.pagination import Window, decode_cursor, encode_cursor, forward_window
from schema.context import Info
from schema.errors import UserInputError
from schema.planner import prefetch_whole_sets

DEFAULT_PAGE_SIZE = 50
"""How many records a connection returns when neither `first` nor `last` is given."""


@strawberry.type(name="Connection", description="A page of a list, with cursors to move on.")
class Connection(relay.Connection[NodeType]):
    total_count: int = strawberry.field(
        description="How many records the whole list holds (after its filter)."
    )
    nodes: list[NodeType] = strawberry.field(description="The page's records, without cursors.")


FetchWindow = Callable[[Window], Awaitable[Slice[Any]]]
CountAll = Callable[[], Awaitable[int]]


def _page_size(name: str, value: int | None, info: Info) -> int | None:
    if value is None:
        return None
    limit = info.context.max_page_size
    if value < 0 or value > limit:
        raise UserInputError(f"{name} must be between 0 and {limit}, not {value}")
    return value


def _offset(name: str, cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError:
        raise UserInputError(f"{name}: {cursor!r} is not a cursor from this list") from None


class PageArgs(TypedDict):
    """A Relay connection's paging arguments, as its resolver takes them."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None


async def window_for(info: Info, count: CountAll, **page: Unpack[PageArgs]) -> Window:
    """The half-open window the arguments select; `last` without `before` counts the list."""
    after, before = page["after"], page["before"]
    first = _page_size("first", page["first"], info)
    last = _page_size("last", page["last"], info)
    if first is not None and last is not None:
        raise UserInputError("give first or last, not both")
    after_offset = _offset("after", after)
    before_offset = _offset("before", before)
    if last is None:
        window = forward_window(first if first is not None else DEFAULT_PAGE_SIZE, after)
        if before_offset is not None:
            window = Window(window.start, min(window.stop, before_offset))
        return window
    stop = before_offset if before_offset is not None else await count()
    start = max(0, stop - last)
    if after_offset is not None:
        start = max(start, after_offset + 1)
    return Window(start, max(start, stop))


def build_connection(
    window: Window, page: Slice[Any], wrap: Callable[[Any], NodeType]
) -> Connection[NodeType]:
    """The connection for the records Codat returned for `window` (fewer at the list's end)."""
    nodes = [wrap(record) for record in page.records]
    edges = [
        relay.Edge(cursor=encode_cursor(window.start + index), node=node)
        for index, node in enumerate(nodes)
    ]
    return Connection(
        page_info=relay.PageInfo(
            has_previous_page=window.start > 0 and page.total > 0,
            has_next_page=window.start + len(nodes) < page.total,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        edges=edges,
        total_count=page.total,
        nodes=nodes,
    )


async def paginate(
    info: Info,
    fetch: FetchWindow,
    count: CountAll,
    wrap: Callable[[Any], NodeType],
    **page: Unpack[PageArgs],
) -> Connection[NodeType]:
    """A connection over any list the loaders can window and count."""
    window = await window_for(info, count, **page)
    return build_connection(window, await fetch(window), wrap)


async def paginate_list(
    info: Info,
    request: ListRequest,
    wrap: Callable[[Any], NodeType],
    **page: Unpack[PageArgs],
) -> Connection[NodeType]:
    """A connection over one data type's list of one company (`loaders.slice`).

    The whole reference sets its records' edges will need start now, with the list.
    """
    loaders = info.context.loaders
    prefetch_whole_sets(info, request.company_id)

    async def fetch(window: Window) -> Slice[Any]:
        return await loaders.slice(request, window)

    async def count() -> int:
        return await loaders.count(request)

    return await paginate(info, fetch, count, wrap, **page)
