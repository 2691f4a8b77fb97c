# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Suppliers, and the bills, payments and credit notes filed against each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from gateway.codat import models
from gateway.codat.models import DataType
from gateway.codat.query import where
from gateway.codat.types import CodatDateTime
from gateway.reads.loaders import ListRequest
from schema.connections import Connection, paginate_list
from schema.context import Info
from schema.enums import SupplierStatus
from schema.filters import BillCreditNoteFilter, BillFilter, BillPaymentFilter, list_query
from schema.ordering import BillCreditNoteOrder, BillOrder, BillPaymentOrder, order_param
from schema.types.base import Record, converted, nested
from schema.types.common import Address, Metadata, supplemental

if TYPE_CHECKING:
    # Bills and payments refer back to suppliers, so these are lazy (imported when resolved).
    from schema.types.bills import Bill, BillCreditNote
    from schema.types.payments import BillPayment

_QUERY = "A raw Codat query, ANDed with the filter (see Codat's query language)."


@strawberry.type(description="A business that bills the company.")
class Supplier(Record, data_type=DataType.SUPPLIERS):
    model: strawberry.Private[models.Supplier]
    supplier_name: str | None
    contact_name: str | None
    email_address: str | None
    phone: str | None
    addresses: list[Address] | None = nested(Address)
    registration_number: str | None
    tax_number: str | None
    status: SupplierStatus
    default_currency: str | None
    metadata: Metadata | None = nested(Metadata)
    supplemental_data: JSON | None = converted(supplemental)
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

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
