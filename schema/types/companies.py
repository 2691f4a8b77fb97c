# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""The company: its profile, and every payables list of it as a Relay connection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Self

import strawberry
from strawberry import relay
from strawberry.relay import NodeType

from gateway.codat import models
from gateway.codat.models import DataType
from gateway.codat.types import CodatDateTime, CompanyId
from gateway.reads.loaders import ListRequest, Slice
from gateway.reads.pagination import Window
from schema.connections import Connection, paginate, paginate_list
from schema.context import Info
from schema.errors import NotFoundError
from schema.filters import (
    AccountFilter,
    BankAccountFilter,
    BillCreditNoteFilter,
    BillFilter,
    BillPaymentFilter,
    Filter,
    PaymentMethodFilter,
    PushOperationFilter,
    SupplierFilter,
    TaxRateFilter,
    TrackingCategoryFilter,
    list_query,
)
from schema.ids import parse_company_node_id, record_id_from_argument
from schema.ordering import (
    AccountOrder,
    BillCreditNoteOrder,
    BillOrder,
    BillPaymentOrder,
    NameOrder,
    PushOperationOrder,
    SupplierOrder,
    order_param,
)
from schema.planner import prefetch_whole_sets
from schema.types.base import FromModel, converted, nested
from schema.types.bills import Bill, BillCreditNote
from schema.types.connection_data import Dataset
from schema.types.ledger import Account, BankAccount, PaymentMethod, TaxRate, TrackingCategory
from schema.types.payments import BillPayment
from schema.types.profile import CompanyInfo, CompanyReference, DataConnection, DataStatus, Tag
from schema.types.push import PushOperation, load_push_operation
from schema.types.suppliers import Supplier

PageArgs = tuple[int | None, str | None, int | None, str | None]
"""first, after, last, before."""

QUERY = "A raw Codat query (Codat's query language), ANDed with the filter."
_BY_ID = "Codat's id of the record; NOT_FOUND when the company has no such record."


_NODE_TYPES: dict[DataType, tuple[str, ...]] = {
    DataType.BILLS: ("Bill",),
    DataType.SUPPLIERS: ("Supplier",),
    DataType.BILL_PAYMENTS: ("BillPayment",),
    DataType.BILL_CREDIT_NOTES: ("BillCreditNote",),
    DataType.CHART_OF_ACCOUNTS: ("Account", "BankAccount"),
}
"""The global ids a record argument of each data type may be given as."""


