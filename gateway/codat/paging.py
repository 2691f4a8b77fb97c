"""Codat's offset paging (`page`/`pageSize` in, `results`/`totalResults`/`_links` out)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from gateway.codat.models import CodatModel

T = TypeVar("T", bound=BaseModel)

MAX_PAGE_SIZE = 5000
"""Codat's documented `pageSize` maximum (the `PagingInfo` schema says 2000; see notes §4)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a list; `page_number` is 1-based as in Codat."""

    results: tuple[T, ...]
    page_number: int
    page_size: int
    total_results: int
    has_next: bool

    @property
    def page_count(self) -> int:
        return -(-self.total_results // self.page_size) if self.page_size else 0


class _Href(CodatModel):
    href: str | None = None


class _Links(CodatModel):
    next: _Href | None = None


class _PagingInfo(CodatModel):
    page_number: int
    page_size: int
    total_results: int
    links: _Links | None = Field(default=None, alias="_links")


def parse_page(data: Any, model: type[T]) -> Page[T]:
    """Build a `Page` from a decoded Codat list body."""
    info = _PagingInfo.model_validate(data)
    results = tuple(model.model_validate(item) for item in data.get("results") or ())
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
    )


async def iter_pages(
    fetch: Callable[[int], Awaitable[Page[T]]], *, first_page: int = 1
) -> AsyncIterator[Page[T]]:
    """Yield pages from `first_page` on, fetching the next one only when the caller asks for it."""
    number = first_page
    while True:
        page = await fetch(number)
        yield page
        if not page.has_next or not page.results:
            return
        number += 1


async def iter_items(
    fetch: Callable[[int], Awaitable[Page[T]]], *, first_page: int = 1
) -> AsyncIterator[T]:
    """Yield every record across pages, lazily."""
    async for page in iter_pages(fetch, first_page=first_page):
        for item in page.results:
            yield item
