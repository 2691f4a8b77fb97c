"""Maps a Relay window (first/after, last/before) onto the fewest Codat pages."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

CODAT_MAX_PAGE_SIZE = 5000
_CURSOR_PREFIX = "offset:"


class CursorError(ValueError):
    """A cursor that this gateway did not issue."""


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise CursorError(f"invalid cursor {cursor!r}") from exc
    if not text.startswith(_CURSOR_PREFIX) or not text[len(_CURSOR_PREFIX) :].isdigit():
        raise CursorError(f"invalid cursor {cursor!r}")
    return int(text[len(_CURSOR_PREFIX) :])


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open range [start, stop) of records, in the order Codat returns them."""

    start: int
    stop: int

    @property
    def size(self) -> int:
        return max(0, self.stop - self.start)


@dataclass(frozen=True, slots=True)
class PagePlan:
    """One upstream page covering a window: fetch `page` of `page_size`, keep [skip, skip+take)."""

    page: int
    page_size: int
    skip: int
    take: int


def plan_page(window: Window, max_page_size: int = CODAT_MAX_PAGE_SIZE) -> PagePlan:
    """The smallest single page (1-based) that contains the whole window.

    A window [s, s+n) fits in one page of size p when s // p == (s+n-1) // p. Sizes from n up
    are tried; `s + n` always fits (page 1), so an answer exists while s + n <= max_page_size.
    Beyond that `plan_pages` splits the window into consecutive pages.
    """
    n = max(1, window.size)
    s = window.start
    for size in range(n, min(s + n, max_page_size) + 1):
        if s // size == (s + n - 1) // size:
            page = s // size + 1
            return PagePlan(page=page, page_size=size, skip=s - (page - 1) * size, take=window.size)
    raise ValueError("window does not fit one page")


def plan_pages(window: Window, max_page_size: int = CODAT_MAX_PAGE_SIZE) -> list[PagePlan]:
    """Pages covering the window; one page whenever one page can."""
    if window.size == 0:
        return []
    try:
        return [plan_page(window, max_page_size)]
    except ValueError:
        pass
    size = min(max_page_size, max(window.size, 1))
    plans: list[PagePlan] = []
    position = window.start
    while position < window.stop:
        page = position // size + 1
        page_start = (page - 1) * size
        take = min(window.stop, page_start + size) - position
        plans.append(PagePlan(page=page, page_size=size, skip=position - page_start, take=take))
        position += take
    return plans


def forward_window(first: int, after: str | None) -> Window:
    start = decode_cursor(after) + 1 if after is not None else 0
    return Window(start, start + first)


def backward_window(last: int, before: str | None, total: int) -> Window:
    stop = min(decode_cursor(before), total) if before is not None else total
    return Window(max(0, stop - last), stop)
