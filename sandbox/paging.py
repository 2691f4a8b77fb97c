"""Codat's page/pageSize paging and the PagingInfo envelope with relative _links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sandbox.errors import CodatError
from sandbox.fields import Kind
from sandbox.query import select

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 5000


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: page, pageSize, query and orderBy."""

    page: int
    page_size: int
    query: str | None
    order_by: str | None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> PageRequest:
        page = _integer(params, "page", 1)
        page_size = _integer(params, "pageSize", DEFAULT_PAGE_SIZE)
        if page < 1:
            raise CodatError(400, "Page number must be greater than 0.")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise CodatError(400, f"Page size must be between 1 and {MAX_PAGE_SIZE}.")
        return cls(page, page_size, params.get("query") or None, params.get("orderBy") or None)


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise CodatError(400, f"The value '{raw}' is not valid for {name}.") from None


def _href(path: str, extra: Mapping[str, Any], request: PageRequest) -> dict[str, str]:
    params: dict[str, Any] = dict(extra)
    if request.query:
        params["query"] = request.query
    if request.order_by:
        params["orderBy"] = request.order_by
    return {"href": f"{path}?{urlencode(params)}" if params else path}


def paged(
    path: str,
    records: Sequence[Mapping[str, Any]],
    params: Mapping[str, str],
    fields: Mapping[str, Kind],
) -> dict[str, Any]:
    """Filter, order and slice `records`, wrapped in Codat's paging envelope."""
    request = PageRequest.from_params(params)
    chosen = select(records, request.query, request.order_by, fields)
    start = (request.page - 1) * request.page_size
    total = len(chosen)
    links: dict[str, Any] = {
        "self": _href(path, {}, request),
        "current": _href(path, {"page": request.page, "pageSize": request.page_size}, request),
    }
    if start + request.page_size < total:
        links["next"] = _href(
            path, {"page": request.page + 1, "pageSize": request.page_size}, request
        )
    if request.page > 1:
        previous = min(request.page - 1, max(1, -(-total // request.page_size)))
        links["previous"] = _href(path, {"page": previous, "pageSize": request.page_size}, request)
    return {
        "results": list(chosen[start : start + request.page_size]),
        "pageNumber": request.page,
        "pageSize": request.page_size,
        "totalResults": total,
        "_links": links,
    }
