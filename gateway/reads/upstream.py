"""Reads from Codat through the process cache: the one door the loaders go through."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

from gateway.codat import CodatClient, Page, iter_items
from gateway.codat.datatypes import readable
from gateway.codat.errors import CodatNotFound, CodatRateLimited
from gateway.codat.models import (
    Attachment,
    BankAccount,
    Company,
    CompanyInfo,
    Connection,
    DataStatus,
    DataType,
    PullOperation,
    PushOperation,
    PushOption,
)
from gateway.codat.query import id_chunks
from gateway.codat.types import CompanyId, ConnectionId
from gateway.reads import codec
from gateway.reads.cache import ALL_COMPANIES, CacheKey, UpstreamCache, note_dependency
from gateway.reads.codec import Codec
from gateway.reads.shared import SharedCache
from gateway.reads.stale import StaleCopies, StaleNote, note_stale_read

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
    """Codat reads, each cached under a key typed by company, data type and request: in this
    process (`cache`), then in Redis for every replica (`shared`, when there is one)."""

    def __init__(
        self,
        client: CodatClient,
        cache: UpstreamCache,
        stale: StaleCopies | None = None,
        shared: SharedCache | None = None,
    ) -> None:
        self.client = client
        self.cache = cache
        self.stale = StaleCopies() if stale is None else stale
        """Past answers, for when Codat's rate limit refuses a read (`gateway/reads/stale.py`)."""
        self.shared = shared

    async def _cached(
        self,
        company_id: str,
        scope: str,
        request: tuple[Any, ...],
        fetch: Callable[[], Awaitable[T]],
        shape: Codec[T],
        index: Callable[[T], Iterable[tuple[tuple[Hashable, ...], Any]]] | None = None,
    ) -> T:
        """`shape` says how the value is kept in the shared cache (`gateway/reads/codec.py`)."""
        note_dependency(company_id, scope)
        key = CacheKey(company_id, scope, request)
        shared = self.shared

        async def fetch_and_keep() -> T:
            value = await (fetch() if shared is None else shared.through(key, shape, fetch))
            self.stale.keep(key, value)
            return value

        try:
            return await self.cache.get_or_fetch(key, fetch_and_keep, index)
        except CodatRateLimited as limited:
            kept = self.stale.get(key)
            if kept is None:
                raise
            age, value = kept
            note_stale_read(StaleNote(company_id, scope, age, limited.retry_after))
            stale_value: T = value
            return stale_value

    def cached_record(self, company_id: CompanyId, data_type: DataType, record_id: str) -> Any:
        """A record this process holds (from any list, page or get), ABSENT, or None (unknown)."""
        note_dependency(company_id, data_type.value)
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
            codec.page(Company),
        )

    async def company(self, company_id: CompanyId) -> Company:
        return await self._cached(
            company_id,
            COMPANIES,
            ("get",),
            lambda: self.client.get_company(company_id),
            codec.one(Company),
        )

    async def connections(self, company_id: CompanyId) -> list[Connection]:
        async def fetch() -> list[Connection]:
            def page(number: int) -> Awaitable[Page[Connection]]:
                return self.client.list_connections(
                    company_id, page=number, page_size=WHOLE_SET_PAGE_SIZE
                )

            walk = iter_items(
                page, limits=self.client.config.walks, data_type=CONNECTIONS, company_id=company_id
            )
            return [connection async for connection in walk]

        return await self._cached(
            company_id, CONNECTIONS, ("all",), fetch, codec.listed(Connection)
        )

    async def company_info(self, company_id: CompanyId) -> CompanyInfo:
        return await self._cached(
            company_id,
            COMPANY_INFO,
            ("get",),
            lambda: self.client.get_company_info(company_id),
            codec.one(CompanyInfo),
        )

    async def data_status(self, company_id: CompanyId) -> dict[str, DataStatus | None]:
        return await self._cached(
            company_id,
            DATA_STATUS,
            ("get",),
            lambda: self.client.get_data_status(company_id),
            codec.by_name(DataStatus),
        )

    async def bill_attachments(
        self, company_id: CompanyId, connection_id: ConnectionId, bill_id: str
    ) -> list[Attachment]:
        """A bill's attachments, read live per connection; a write to bills evicts them."""
        return await self._cached(
            company_id,
            DataType.BILLS.value,
            ("attachments", connection_id, bill_id),
            lambda: self.client.list_bill_attachments(company_id, connection_id, bill_id),
            codec.listed(Attachment),
        )

    async def push_options(
        self, company_id: CompanyId, connection_id: ConnectionId, data_type: DataType
    ) -> PushOption:
        """The create/update model of `data_type`; its allowed values follow the reference data,
        so it is evicted with the chart of accounts."""
        return await self._cached(
            company_id,
            DataType.CHART_OF_ACCOUNTS.value,
            ("options", connection_id, data_type.value),
            lambda: self.client.get_push_options(company_id, connection_id, data_type),
            codec.one(PushOption),
        )

    async def connection_bank_accounts(
        self, company_id: CompanyId, connection_id: ConnectionId, page_size: int
    ) -> Page[BankAccount]:
        """A connection's bank accounts (first `page_size`), with their bank fields."""
        return await self._cached(
            company_id,
            DataType.BANK_ACCOUNTS.value,
            ("connection", connection_id, page_size),
            lambda: self.client.list_connection_bank_accounts(
                company_id, connection_id, page_size=page_size
            ),
            codec.page(BankAccount),
        )

    async def pull_operations(self, company_id: CompanyId, page_size: int) -> Page[PullOperation]:
        """The company's latest datasets (sync history); changes with every sync, never cached."""
        return await self.client.list_pull_operations(
            company_id, page_size=page_size, order_by="-requested"
        )

    async def push_operation(self, company_id: CompanyId, key: str) -> PushOperation:
        return await self._cached(
            company_id,
            PUSH_OPERATIONS,
            ("get", key),
            lambda: self.client.get_push_operation(company_id, key),
            codec.one(PushOperation),
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
            codec.page(PushOperation),
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
            codec.page(readable(data_type).list_model),
            lambda page: _index_records(page.results),
        )

    async def records_by_id(
        self, company_id: CompanyId, data_type: DataType, ids: list[str]
    ) -> dict[str, Any]:
        """The records of these ids that exist: one get for one id, else OR-chains of ids.

        Found records and the ids Codat does not have are both remembered (the latter as
        ABSENT), so repeating the lookup costs no upstream call until a webhook evicts them.
        """
        if len(ids) == 1:
            record = await self._one(company_id, data_type, ids[0])
            return {} if record is ABSENT else {ids[0]: record}
        pages = await asyncio.gather(
            *(self._chunk(company_id, data_type, query, chunk) for query, chunk in _id_chunks(ids))
        )
        wanted = set(ids)
        return {r.id: r for page in pages for r in page.results if r.id in wanted}

    async def _chunk(
        self, company_id: CompanyId, data_type: DataType, query: str, chunk: list[str]
    ) -> Page[Any]:
        # Cached like any page of the same query, so `records_page` callers share it.
        return await self._cached(
            company_id,
            data_type.value,
            ("page", 1, len(chunk), query, None),
            lambda: self.client.list_records(
                data_type, company_id, page=1, page_size=len(chunk), query=query
            ),
            codec.page(readable(data_type).list_model),
            lambda page: _index_records(page.results, expected=chunk),
        )

    async def _one(self, company_id: CompanyId, data_type: DataType, record_id: str) -> Any:
        async def fetch() -> Any:
            try:
                return await self.client.get_record(data_type, company_id, record_id)
            except CodatNotFound:
                return ABSENT

        # Tracking categories fetch as trees but list flat; only same-shaped records are indexed.
        same_shape = readable(data_type).list_model is readable(data_type).get_model
        return await self._cached(
            company_id,
            data_type.value,
            ("get", record_id),
            fetch,
            codec.one(readable(data_type).get_model, absent=ABSENT),
            lambda found: [(_by_id(record_id), found)] if same_shape or found is ABSENT else [],
        )

    async def whole_set(
        self, company_id: CompanyId, data_type: DataType, query: str | None = None
    ) -> list[Any]:
        """Every record of a data type matching `query`, in Codat's largest pages.

        Bounded (`gateway/codat/paging.py`): at most the pages the first page's totals allow and
        `CODAT_MAX_PAGES_PER_LIST`, within the operation's deadline.
        """

        async def fetch() -> list[Any]:
            def page(number: int) -> Awaitable[Page[Any]]:
                return self.client.list_records(
                    data_type, company_id, page=number, page_size=WHOLE_SET_PAGE_SIZE, query=query
                )

            walk = iter_items(
                page,
                limits=self.client.config.walks,
                data_type=data_type.value,
                company_id=company_id,
            )
            return [record async for record in walk]

        return await self._cached(
            company_id,
            data_type.value,
            ("all", query),
            fetch,
            codec.listed(readable(data_type).list_model),
            _index_records,
        )


def _by_id(record_id: str) -> tuple[Hashable, ...]:
    return ("id", record_id)


def _index_records(
    records: Iterable[Any], expected: Iterable[str] = ()
) -> Iterator[tuple[tuple[Hashable, ...], Any]]:
    """Each record under its id, and each expected id that did not come back as ABSENT."""
    seen: set[str] = set()
    for record in records:
        seen.add(record.id)
        yield _by_id(record.id), record
    for record_id in expected:
        if record_id not in seen:
            yield _by_id(record_id), ABSENT


def _id_chunks(ids: list[str]) -> Iterator[tuple[str, list[str]]]:
    """OR-chain queries of ids that fit Codat's limit, each with the ids it asks for.

    `id_chunks` keeps the ids' order, drops duplicates and puts each id in exactly one chunk, a
    run of consecutive ids; ids never contain `||` (the builder refuses such values), so a
    chunk's clause count tells which ids it holds.
    """
    unique = list(dict.fromkeys(ids))
    start = 0
    for query in id_chunks("id", unique):
        count = query.count("||") + 1
        yield query, unique[start : start + count]
        start += count


class _Absent:
    """The marker for "Codat has no record with this id" in the cache."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
