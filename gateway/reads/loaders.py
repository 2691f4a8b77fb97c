"""Per-request DataLoaders: every edge batched, deduplicated and fetched level by level.

They are also the one place where a caller's company scope is enforced for reads: a company the
principal may not use behaves exactly as one that does not exist (no upstream call is made).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader
from pydantic import BaseModel

from gateway.codat import Page
from gateway.codat.datatypes import readable
from gateway.codat.errors import CodatNotFound, CodatQueryError
from gateway.codat.models import (
    Attachment,
    Company,
    CompanyInfo,
    Connection,
    ConnectionStatus,
    DataStatus,
    DataType,
    PushOperation,
    SourceType,
)
from gateway.codat.types import CompanyId
from gateway.errors import NoLinkedConnectionError
from gateway.reads.pagination import PagePlan, Window, plan_pages
from gateway.reads.upstream import ABSENT, Upstream
from gateway.tenancy import ANONYMOUS, CompanyNotAllowedError, Principal, authorize_company
from gateway.writes.pending import PendingPayment, PendingPayments

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

WHOLE_SET_TYPES = frozenset(
    {
        DataType.CHART_OF_ACCOUNTS,
        DataType.TAX_RATES,
        DataType.PAYMENT_METHODS,
        DataType.TRACKING_CATEGORIES,
    }
)
"""Small reference sets: one fetch of the whole set answers every lookup by id in it."""

RecordKey = tuple[CompanyId, str]

MISSING: Any = object()
"""What `peek` returns when a record is not in memory yet (None means "no such record")."""


@dataclass(frozen=True, slots=True)
class ListRequest:
    """One filtered, ordered list of one data type of one company."""

    company_id: CompanyId
    data_type: DataType
    query: str | None = None
    order_by: str | None = None


@dataclass(frozen=True, slots=True)
class Slice(Generic[T]):
    """The records of a window that exist, and how many the whole list holds."""

    records: list[T]
    total: int


@dataclass(frozen=True, slots=True)
class _PageKey:
    request: ListRequest
    page: int
    page_size: int


def _ordered_unique(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))


async def _settle(calls: Iterable[Awaitable[T]]) -> list[T | BaseException]:
    """Await calls together, each key keeping its own outcome.

    aiodataloader rejects only the keys whose result is an exception, so one company's failure
    (a 409 while it syncs, say) leaves the other companies in the same batch intact.
    """
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def _window(window: Window, fetch: Callable[[PagePlan], Awaitable[Page[M]]]) -> Slice[M]:
    """The records in `window`, from the fewest upstream pages that cover it.

    An empty window still reads one one-record page, for the list's total.
    """
    plans = plan_pages(window) or [PagePlan(page=1, page_size=1, skip=0, take=0)]
    pages = await asyncio.gather(*(fetch(plan) for plan in plans))
    records = [
        record
        for plan, page in zip(plans, pages, strict=True)
        for record in page.results[plan.skip : plan.skip + plan.take]
    ]
    return Slice(records, pages[0].total_results)


class _CompanyLoader(DataLoader[CompanyId, Company | None]):
    def __init__(self, upstream: Upstream, principal: Principal) -> None:
        super().__init__()
        self._upstream = upstream
        self._principal = principal

    async def batch_load_fn(self, keys: list[CompanyId]) -> list[Company | None]:
        # Codat has no batch read of companies (its query language does not apply to them).
        return await _settle(self._one(key) for key in keys)  # type: ignore[return-value]

    async def _one(self, company_id: CompanyId) -> Company | None:
        if not _allowed(self._principal, company_id):
            return None
        try:
            return await self._upstream.company(company_id)
        except CodatNotFound:
            return None


class _PerCompanyLoader(DataLoader[CompanyId, T]):
    """One upstream read per company, all companies of a level at once."""

    def __init__(self, read: Callable[[CompanyId], Awaitable[T]], principal: Principal) -> None:
        super().__init__()
        self._read = read
        self._principal = principal

    async def batch_load_fn(self, keys: list[CompanyId]) -> list[T]:
        return await _settle(self._one(key) for key in keys)  # type: ignore[return-value]

    async def _one(self, company_id: CompanyId) -> T:
        _check(self._principal, company_id)
        return await self._read(company_id)


class _PushOperationLoader(DataLoader[tuple[CompanyId, str], PushOperation | None]):
    def __init__(self, upstream: Upstream, principal: Principal) -> None:
        super().__init__()
        self._upstream = upstream
        self._principal = principal

    async def batch_load_fn(self, keys: list[tuple[CompanyId, str]]) -> list[PushOperation | None]:
        return await _settle(self._one(*key) for key in keys)  # type: ignore[return-value]

    async def _one(self, company_id: CompanyId, key: str) -> PushOperation | None:
        if not _allowed(self._principal, company_id):
            return None
        try:
            return await self._upstream.push_operation(company_id, key)
        except CodatNotFound:
            return None


def accounting_connection(connections: Sequence[Connection]) -> Connection | None:
    """The connection a company's bills live behind: a linked accounting one, if any."""
    linked = [c for c in connections if c.status is ConnectionStatus.Linked]
    accounting = [c for c in linked if c.source_type is SourceType.Accounting]
    preferred = accounting or linked
    return preferred[0] if preferred else None


