"""`CodatClient`: one async method per Codat endpoint the gateway uses; models in, models out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar, Unpack, overload
from urllib.parse import quote

import httpx

from gateway.codat import _json, datatypes
from gateway.codat.config import ClientConfig
from gateway.codat.datatypes import ReadableDataType
from gateway.codat.errors import CodatInvalidResponse, CodatTransportError
from gateway.codat.models import (
    AccountInput,
    Attachment,
    BankAccount,
    BankAccountInput,
    Bill,
    BillCreditNote,
    BillCreditNoteInput,
    BillCreditNotePushOperation,
    BillInput,
    BillPayment,
    BillPaymentInput,
    BillPaymentPushOperation,
    BillPushOperation,
    CodatModel,
    Company,
    CompanyInfo,
    CompanyInput,
    Connection,
    DataStatus,
    DataType,
    PullOperation,
    PushOperation,
    PushOption,
    Supplier,
    SupplierInput,
    SupplierPushOperation,
    WriteModel,
)
from gateway.codat.paging import MAX_PAGE_SIZE, Page, iter_items, parse_page
from gateway.codat.query import OrderBy, Query, order_by_param, query_param
from gateway.codat.transport import (
    IDEMPOTENCY_KEY_HEADER,
    CallObserver,
    CodatTransport,
    RateLimitState,
    TransportStats,
)
from gateway.codat.types import CompanyId, ConnectionId
from gateway.codat.validation import validate_record

ModelT = TypeVar("ModelT", bound=CodatModel)
ListT = TypeVar("ListT", bound=CodatModel)
GetT = TypeVar("GetT", bound=CodatModel)
PushT = TypeVar("PushT", bound=PushOperation)

QueryArg = Query | str | None
OrderArg = OrderBy | str | None
DEFAULT_PAGE_SIZE = 100


class WalkArgs(TypedDict, total=False):
    """How a list is read (Codat's `pageSize`, `query`, `orderBy`); page size 100 if not given."""

    page_size: int
    query: QueryArg
    order_by: OrderArg


class PageArgs(WalkArgs, total=False):
    """`WalkArgs` and which page (1 if not given)."""

    page: int


class PushArgs(TypedDict, total=False):
    """A push's `Idempotency-Key` header and `timeoutInMinutes`, each left out when None."""

    idempotency_key: str | None
    timeout_in_minutes: int | None


class UpdateArgs(PushArgs, total=False):
    """`PushArgs` and Codat's `forceUpdate` flag, sent only when True."""

    force_update: bool


PUSH_OPTION_DATA_TYPES = frozenset(
    {
        DataType.BILLS,
        DataType.BILL_PAYMENTS,
        DataType.BILL_CREDIT_NOTES,
        DataType.SUPPLIERS,
        DataType.BANK_ACCOUNTS,
        DataType.CHART_OF_ACCOUNTS,
        DataType.JOURNALS,
        DataType.JOURNAL_ENTRIES,
    }
)
"""Data types with a `GET .../options/{dataType}` endpoint in the v1 spec."""


class _Attachments(CodatModel):
    attachments: tuple[Attachment, ...] = ()


def _segment(value: str) -> str:
    # Record ids are opaque (numeric, tokens, ...): encode them so a `/` stays inside its segment.
    if not value:
        raise ValueError("an id in a Codat path must not be empty")
    return quote(value, safe="")


def _company_path(company_id: str) -> str:
    return f"/companies/{_segment(company_id)}"


def _connection_path(company_id: str, connection_id: str) -> str:
    return f"{_company_path(company_id)}/connections/{_segment(connection_id)}"


class CodatClient:
    """Async client for Codat's Sync for Payables v1 API.

    Build one per process and close it (`aclose()` or `async with`). `transport` replaces the
    network (see `CodatTransport`).
    """

    def __init__(
        self, config: ClientConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._transport = CodatTransport(config, transport=transport)

    def __repr__(self) -> str:
        return f"CodatClient(base_url={self.config.base_url!r})"

    @property
    def rate_limit(self) -> RateLimitState:
        return self._transport.rate_limit

    @property
    def stats(self) -> TransportStats:
        return self._transport.stats

    def observe(self, observer: CallObserver | None) -> None:
        """Report every request (retries included) to `observer`: metrics, traces, logs."""
        self._transport.observer = observer

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- plumbing -------------------------------------------------------------------------------

    async def _get_json(
        self, path: str, *, company_id: str | None, data_type: str | None = None, **params: Any
    ) -> Any:
        return _decode(await self._get(path, company_id=company_id, data_type=data_type, **params))

    async def _get(
        self, path: str, *, company_id: str | None, data_type: str | None = None, **params: Any
    ) -> httpx.Response:
        return await self._transport.request(
            "GET", path, company_id=company_id, params=params, data_type=data_type
        )

    async def _get_one(
        self,
        model: type[ModelT],
        path: str,
        *,
        company_id: str | None,
        data_type: str | None,
        record_id: str | None = None,
    ) -> ModelT:
        data = await self._get_json(path, company_id=company_id, data_type=data_type)
        return validate_record(
            model,
            data,
            data_type=data_type or _label(path),
            company_id=company_id,
            record_id=record_id,
        )

    async def _get_page(
        self,
        model: type[ModelT],
        path: str,
        *,
        company_id: str | None,
        data_type: str | None = None,
        **paging: Unpack[PageArgs],
    ) -> Page[ModelT]:
        page = paging.get("page", 1)
        page_size = paging.get("page_size", DEFAULT_PAGE_SIZE)
        _check_paging(page, page_size)
        response = await self._get(
            path,
            company_id=company_id,
            data_type=data_type,
            page=page,
            pageSize=page_size,
            query=query_param(paging.get("query")),
            orderBy=order_by_param(paging.get("order_by")),
        )
        return parse_page(
            _decode(response),
            model,
            data_type=data_type or _label(path),
            company_id=company_id,
            page=page,
            wire_bytes=len(response.content),
        )

    async def _push(
        self,
        model: type[PushT],
        method: str,
        path: str,
        body: WriteModel,
        *,
        company_id: str,
        **options: Unpack[UpdateArgs],
    ) -> PushT:
        headers = {"Content-Type": "application/json"}
        idempotency_key = options.get("idempotency_key")
        if idempotency_key is not None:
            headers[IDEMPOTENCY_KEY_HEADER] = idempotency_key
        response = await self._transport.request(
            method,
            path,
            company_id=company_id,
            params={
                "timeoutInMinutes": options.get("timeout_in_minutes"),
                "forceUpdate": True if options.get("force_update") else None,
            },
            content=body.to_json(),
            headers=headers,
        )
        return validate_record(
            model, _decode(response), data_type="pushOperations", company_id=company_id
        )

    # -- companies and connections ----------------------------------------------------------------

    async def list_companies(self, **paging: Unpack[PageArgs]) -> Page[Company]:
        return await self._get_page(Company, "/companies", company_id=None, **paging)

    async def _send(
        self,
        method: str,
        path: str,
        body: WriteModel | None,
        *,
        company_id: str | None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if idempotency_key is not None:
            headers[IDEMPOTENCY_KEY_HEADER] = idempotency_key
        return await self._transport.request(
            method,
            path,
            company_id=company_id,
            content=None if body is None else body.to_json(),
            headers=headers,
        )

    async def create_company(
        self, company: CompanyInput, *, idempotency_key: str | None = None
    ) -> Company:
        """A new company (no connection yet); its `redirect` is the Link URL."""
        response = await self._send(
            "POST", "/companies", company, company_id=None, idempotency_key=idempotency_key
        )
        return validate_record(Company, _decode(response), data_type="companies", company_id=None)

    async def update_company(
        self, company_id: CompanyId, changes: CompanyInput, *, idempotency_key: str | None = None
    ) -> Company:
        """PATCH: only the fields given change."""
        response = await self._send(
            "PATCH",
            _company_path(company_id),
            changes,
            company_id=company_id,
            idempotency_key=idempotency_key,
        )
        return validate_record(
            Company, _decode(response), data_type="companies", company_id=company_id
        )

    async def delete_company(self, company_id: CompanyId) -> None:
        await self._send("DELETE", _company_path(company_id), None, company_id=company_id)

    async def create_connection(
        self, company_id: CompanyId, platform_key: str, *, idempotency_key: str | None = None
    ) -> Connection:
        """A PendingAuth connection to the platform; the end user links it at its `linkUrl`."""
        response = await self._transport.request(
            "POST",
            f"{_company_path(company_id)}/connections",
            company_id=company_id,
            content=_json.dumps({"platformKey": platform_key}),
            headers={"Content-Type": "application/json"}
            | ({} if idempotency_key is None else {IDEMPOTENCY_KEY_HEADER: idempotency_key}),
        )
        return validate_record(
            Connection, _decode(response), data_type="connections", company_id=company_id
        )

    async def unlink_connection(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        *,
        idempotency_key: str | None = None,
    ) -> Connection:
        """Deauthorise without deleting: `PATCH {status: Unlinked}`."""
        response = await self._transport.request(
            "PATCH",
            _connection_path(company_id, connection_id),
            company_id=company_id,
            content=_json.dumps({"status": "Unlinked"}),
            headers={"Content-Type": "application/json"}
            | ({} if idempotency_key is None else {IDEMPOTENCY_KEY_HEADER: idempotency_key}),
            idempotent=True,
        )
        return validate_record(
            Connection, _decode(response), data_type="connections", company_id=company_id
        )

    async def delete_connection(self, company_id: CompanyId, connection_id: ConnectionId) -> None:
        """Revoke and remove a connection (not reversible)."""
        await self._send(
            "DELETE", _connection_path(company_id, connection_id), None, company_id=company_id
        )

    async def get_company(self, company_id: CompanyId) -> Company:
        return await self._get_one(
            Company, _company_path(company_id), company_id=company_id, data_type=None
        )

    async def list_connections(
        self, company_id: CompanyId, **paging: Unpack[PageArgs]
    ) -> Page[Connection]:
        return await self._get_page(
            Connection, f"{_company_path(company_id)}/connections", company_id=company_id, **paging
        )

    async def get_connection(
        self, company_id: CompanyId, connection_id: ConnectionId
    ) -> Connection:
        return await self._get_one(
            Connection,
            _connection_path(company_id, connection_id),
            company_id=company_id,
            data_type=None,
        )

    async def get_company_info(self, company_id: CompanyId) -> CompanyInfo:
        return await self._get_one(
            CompanyInfo,
            f"{_company_path(company_id)}/data/info",
            company_id=company_id,
            data_type=DataType.COMPANY.value,
        )

    async def get_data_status(self, company_id: CompanyId) -> dict[str, DataStatus | None]:
        """Each data type's sync status, keyed by Codat's data type name; None if never synced."""
        data = await self._get_json(
            f"{_company_path(company_id)}/dataStatus", company_id=company_id
        )
        if not isinstance(data, dict):
            raise CodatInvalidResponse(
                "Codat answered dataStatus with a body that is not an object",
                data_type="dataStatus",
                company_id=company_id,
            )
        return {
            str(key): None
            if value is None
            else validate_record(
                DataStatus, value, data_type="dataStatus", company_id=company_id, record_id=key
            )
            for key, value in data.items()
        }

    # -- cached records, generically ------------------------------------------------------------

    @overload
    async def list_records(
        self,
        data_type: ReadableDataType[ListT, Any],
        company_id: CompanyId,
        **paging: Unpack[PageArgs],
    ) -> Page[ListT]: ...

    @overload
    async def list_records(
        self, data_type: DataType | str, company_id: CompanyId, **paging: Unpack[PageArgs]
    ) -> Page[CodatModel]: ...

    async def list_records(
        self,
        data_type: ReadableDataType[Any, Any] | DataType | str,
        company_id: CompanyId,
        **paging: Unpack[PageArgs],
    ) -> Page[Any]:
        """One page of any readable data type (see `datatypes.READABLE_DATA_TYPES`)."""
        entry = _entry(data_type)
        return await self._get_page(
            entry.list_model,
            f"{_company_path(company_id)}/data/{entry.path}",
            company_id=company_id,
            **paging,
            data_type=entry.name,
        )

    @overload
    async def get_record(
        self, data_type: ReadableDataType[Any, GetT], company_id: CompanyId, record_id: str
    ) -> GetT: ...

    @overload
    async def get_record(
        self, data_type: DataType | str, company_id: CompanyId, record_id: str
    ) -> CodatModel: ...

    async def get_record(
        self,
        data_type: ReadableDataType[Any, Any] | DataType | str,
        company_id: CompanyId,
        record_id: str,
    ) -> Any:
        """One record of any readable data type, by id."""
        entry = _entry(data_type)
        return await self._get_one(
            entry.get_model,
            f"{_company_path(company_id)}/data/{entry.path}/{_segment(record_id)}",
            company_id=company_id,
            data_type=entry.name,
            record_id=record_id,
        )

    async def iter_records(
        self,
        data_type: ReadableDataType[ListT, Any],
        company_id: CompanyId,
        **walk: Unpack[WalkArgs],
    ) -> AsyncIterator[ListT]:
        """Every record of a data type, fetching pages only as the caller consumes them."""

        async def fetch(number: int) -> Page[ListT]:
            return await self.list_records(data_type, company_id, page=number, **walk)

        async for record in iter_items(
            fetch, limits=self.config.walks, data_type=data_type.name, company_id=company_id
        ):
            yield record

    # -- cached records, by name ------------------------------------------------------------------

    async def get_bill(self, company_id: CompanyId, bill_id: str) -> Bill:
        return await self.get_record(datatypes.BILLS, company_id, bill_id)

    async def get_bill_payment(self, company_id: CompanyId, bill_payment_id: str) -> BillPayment:
        return await self.get_record(datatypes.BILL_PAYMENTS, company_id, bill_payment_id)

    async def get_bill_credit_note(
        self, company_id: CompanyId, bill_credit_note_id: str
    ) -> BillCreditNote:
        return await self.get_record(datatypes.BILL_CREDIT_NOTES, company_id, bill_credit_note_id)

    async def get_supplier(self, company_id: CompanyId, supplier_id: str) -> Supplier:
        return await self.get_record(datatypes.SUPPLIERS, company_id, supplier_id)

    # -- sync: push history, refresh, datasets ----------------------------------------------------

    async def list_push_operations(
        self, company_id: CompanyId, **paging: Unpack[PageArgs]
    ) -> Page[PushOperation]:
        return await self._get_page(
            PushOperation, f"{_company_path(company_id)}/push", company_id=company_id, **paging
        )

    async def get_push_operation(
        self, company_id: CompanyId, push_operation_key: str
    ) -> PushOperation:
        return await self._get_one(
            PushOperation,
            f"{_company_path(company_id)}/push/{_segment(push_operation_key)}",
            company_id=company_id,
            data_type=None,
        )

    async def refresh_all(self, company_id: CompanyId) -> None:
        """Queue a sync of every data type set to fetch on first link (Codat answers 204)."""
        # Queueing twice is harmless (Codat refuses a duplicate sync), so this POST may retry.
        await self._transport.request(
            "POST", f"{_company_path(company_id)}/data/all", company_id=company_id, idempotent=True
        )

    async def refresh_data_type(
        self,
        company_id: CompanyId,
        data_type: DataType | str,
        connection_id: ConnectionId | None = None,
    ) -> PullOperation:
        """Queue a sync of one data type (optionally for one connection); returns the dataset."""
        name = DataType(data_type).value
        response = await self._transport.request(
            "POST",
            f"{_company_path(company_id)}/data/queue/{_segment(name)}",
            company_id=company_id,
            params={"connectionId": connection_id},
            idempotent=True,
        )
        return validate_record(
            PullOperation, _decode(response), data_type="dataset", company_id=company_id
        )

    async def list_pull_operations(
        self, company_id: CompanyId, **paging: Unpack[PageArgs]
    ) -> Page[PullOperation]:
        """The company's datasets: every fetch of a data type, newest last unless ordered."""
        return await self._get_page(
            PullOperation,
            f"{_company_path(company_id)}/data/history",
            company_id=company_id,
            **paging,
            data_type="dataset",
        )

    async def list_connection_bank_accounts(
        self, company_id: CompanyId, connection_id: ConnectionId, **paging: Unpack[PageArgs]
    ) -> Page[BankAccount]:
        """Bank accounts with their bank fields, read per connection (Codat's Accounting API
        path, same key and base URL; v1 itself has none)."""
        return await self._get_page(
            BankAccount,
            f"{_connection_path(company_id, connection_id)}/data/bankAccounts",
            company_id=company_id,
            **paging,
            data_type=DataType.BANK_ACCOUNTS.value,
        )

    async def get_pull_operation(self, company_id: CompanyId, dataset_id: str) -> PullOperation:
        return await self._get_one(
            PullOperation,
            f"{_company_path(company_id)}/data/history/{_segment(dataset_id)}",
            company_id=company_id,
            data_type=None,
        )

    # -- writes -----------------------------------------------------------------------------------

    async def create_bill(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bill: BillInput,
        **options: Unpack[PushArgs],
    ) -> BillPushOperation:
        return await self._push(
            BillPushOperation,
            "POST",
            f"{_connection_path(company_id, connection_id)}/push/bills",
            bill,
            company_id=company_id,
            **options,
        )

    async def update_bill(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bill_id: str,
        bill: BillInput,
        **options: Unpack[UpdateArgs],
    ) -> BillPushOperation:
        return await self._push(
            BillPushOperation,
            "PUT",
            f"{_connection_path(company_id, connection_id)}/push/bills/{_segment(bill_id)}",
            bill,
            company_id=company_id,
            **options,
        )

    async def create_bill_payment(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bill_payment: BillPaymentInput,
        **options: Unpack[PushArgs],
    ) -> BillPaymentPushOperation:
        return await self._push(
            BillPaymentPushOperation,
            "POST",
            f"{_connection_path(company_id, connection_id)}/push/billPayments",
            bill_payment,
            company_id=company_id,
            **options,
        )

    async def create_bill_credit_note(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bill_credit_note: BillCreditNoteInput,
        **options: Unpack[PushArgs],
    ) -> BillCreditNotePushOperation:
        return await self._push(
            BillCreditNotePushOperation,
            "POST",
            f"{_connection_path(company_id, connection_id)}/push/billCreditNotes",
            bill_credit_note,
            company_id=company_id,
            **options,
        )

    async def update_bill_credit_note(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bill_credit_note_id: str,
        bill_credit_note: BillCreditNoteInput,
        **options: Unpack[UpdateArgs],
    ) -> BillCreditNotePushOperation:
        path = _connection_path(company_id, connection_id)
        return await self._push(
            BillCreditNotePushOperation,
            "PUT",
            f"{path}/push/billCreditNotes/{_segment(bill_credit_note_id)}",
            bill_credit_note,
            company_id=company_id,
            **options,
        )

    async def create_supplier(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        supplier: SupplierInput,
        **options: Unpack[PushArgs],
    ) -> SupplierPushOperation:
        return await self._push(
            SupplierPushOperation,
            "POST",
            f"{_connection_path(company_id, connection_id)}/push/suppliers",
            supplier,
            company_id=company_id,
            **options,
        )

    async def update_supplier(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        supplier_id: str,
        supplier: SupplierInput,
        **options: Unpack[UpdateArgs],
    ) -> SupplierPushOperation:
        return await self._push(
            SupplierPushOperation,
            "PUT",
            f"{_connection_path(company_id, connection_id)}/push/suppliers/{_segment(supplier_id)}",
            supplier,
            company_id=company_id,
            **options,
        )

    async def _push_delete(
        self, company_id: CompanyId, connection_id: ConnectionId, path: str
    ) -> PushOperation:
        response = await self._transport.request(
            "DELETE",
            f"{_connection_path(company_id, connection_id)}/push/{path}",
            company_id=company_id,
        )
        return validate_record(
            PushOperation, _decode(response), data_type="pushOperations", company_id=company_id
        )

    async def delete_bill(
        self, company_id: CompanyId, connection_id: ConnectionId, bill_id: str
    ) -> PushOperation:
        """Delete a bill from the software: a push operation (`Deleted` on success)."""
        return await self._push_delete(company_id, connection_id, f"bills/{_segment(bill_id)}")

    async def delete_bill_payment(
        self, company_id: CompanyId, connection_id: ConnectionId, bill_payment_id: str
    ) -> PushOperation:
        """Delete (void) a bill payment: a push operation."""
        return await self._push_delete(
            company_id, connection_id, f"billPayments/{_segment(bill_payment_id)}"
        )

    async def create_account(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        account: AccountInput,
        **options: Unpack[PushArgs],
    ) -> PushOperation:
        return await self._push(
            PushOperation,
            "POST",
            f"{_connection_path(company_id, connection_id)}/push/accounts",
            account,
            company_id=company_id,
            **options,
        )

    async def create_bank_account(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bank_account: BankAccountInput,
        **options: Unpack[PushArgs],
    ) -> PushOperation:
        return await self._push(
            PushOperation,
            "POST",
            f"{_connection_path(company_id, connection_id)}/push/bankAccounts",
            bank_account,
            company_id=company_id,
            **options,
        )

    async def get_push_options(
        self, company_id: CompanyId, connection_id: ConnectionId, data_type: DataType | str
    ) -> PushOption:
        """What the connection's software accepts when creating or updating `data_type`."""
        kind = DataType(data_type)
        if kind not in PUSH_OPTION_DATA_TYPES:
            raise ValueError(f"Codat has no push options for {data_type!r}")
        return await self._get_one(
            PushOption,
            f"{_connection_path(company_id, connection_id)}/options/{kind.value}",
            company_id=company_id,
            data_type=None,
        )

    # -- bill attachments (read live per connection, not from the cache) -------------------------

    def _attachments_path(self, company_id: str, connection_id: str, bill_id: str) -> str:
        path = _connection_path(company_id, connection_id)
        return f"{path}/data/bills/{_segment(bill_id)}/attachments"

    async def list_bill_attachments(
        self, company_id: CompanyId, connection_id: ConnectionId, bill_id: str
    ) -> list[Attachment]:
        data = await self._get_json(
            self._attachments_path(company_id, connection_id, bill_id),
            company_id=company_id,
            data_type=DataType.BILLS.value,
        )
        found = validate_record(
            _Attachments, data, data_type="attachments", company_id=company_id, record_id=bill_id
        )
        return list(found.attachments)

    async def get_bill_attachment(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bill_id: str,
        attachment_id: str,
    ) -> Attachment:
        path = self._attachments_path(company_id, connection_id, bill_id)
        return await self._get_one(
            Attachment,
            f"{path}/{_segment(attachment_id)}",
            company_id=company_id,
            data_type=DataType.BILLS.value,
        )

    async def download_bill_attachment(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bill_id: str,
        attachment_id: str,
    ) -> bytes:
        path = self._attachments_path(company_id, connection_id, bill_id)
        response = await self._transport.request(
            "GET",
            f"{path}/{_segment(attachment_id)}/download",
            company_id=company_id,
            headers={"Accept": "application/octet-stream"},
            data_type=DataType.BILLS.value,
        )
        return response.content

    async def upload_bill_attachment(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        bill_id: str,
        *,
        filename: str,
        content: bytes,
        content_type: str,
    ) -> None:
        """Attach a file to a bill (multipart field `file`); Codat answers 200 with no body."""
        path = _connection_path(company_id, connection_id)
        await self._transport.request(
            "POST",
            f"{path}/push/bills/{_segment(bill_id)}/attachments",
            company_id=company_id,
            files={"file": (filename, content, content_type)},
        )


def _entry(data_type: ReadableDataType[Any, Any] | DataType | str) -> ReadableDataType[Any, Any]:
    if isinstance(data_type, ReadableDataType):
        return data_type
    return datatypes.readable(data_type)


_LABELS = {
    "companies": "companies",
    "connections": "connections",
    "push": "pushOperations",
    "history": "dataset",
    "options": "pushOptions",
    "attachments": "attachments",
}


def _label(path: str) -> str:
    """What a path reads, for error messages: the last known collection in it."""
    for segment in reversed(path.strip("/").split("/")):
        if segment in _LABELS:
            return _LABELS[segment]
    return "records"


def _check_paging(page: int, page_size: int) -> None:
    if page < 1:
        raise ValueError(f"page is 1-based, got {page}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")


def _decode(response: httpx.Response) -> Any:
    try:
        return _json.loads(response.content)
    except ValueError as exc:
        request = response.request
        raise CodatTransportError(
            f"Codat answered {response.status_code} with a body that is not JSON",
            method=request.method,
            url=str(request.url),
        ) from exc
