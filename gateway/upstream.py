"""Reads from Codat through the process cache: the one door the loaders go through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

from gateway.cache import ALL_COMPANIES, CacheKey, UpstreamCache
from gateway.codat import CodatClient, Page
from gateway.codat.datatypes import readable
from gateway.codat.models import (
    Company,
    CompanyInfo,
    Connection,
    DataStatus,
    DataType,
    PushOperation,
)
from gateway.codat.types import CompanyId

T = TypeVar("T")

WHOLE_SET_PAGE_SIZE = 5000
"""Codat's largest page: reference sets (tax rates, accounts, ...) are read in one call."""

# Cache scopes that are not Codat data types; webhooks about a company evict them by these names.
COMPANIES = "companies"
CONNECTIONS = "connections"
DATA_STATUS = "dataStatus"
PUSH_OPERATIONS = "pushOperations"
COMPANY_INFO = DataType.COMPANY.value


class Upstream:
    """Codat reads, each cached under a key typed by company, data type and request."""

    def __init__(self, client: CodatClient, cache: UpstreamCache) -> None:
        self.client = client
        self.cache = cache

    async def _cached(
        self,
        company_id: str,
        scope: str,
        request: tuple[Any, ...],
        fetch: Callable[[], Awaitable[T]],
        index: Callable[[T], Iterable[tuple[tuple[Hashable, ...], Any]]] | None = None,
    ) -> T:
        return await self.cache.get_or_fetch(CacheKey(company_id, scope, request), fetch, index)

    def cached_record(self, company_id: CompanyId, data_type: DataType, record_id: str) -> Any:
        """A record this process already holds (from any list, page or get), or None."""
        return self.cache.lookup(CacheKey(company_id, data_type.value, _by_id(record_id)))

    async def companies_page(
        self, *, page: int, page_size: int, query: str | None, order_by: str | None
    ) -> Page[Company]:
        return await self._cached(
            ALL_COMPANIES,
            COMPANIES,
            ("page", page, page_size, query, order_by),
            lambda: self.client.list_companies(
                page=page, page_size=page_size, query=query, order_by=order_by
            ),
        )

    async def company(self, company_id: CompanyId) -> Company:
        return await self._cached(
            company_id, COMPANIES, ("get",), lambda: self.client.get_company(company_id)
        )

    async def connections(self, company_id: CompanyId) -> list[Connection]:
        async def fetch() -> list[Connection]:
            connections: list[Connection] = []
            page_number = 1
            while True:
                page = await self.client.list_connections(
                    company_id, page=page_number, page_size=WHOLE_SET_PAGE_SIZE
                )
                connections.extend(page.results)
                if not page.has_next:
                    return connections
                page_number += 1

        return await self._cached(company_id, CONNECTIONS, ("all",), fetch)

    async def company_info(self, company_id: CompanyId) -> CompanyInfo:
        return await self._cached(
            company_id, COMPANY_INFO, ("get",), lambda: self.client.get_company_info(company_id)
        )

    async def data_status(self, company_id: CompanyId) -> dict[str, DataStatus | None]:
        return await self._cached(
            company_id, DATA_STATUS, ("get",), lambda: self.client.get_data_status(company_id)
        )

    async def push_operation(self, company_id: CompanyId, key: str) -> PushOperation:
        return await self._cached(
            company_id,
            PUSH_OPERATIONS,
            ("get", key),
            lambda: self.client.get_push_operation(company_id, key),
        )

    async def push_operations_page(
        self,
        company_id: CompanyId,
        *,
        page: int,
        page_size: int,
        query: str | None,
        order_by: str | None,
    ) -> Page[PushOperation]:
        return await self._cached(
            company_id,
            PUSH_OPERATIONS,
            ("page", page, page_size, query, order_by),
            lambda: self.client.list_push_operations(
                company_id, page=page, page_size=page_size, query=query, order_by=order_by
            ),
        )

    async def records_page(
        self,
        company_id: CompanyId,
        data_type: DataType,
        *,
        page: int,
        page_size: int,
        query: str | None,
        order_by: str | None,
    ) -> Page[Any]:
        return await self._cached(
            company_id,
            data_type.value,
            ("page", page, page_size, query, order_by),
            lambda: self.client.list_records(
                data_type,
                company_id,
                page=page,
                page_size=page_size,
                query=query,
                order_by=order_by,
            ),
            lambda page: _index_records(page.results),
        )

    async def record(self, company_id: CompanyId, data_type: DataType, record_id: str) -> Any:
        # Tracking categories fetch as trees but list flat; only same-shaped records are indexed.
        same_shape = readable(data_type).list_model is readable(data_type).get_model
        return await self._cached(
            company_id,
            data_type.value,
            ("get", record_id),
            lambda: self.client.get_record(data_type, company_id, record_id),
            (lambda record: _index_records([record])) if same_shape else None,
        )

    async def whole_set(
        self, company_id: CompanyId, data_type: DataType, query: str | None = None
    ) -> list[Any]:
        """Every record of a data type matching `query`, in Codat's largest pages."""

        async def fetch() -> list[Any]:
            records: list[Any] = []
            page_number = 1
            while True:
                page = await self.client.list_records(
                    data_type,
                    company_id,
                    page=page_number,
                    page_size=WHOLE_SET_PAGE_SIZE,
                    query=query,
                )
                records.extend(page.results)
                if not page.has_next:
                    return records
                page_number += 1

        return await self._cached(
            company_id, data_type.value, ("all", query), fetch, _index_records
        )


def _by_id(record_id: str) -> tuple[Hashable, ...]:
    return ("id", record_id)


def _index_records(records: Iterable[Any]) -> Iterator[tuple[tuple[Hashable, ...], Any]]:
    """Each record under its id, so lookups by id are answered from what lists brought in."""
    for record in records:
        yield _by_id(record.id), record