class _AttachmentsLoader(DataLoader[RecordKey, list[Attachment]]):
    """A bill's attachments: Codat lists them per bill, behind the company's connection."""

    def __init__(
        self, upstream: Upstream, connections: _PerCompanyLoader[list[Connection]]
    ) -> None:
        super().__init__()
        self._upstream = upstream
        self._connections = connections

    async def batch_load_fn(self, keys: list[RecordKey]) -> list[list[Attachment]]:
        return await _settle(self._one(*key) for key in keys)  # type: ignore[return-value]

    async def _one(self, company_id: CompanyId, bill_id: str) -> list[Attachment]:
        connection = accounting_connection(await self._connections.load(company_id))
        if connection is None:
            raise NoLinkedConnectionError(company_id)
        return await self._upstream.bill_attachments(company_id, connection.id, bill_id)


class _PageLoader(DataLoader[_PageKey, Page[Any]]):
    def __init__(self, upstream: Upstream) -> None:
        super().__init__()
        self._upstream = upstream

    async def batch_load_fn(self, keys: list[_PageKey]) -> list[Page[Any]]:
        return await _settle(self._one(key) for key in keys)  # type: ignore[return-value]

    async def _one(self, key: _PageKey) -> Page[Any]:
        request = key.request
        return await self._upstream.records_page(
            request.company_id,
            request.data_type,
            page=key.page,
            page_size=key.page_size,
            query=request.query,
            order_by=request.order_by,
        )


class _WholeSetLoader(DataLoader[ListRequest, list[Any]]):
    def __init__(self, upstream: Upstream) -> None:
        super().__init__()
        self._upstream = upstream

    async def batch_load_fn(self, keys: list[ListRequest]) -> list[list[Any]]:
        return await _settle(  # type: ignore[return-value]
            self._upstream.whole_set(k.company_id, k.data_type, k.query) for k in keys
        )


class RecordByIdLoader(DataLoader[RecordKey, Any]):
    """Records of one data type by (company, id): one call per company for everything asked at once.

    Reference sets come whole; other types come as OR-chains of ids split to fit Codat's query
    length limit; a single id is one get.
    """

    def __init__(
        self,
        upstream: Upstream,
        data_type: DataType,
        whole_sets: _WholeSetLoader,
        principal: Principal = ANONYMOUS,
    ) -> None:
        self.futures: dict[RecordKey, asyncio.Future[Any]] = {}
        super().__init__(cache_map=self.futures)
        self._upstream = upstream
        self._data_type = data_type
        self._whole_sets = whole_sets
        self._principal = principal

    def peek(self, key: RecordKey) -> Any:
        """The record if this request or this process already holds it, else MISSING."""
        if not _allowed(self._principal, key[0]):
            return None  # as for a company that does not exist: no such record
        future = self.futures.get(key)
        if future is not None:
            if future.done() and not future.cancelled() and future.exception() is None:
                return future.result()
            return MISSING
        record = self._upstream.cached_record(key[0], self._data_type, key[1])
        if record is None:
            return MISSING
        if record is ABSENT:
            record = None
        self.prime(key, record)
        return record

    async def batch_load_fn(self, keys: list[RecordKey]) -> list[Any]:
        wanted: dict[CompanyId, list[str]] = {}
        for company_id, record_id in keys:
            if _allowed(self._principal, company_id):
                wanted.setdefault(company_id, []).append(record_id)
        found: dict[RecordKey, Any] = {}
        outcomes = await _settle(
            self._fetch(company_id, _ordered_unique(ids), found)
            for company_id, ids in wanted.items()
        )
        failed = {
            company_id: outcome
            for company_id, outcome in zip(wanted, outcomes, strict=True)
            # A company Codat does not know has no records, as one the caller may not use.
            if isinstance(outcome, BaseException) and not isinstance(outcome, CodatNotFound)
        }
        return [failed.get(key[0]) or found.get(key) for key in keys]

    async def _fetch(
        self, company_id: CompanyId, ids: list[str], found: dict[RecordKey, Any]
    ) -> None:
        missing: list[str] = []
        for record_id in ids:
            held = self._upstream.cached_record(company_id, self._data_type, record_id)
            if held is None:
                missing.append(record_id)
            elif held is not ABSENT:
                found[(company_id, record_id)] = held
        if not missing:
            return
        if self._data_type in WHOLE_SET_TYPES:
            records = await self._whole_sets.load(ListRequest(company_id, self._data_type))
            wanted = set(missing)
            for record in records:
                if record.id in wanted:
                    found[(company_id, record.id)] = record
            return
        fetched = await self._upstream.records_by_id(company_id, self._data_type, missing)
        for record_id, record in fetched.items():
            found[(company_id, record_id)] = record