@strawberry.type(description="A company (an SMB) connected to Codat.")
class Company(FromModel, relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.Company]
    codat_id: str = strawberry.field(description="Codat's company id (a UUID).")
    name: str
    description: str | None
    redirect: str = strawberry.field(description="The Link URL to connect the company's software.")
    last_sync: CodatDateTime | None
    created: CodatDateTime | None
    created_by_user_name: str | None
    products: list[str]
    tags: list[Tag] = converted(Tag.from_mapping)
    reference_parent_company: CompanyReference | None = nested(CompanyReference)
    reference_subsidiary_companies: list[CompanyReference] = nested(CompanyReference)

    @classmethod
    def from_model(cls, model: models.Company) -> Self:
        return cls.build(model, node_id=model.id, company_id=model.id, codat_id=model.id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [parse_company_node_id(node_id) for node_id in node_ids]
        found = await info.context.loaders.companies.load_many(ids)
        if required and None in found:
            raise NotFoundError("no such company")
        return [None if model is None else cls.from_model(model) for model in found]

    async def _list(
        self,
        info: Info,
        data_type: DataType,
        wrap: Callable[[CompanyId, Any], NodeType],
        query: str | None,
        order_by: str | None,
        page: PageArgs,
    ) -> Connection[NodeType]:
        request = ListRequest(self.company_id, data_type, query=query, order_by=order_by)
        first, after, last, before = page
        return await paginate_list(
            info,
            request,
            lambda record: wrap(self.company_id, record),
            first=first,
            after=after,
            last=last,
            before=before,
        )

    async def _record(self, info: Info, data_type: DataType, given: str) -> Any:
        """The record `given` by its global id or Codat's (schema/ids.py's rule)."""
        names = _NODE_TYPES[data_type]
        record_id = record_id_from_argument(given, self.company_id, *names)
        prefetch_whole_sets(info, self.company_id)
        record = await info.context.loaders.records(data_type).load((self.company_id, record_id))
        if record is None:
            raise NotFoundError(
                f"company {self.company_id} has no {data_type.value} record {record_id}"
            )
        return record

    @strawberry.field(description="The company's accounting profile.")
    async def info(self, info: Info) -> CompanyInfo | None:
        return CompanyInfo.from_model(await info.context.loaders.company_info.load(self.company_id))

    @strawberry.field(description="The company's links to its software.")
    async def connections(self, info: Info) -> list[DataConnection] | None:
        found = await info.context.loaders.connections.load(self.company_id)
        return [DataConnection.from_model(model, self.company_id) for model in found]

    @strawberry.field(
        description="Sync history: the company's latest datasets (one fetch of one data type "
        "each), newest first."
    )
    async def pull_operations(self, info: Info, first: int = 50) -> list[Dataset] | None:
        size = max(1, min(first, info.context.max_page_size))
        page = await info.context.loaders.upstream.pull_operations(self.company_id, size)
        return [Dataset.from_model(model) for model in page.results]

    @strawberry.field(description="The sync state of every data type Codat reports.")
    async def data_status(self, info: Info) -> list[DataStatus] | None:
        found: dict[str, models.DataStatus | None] = await info.context.loaders.data_status.load(
            self.company_id
        )
        return [DataStatus.from_entry(name, model) for name, model in found.items()]

    @strawberry.field(description="Bills (deleted ones excluded unless the filter includes them).")
    async def bills(
        self,
        info: Info,
        filter: BillFilter | None = None,
        order_by: BillOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Bill] | None:
        text = list_query(filter or BillFilter(), query)
        page = (first, after, last, before)
        return await self._list(
            info, DataType.BILLS, Bill.from_model, text, order_param(order_by), page
        )

    @strawberry.field(description="One bill by its `id` or Codat's id (`codatId`).")
    async def bill(self, info: Info, id: strawberry.ID) -> Bill | None:
        return Bill.from_model(self.company_id, await self._record(info, DataType.BILLS, str(id)))

    @strawberry.field(
        description="Suppliers (deleted ones excluded unless the filter includes them)."
    )
    async def suppliers(
        self,
        info: Info,
        filter: SupplierFilter | None = None,
        order_by: SupplierOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Supplier] | None:
        text = list_query(filter or SupplierFilter(), query)
        page = (first, after, last, before)
        return await self._list(
            info, DataType.SUPPLIERS, Supplier.from_model, text, order_param(order_by), page
        )

    @strawberry.field(description="One supplier by its `id` or Codat's id (`codatId`).")
    async def supplier(self, info: Info, id: strawberry.ID) -> Supplier | None:
        return Supplier.from_model(
            self.company_id, await self._record(info, DataType.SUPPLIERS, str(id))
        )

    @strawberry.field(description="Bill payments (deleted ones excluded unless asked for).")
    async def bill_payments(
        self,
        info: Info,
        filter: BillPaymentFilter | None = None,
        order_by: BillPaymentOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[BillPayment] | None:
        text = list_query(filter or BillPaymentFilter(), query)
        page = (first, after, last, before)
        return await self._list(
            info, DataType.BILL_PAYMENTS, BillPayment.from_model, text, order_param(order_by), page
        )

    @strawberry.field(description="One bill payment by its `id` or Codat's id (`codatId`).")
    async def bill_payment(self, info: Info, id: strawberry.ID) -> BillPayment | None:
        record = await self._record(info, DataType.BILL_PAYMENTS, str(id))
        return BillPayment.from_model(self.company_id, record)

    @strawberry.field(description="Bill credit notes (deleted ones excluded unless asked for).")
    async def bill_credit_notes(
        self,
        info: Info,
        filter: BillCreditNoteFilter | None = None,
        order_by: BillCreditNoteOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[BillCreditNote] | None:
        text = list_query(filter or BillCreditNoteFilter(), query)
        page = (first, after, last, before)
        wrap = BillCreditNote.from_model
        return await self._list(
            info, DataType.BILL_CREDIT_NOTES, wrap, text, order_param(order_by), page
        )

    @strawberry.field(description="One bill credit note by its `id` or Codat's id (`codatId`).")
    async def bill_credit_note(self, info: Info, id: strawberry.ID) -> BillCreditNote | None:
        record = await self._record(info, DataType.BILL_CREDIT_NOTES, str(id))
        return BillCreditNote.from_model(self.company_id, record)

    @strawberry.field(description="The chart of accounts (Codat's chartOfAccounts data type).")
    async def accounts(
        self,
        info: Info,
        filter: AccountFilter | None = None,
        order_by: AccountOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Account] | None:
        text = list_query(filter or AccountFilter(), query)
        page = (first, after, last, before)
        wrap = Account.from_model
        return await self._list(
            info, DataType.CHART_OF_ACCOUNTS, wrap, text, order_param(order_by), page
        )

    @strawberry.field(description="One account by its `id` or Codat's id (`codatId`).")
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        record = await self._record(info, DataType.CHART_OF_ACCOUNTS, str(id))
        return Account.from_model(self.company_id, record)

    @strawberry.field(description="The accounts Codat flags as bank accounts (isBankAccount=true).")
    async def bank_accounts(
        self,
        info: Info,
        filter: BankAccountFilter | None = None,
        order_by: AccountOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[BankAccount] | None:
        text = list_query(filter or BankAccountFilter(), query)
        page = (first, after, last, before)
        wrap = BankAccount.from_model
        return await self._list(
            info, DataType.CHART_OF_ACCOUNTS, wrap, text, order_param(order_by), page
        )

    @strawberry.field(description="Payment methods.")
    async def payment_methods(
        self,
        info: Info,
        filter: PaymentMethodFilter | None = None,
        order_by: NameOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PaymentMethod] | None:
        return await self._reference_list(
            info,
            DataType.PAYMENT_METHODS,
            PaymentMethod.from_model,
            filter or PaymentMethodFilter(),
            query,
            order_by,
            (first, after, last, before),
        )

    @strawberry.field(description="Tax rates.")
    async def tax_rates(
        self,
        info: Info,
        filter: TaxRateFilter | None = None,
        order_by: NameOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[TaxRate] | None:
        return await self._reference_list(
            info,
            DataType.TAX_RATES,
            TaxRate.from_model,
            filter or TaxRateFilter(),
            query,
            order_by,
            (first, after, last, before),
        )

    @strawberry.field(
        description="Tracking categories, flat; each links to its `parent` and `subCategories`."
    )
    async def tracking_categories(
        self,
        info: Info,
        filter: TrackingCategoryFilter | None = None,
        order_by: NameOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[TrackingCategory] | None:
        return await self._reference_list(
            info,
            DataType.TRACKING_CATEGORIES,
            TrackingCategory.from_model,
            filter or TrackingCategoryFilter(),
            query,
            order_by,
            (first, after, last, before),
        )

    async def _reference_list(
        self,
        info: Info,
        data_type: DataType,
        wrap: Callable[[CompanyId, Any], NodeType],
        structured: Filter,
        query: str | None,
        order_by: NameOrder | None,
        page: PageArgs,
    ) -> Connection[NodeType]:
        text = list_query(structured, query)
        return await self._list(info, data_type, wrap, text, order_param(order_by), page)

    @strawberry.field(description="The company's write history, as Codat keeps it.")
    async def push_operations(
        self,
        info: Info,
        filter: PushOperationFilter | None = None,
        order_by: PushOperationOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PushOperation] | None:
        text = list_query(filter, query)
        order = order_param(order_by)
        loaders = info.context.loaders

        async def fetch(window: Window) -> Slice[Any]:
            return await loaders.push_operations_slice(self.company_id, window, text, order)

        async def count() -> int:
            return (await fetch(Window(0, 0))).total

        return await paginate(
            info,
            fetch,
            count,
            PushOperation.from_model,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="One push operation by its key; NOT_FOUND when unknown.")
    async def push_operation(self, info: Info, key: str) -> PushOperation | None:
        return await load_push_operation(info, self.company_id, key)
