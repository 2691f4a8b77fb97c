# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Suppliers, and the bills, payments and credit notes filed against each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.models import DataType
from gateway.codat.query import where
from gateway.codat.types import CodatDateTime, CompanyId
from gateway.reads.loaders import ListRequest
from schema.connections import Connection, paginate_list
from schema.context import Info
from schema.enums import SupplierStatus
from schema.filters import BillCreditNoteFilter, BillFilter, BillPaymentFilter, list_query
from schema.ids import format_node_id
from schema.memo import per_record
from schema.ordering import BillCreditNoteOrder, BillOrder, BillPaymentOrder, order_param
from schema.types.common import Address, Metadata, many, resolve_record_nodes, supplemental
from schema.types.ledger import CODAT_ID

if TYPE_CHECKING:
    # Bills and payments refer back to suppliers, so these are lazy (imported when resolved).
    from schema.types.bills import Bill, BillCreditNote
    from schema.types.payments import BillPayment

_QUERY = "A raw Codat query, ANDed with the filter (see Codat's query language)."


@strawberry.type(description="A business that bills the company.")
class Supplier(relay.Node):
    node_id: relay.NodeID[str]
    company_id: strawberry.Private[CompanyId]
    model: strawberry.Private[models.Supplier]
    codat_id: str = strawberry.field(description=CODAT_ID)
    supplier_name: str | None
    contact_name: str | None
    email_address: str | None
    phone: str | None
    addresses: list[Address] | None
    registration_number: str | None
    tax_number: str | None
    status: SupplierStatus
    default_currency: str | None
    metadata: Metadata | None
    supplemental_data: JSON | None
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    @per_record
    def from_model(cls, company_id: CompanyId, model: models.Supplier) -> Self:
        return cls(
            node_id=format_node_id(company_id, model.id),
            company_id=company_id,
            model=model,
            codat_id=model.id,
            supplier_name=model.supplier_name,
            contact_name=model.contact_name,
            email_address=model.email_address,
            phone=model.phone,
            addresses=many(model.addresses, Address.from_model),
            registration_number=model.registration_number,
            tax_number=model.tax_number,
            status=model.status,
            default_currency=model.default_currency,
            metadata=Metadata.from_model(model.metadata),
            supplemental_data=supplemental(model.supplemental_data),
            modified_date=model.modified_date,
            source_modified_date=model.source_modified_date,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return await resolve_record_nodes(
            info, DataType.SUPPLIERS, node_ids, cls.from_model, required=required
        )

    def _request(self, data_type: DataType, query: str | None, order_by: str | None) -> ListRequest:
        return ListRequest(self.company_id, data_type, query=query, order_by=order_by)

    @strawberry.field(description="This supplier's bills (`supplierRef.id` = this supplier).")
    async def bills(
        self,
        info: Info,
        filter: BillFilter | None = None,
        order_by: BillOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=_QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Bill, strawberry.lazy("schema.types.bills")]] | None:
        from schema.types.bills import Bill

        text = list_query(filter or BillFilter(), query, where("supplierRef.id").eq(self.model.id))
        request = self._request(DataType.BILLS, text, order_param(order_by))
        return await paginate_list(
            info,
            request,
            lambda record: Bill.from_model(self.company_id, record),
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="Payments to this supplier (`supplierRef.id` = this supplier).")
    async def bill_payments(
        self,
        info: Info,
        filter: BillPaymentFilter | None = None,
        order_by: BillPaymentOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=_QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[BillPayment, strawberry.lazy("schema.types.payments")]] | None:
        from schema.types.payments import BillPayment

        supplier = where("supplierRef.id").eq(self.model.id)
        text = list_query(filter or BillPaymentFilter(), query, supplier)
        request = self._request(DataType.BILL_PAYMENTS, text, order_param(order_by))
        return await paginate_list(
            info,
            request,
            lambda record: BillPayment.from_model(self.company_id, record),
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="This supplier's credit notes (`supplierRef.id`).")
    async def bill_credit_notes(
        self,
        info: Info,
        filter: BillCreditNoteFilter | None = None,
        order_by: BillCreditNoteOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=_QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[BillCreditNote, strawberry.lazy("schema.types.bills")]] | None:
        from schema.types.bills import BillCreditNote

        supplier = where("supplierRef.id").eq(self.model.id)
        text = list_query(filter or BillCreditNoteFilter(), query, supplier)
        request = self._request(DataType.BILL_CREDIT_NOTES, text, order_param(order_by))
        return await paginate_list(
            info,
            request,
            lambda record: BillCreditNote.from_model(self.company_id, record),
            first=first,
            after=after,
            last=last,
            before=before,
        )