class Loaders:
    """One set per GraphQL request: loaders memoise for the request; the cache is per process."""

    def __init__(
        self,
        upstream: Upstream,
        principal: Principal = ANONYMOUS,
        pending: PendingPayments | None = None,
    ) -> None:
        self._upstream = upstream
        self.principal = principal
        self.pending_payments: _PerCompanyLoader[dict[str, list[PendingPayment]]] = (
            _PerCompanyLoader(
                pending.for_company if pending is not None else _nothing_pending, principal
            )
        )
        self.companies = _CompanyLoader(upstream, principal)
        self.company_info: _PerCompanyLoader[CompanyInfo] = _PerCompanyLoader(
            upstream.company_info, principal
        )
        self.connections: _PerCompanyLoader[list[Connection]] = _PerCompanyLoader(
            upstream.connections, principal
        )
        self.data_status: _PerCompanyLoader[dict[str, DataStatus | None]] = _PerCompanyLoader(
            upstream.data_status, principal
        )
        self.push_operations = _PushOperationLoader(upstream, principal)
        self.bill_attachments = _AttachmentsLoader(upstream, self.connections)
        self._pages = _PageLoader(upstream)
        self._whole_sets = _WholeSetLoader(upstream)
        self._records: dict[DataType, RecordByIdLoader] = {}

    @property
    def upstream(self) -> Upstream:
        """For reads with no loader, under a company the caller was already allowed (a field of
        a `Company` or its `Connection`, which only an allowed company's resolvers reach)."""
        return self._upstream

    def records(self, data_type: DataType) -> RecordByIdLoader:
        loader = self._records.get(data_type)
        if loader is None:
            loader = RecordByIdLoader(self._upstream, data_type, self._whole_sets, self.principal)
            self._records[data_type] = loader
        return loader

    def prefetch_whole_sets(self, company_id: CompanyId, data_types: Iterable[DataType]) -> None:
        """Start reading these whole reference sets of the company now, without waiting.

        A list whose records will look up accounts or tax rates calls this as it starts, so the
        sets (which depend only on the company) come in the list's wave rather than after it;
        the lookups then find them in this request's loader. Nothing is read for a company the
        caller may not use; a failure is left for the lookups that await the set to report.
        """
        if not _allowed(self.principal, company_id):
            return
        for data_type in data_types:
            if data_type in WHOLE_SET_TYPES:
                future = self._whole_sets.load(ListRequest(company_id, data_type))
                future.add_done_callback(_observed)

    async def slice(self, request: ListRequest, window: Window) -> Slice[Any]:
        """The records in `window` of the list, from the fewest upstream pages that cover it."""
        _check(self.principal, request.company_id)
        if window.size == 0:
            return Slice([], await self.count(request))
        found = await _window(
            window, lambda plan: self._pages.load(_PageKey(request, plan.page, plan.page_size))
        )
        self._prime(request, found.records)
        return found

    async def count(self, request: ListRequest) -> int:
        _check(self.principal, request.company_id)
        page = await self._pages.load(_PageKey(request, 1, 1))
        self._prime(request, page.results)
        return page.total_results

    async def all(self, request: ListRequest) -> list[Any]:
        """Every record matching the request (paged through in Codat's largest pages)."""
        _check(self.principal, request.company_id)
        records = await self._whole_sets.load(request)
        self._prime(request, records)
        return records

    async def companies_slice(
        self, window: Window, query: str | None = None, order_by: str | None = None
    ) -> Slice[Company]:
        if self.principal.companies is not None:
            if query is not None:
                # Applying it would mean listing every company, others' included: refuse rather
                # than silently ignore the filter.
                raise CodatQueryError(
                    "a raw query on companies is not available to callers limited to some "
                    "companies; list them without one"
                )
            return await self._allowed_companies_slice(self.principal.companies, window, order_by)
        found: Slice[Company] = await _window(
            window,
            lambda plan: self._upstream.companies_page(
                page=plan.page, page_size=plan.page_size, query=query, order_by=order_by
            ),
        )
        for company in found.records:
            self.companies.prime(CompanyId(company.id), company)
        return found

    async def push_operations_slice(
        self,
        company_id: CompanyId,
        window: Window,
        query: str | None = None,
        order_by: str | None = None,
    ) -> Slice[PushOperation]:
        """A window of the company's push operation history (newest first unless ordered)."""
        _check(self.principal, company_id)
        found: Slice[PushOperation] = await _window(
            window,
            lambda plan: self._upstream.push_operations_page(
                company_id,
                page=plan.page,
                page_size=plan.page_size,
                query=query,
                order_by=order_by,
            ),
        )
        for operation in found.records:
            self.push_operations.prime((company_id, operation.push_operation_key), operation)
        return found

    async def _allowed_companies_slice(
        self, allowed: frozenset[str], window: Window, order_by: str | None
    ) -> Slice[Company]:
        """A restricted caller's companies: read one by one through the companies loader, never
        by listing every company (whose count would tell how many others there are)."""
        ids = sorted(allowed)
        if order_by is None:
            chosen = ids[window.start : window.stop]
            found = await self.companies.load_many([CompanyId(i) for i in chosen])
            return Slice([c for c in found if c is not None], len(ids))
        found = await self.companies.load_many([CompanyId(i) for i in ids])
        ordered = _ordered_companies([c for c in found if c is not None], order_by)
        return Slice(ordered[window.start : window.stop], len(ids))

    def _prime(self, request: ListRequest, records: Sequence[Any]) -> None:
        # A record read in a list answers later lookups of it by id in the same request, when the
        # list and the lookup return the same shape (tracking categories fetch as trees).
        entry = readable(request.data_type)
        if entry.list_model is not entry.get_model:
            return
        loader = self.records(request.data_type)
        for record in records:
            loader.prime((request.company_id, record.id), record)


