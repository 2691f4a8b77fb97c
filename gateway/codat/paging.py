"""Codat's offset paging (`page`/`pageSize` in, `results`/`totalResults`/`_links` out).

Every walk through pages is bounded and checks the envelope as it goes:

- at most ceil(totalResults / pageSize) pages as the first page states them, and never more
  than `WalkLimits.max_pages` (a list needing more is `CodatTooManyPages` before page 2);
- each page must be the one asked for, hold no more than its `pageSize` nor records beyond
  `totalResults`, and carry no `next` link when its totals make it the last page: otherwise
  `CodatInconsistentPaging` (Prism serving Codat's spec answers "page 1 of 98, next" forever);
- the operation's deadline (`deadline.py`) stops it with `CodatDeadlineExceeded`, mid-call too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, ValidationError

from gateway.codat.config import WalkLimits
from gateway.codat.deadline import Deadline, current_deadline
from gateway.codat.errors import (
    CodatDeadlineExceeded,
    CodatInconsistentPaging,
    CodatInvalidResponse,
    CodatTooManyPages,
)
from gateway.codat.models import CodatModel
from gateway.codat.validation import failing_fields, validate_record

T = TypeVar("T", bound=BaseModel)

MAX_PAGE_SIZE = 5000
"""Codat's documented `pageSize` maximum (the `PagingInfo` schema says 2000; see notes §4)."""