def _observed(future: asyncio.Future[Any]) -> None:
    """Mark a prefetch's failure as seen (whoever awaits the same load still gets it)."""
    if not future.cancelled():
        future.exception()


async def _nothing_pending(company_id: CompanyId) -> dict[str, list[PendingPayment]]:
    return {}


def _check(principal: Principal, company_id: CompanyId) -> None:
    """The one tenancy check (`authorize_company`), as reads apply it."""
    authorize_company(principal, company_id)


def _allowed(principal: Principal, company_id: str) -> bool:
    """The one tenancy check, where a refused company reads as absent (None)."""
    try:
        authorize_company(principal, company_id)
    except CompanyNotAllowedError:
        return False
    return True


_COMPANY_ORDER = {"name": "name", "created": "created", "lastSync": "last_sync"}


def _ordered_companies(companies: list[Company], order_by: str) -> list[Company]:
    """Codat's `orderBy` on companies, applied in memory to a restricted caller's few."""
    descending = order_by.startswith("-")
    attribute = _COMPANY_ORDER.get(order_by.removeprefix("-"), "name")
    present = [c for c in companies if getattr(c, attribute) is not None]
    absent = [c for c in companies if getattr(c, attribute) is None]
    present.sort(key=lambda c: (getattr(c, attribute), c.id), reverse=descending)
    return present + absent