DEFAULT_WALK_LIMITS = WalkLimits()


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a list; `page_number` is 1-based as in Codat."""

    results: tuple[T, ...]
    page_number: int
    page_size: int
    total_results: int
    has_next: bool
    wire_bytes: int = field(default=0, compare=False, repr=False)
    """The size of the body it was parsed from (0: unknown), for the caches' byte bounds."""

    @property
    def page_count(self) -> int:
        return -(-self.total_results // self.page_size) if self.page_size > 0 else 0


class _Href(CodatModel):
    href: str | None = None


class _Links(CodatModel):
    next: _Href | None = None


class _PagingInfo(CodatModel):
    page_number: int
    page_size: int
    total_results: int
    links: _Links | None = Field(default=None, alias="_links")


def parse_page(
    data: Any,
    model: type[T],
    *,
    data_type: str | None = None,
    company_id: str | None = None,
    page: int | None = None,
    wire_bytes: int = 0,
) -> Page[T]:
    """Build a `Page` from a decoded Codat list body, checking it against the spec and itself.

    `page` is the page asked for: an envelope answering another one is `CodatInconsistentPaging`.
    A record that breaks the spec is `CodatInvalidRecord` (data type, record, field).
    """
    what = data_type or "records"
    if not isinstance(data, dict):
        raise CodatInvalidResponse(
            f"Codat answered a list of {what} with a body that is not a paging envelope",
            data_type=data_type,
            company_id=company_id,
        )
    try:
        info = _PagingInfo.model_validate(data)
    except ValidationError as exc:
        raise CodatInvalidResponse(
            f"Codat's paging envelope for {what} breaks its spec: "
            f"field {', '.join(failing_fields(exc))}",
            data_type=data_type,
            company_id=company_id,
        ) from exc
    raw = data.get("results")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise CodatInvalidResponse(
            f"Codat's paging envelope for {what} has `results` that is not a list",
            data_type=data_type,
            company_id=company_id,
        )
    asked = info.page_number if page is None else page

    def inconsistent(problem: str) -> CodatInconsistentPaging:
        return CodatInconsistentPaging(
            f"Codat's paging of {what} contradicts itself: {problem}",
            data_type=data_type,
            page=asked,
            company_id=company_id,
        )

    if page is not None and info.page_number != page:
        raise inconsistent(f"asked for page {page}, it answered page {info.page_number}")
    if info.page_size < 1 or info.total_results < 0:
        raise inconsistent(
            f"page {asked} states pageSize {info.page_size} and totalResults {info.total_results}"
        )
    if len(raw) > info.page_size:
        raise inconsistent(f"page {asked} holds {len(raw)} records, over its pageSize")
    if (info.page_number - 1) * info.page_size + len(raw) > info.total_results:
        raise inconsistent(
            f"page {asked} of pageSize {info.page_size} holds {len(raw)} records, past its "
            f"totalResults {info.total_results}"
        )
    results = tuple(
        validate_record(model, item, data_type=data_type, company_id=company_id, index=index)
        for index, item in enumerate(raw)
    )
    if info.links is not None:
        # Codat omits `_links.next` on the last page; trust it when the links are there.
        has_next = info.links.next is not None
    else:
        has_next = info.page_number * info.page_size < info.total_results
    return Page(
        results=results,
        page_number=info.page_number,
        page_size=info.page_size,
        total_results=info.total_results,
        has_next=has_next,
        wire_bytes=wire_bytes,
    )


async def iter_pages(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    first_page: int = 1,
    limits: WalkLimits = DEFAULT_WALK_LIMITS,
    data_type: str | None = None,
    company_id: str | None = None,
) -> AsyncIterator[Page[T]]:
    """Yield pages from `first_page` on, fetching the next one only when the caller asks for it.

    Bounded as the module says: pages by the first page's totals and `limits.max_pages`, time by
    the operation's deadline (or `limits.deadline_seconds` from now when there is none).
    """
    what = data_type or "records"
    deadline = current_deadline() or Deadline.after(limits.deadline_seconds)
    last_page: int | None = None
    number = first_page
    read = 0

    def inconsistent(problem: str) -> CodatInconsistentPaging:
        return CodatInconsistentPaging(
            f"Codat's paging of {what} contradicts itself: {problem}",
            data_type=data_type,
            page=number,
            company_id=company_id,
        )

    while True:
        page = await _before(deadline, fetch(number), what, read, data_type, company_id)
        read += 1
        if page.page_number != number:
            raise inconsistent(f"asked for page {number}, it answered page {page.page_number}")
        if last_page is None:
            last_page = max(page.page_count, first_page)
            pages = last_page - first_page + 1
            if pages > limits.max_pages:
                raise CodatTooManyPages(
                    f"reading every {what} would take {pages} pages of {page.page_size} "
                    f"({page.total_results} records); at most {limits.max_pages} are read",
                    data_type=data_type,
                    pages=pages,
                    max_pages=limits.max_pages,
                    company_id=company_id,
                )
        if page.has_next and number >= last_page:
            raise inconsistent(
                f"page {number} has a next link, but the first page's totalResults and pageSize "
                f"make page {last_page} the last"
            )
        if page.has_next and not page.results:
            raise inconsistent(f"page {number} is empty and has a next link")
        yield page
        if not page.has_next or not page.results:
            return
        number += 1


async def _before(
    deadline: Deadline,
    call: Awaitable[Page[T]],
    what: str,
    read: int,
    data_type: str | None,
    company_id: str | None,
) -> Page[T]:
    """Await one page within the deadline; past it, a `CodatDeadlineExceeded` (call cancelled)."""

    def late() -> CodatDeadlineExceeded:
        return CodatDeadlineExceeded(
            f"reading {what} was stopped after {read} pages: the operation's "
            f"{deadline.seconds:g} s upstream deadline passed",
            data_type=data_type,
            seconds=deadline.seconds,
            pages_read=read,
            company_id=company_id,
        )

    remaining = deadline.remaining()
    if remaining <= 0:
        if asyncio.iscoroutine(call):
            call.close()
        raise late()
    timer = asyncio.timeout(remaining)
    try:
        async with timer:
            return await call
    except TimeoutError:
        if timer.expired():
            raise late() from None
        raise


async def iter_items(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    first_page: int = 1,
    limits: WalkLimits = DEFAULT_WALK_LIMITS,
    data_type: str | None = None,
    company_id: str | None = None,
) -> AsyncIterator[T]:
    """Yield every record across pages, lazily (bounded as `iter_pages` is)."""
    async for page in iter_pages(
        fetch, first_page=first_page, limits=limits, data_type=data_type, company_id=company_id
    ):
        for item in page.results:
            yield item
