"""The ceiling: the AP dashboard executed by a bare Strawberry schema over in-memory records."""

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

Records = dict[str, dict[str, list[dict[str, Any]]]]
"""company id -> data type -> records, as Codat returns them."""


def build_bare_schema(companies: list[dict[str, Any]], records: Records) -> strawberry.Schema:
    """A schema answering AP_DASHBOARD from dicts: no loaders, no I/O, sync resolvers.

    Field names and nesting match the gateway's so the same document runs on both.
    """
    filtered: dict[tuple[Any, ...], list[dict[str, Any]]] = {}

    def _filtered(
        company_id: str, statuses: frozenset[str] | None, low: str | None, high: str | None
    ) -> list[dict[str, Any]]:
        # Filtered and sorted once per argument set, like the gateway's cached pages: the
        # ceiling pays only for execution, never for work the gateway leaves to Codat.
        key = (company_id, statuses, low, high)
        if key not in filtered:
            filtered[key] = sorted(
                (
                    bill
                    for bill in records[company_id]["bills"]
                    if (not statuses or bill["status"] in statuses)
                    and (low is None or bill["dueDate"][:10] >= low)
                    and (high is None or bill["dueDate"][:10] <= high)
                    and not (bill.get("metadata") or {}).get("isDeleted")
                ),
                key=lambda bill: bill["dueDate"],
            )
        return filtered[key]

    by_id = {
        (company_id, kind): {record["id"]: record for record in items}
        for company_id, kinds in records.items()
        for kind, items in kinds.items()
    }

    @strawberry.type
    class Supplier:
        id: strawberry.ID
        codat_id: str
        supplier_name: str | None

    @strawberry.type
    class Account:
        codat_id: str
        name: str | None

    @strawberry.type
    class TaxRate:
        codat_id: str
        name: str | None
        effective_tax_rate: Decimal | None

    @strawberry.type
    class BillPayment:
        codat_id: str
        total_amount: Decimal | None
        date: str

    @strawberry.type
    class LineItem:
        company_id: strawberry.Private[str]
        raw: strawberry.Private[dict[str, Any]]
        description: str | None
        total_amount: Decimal | None

        @strawberry.field
        def account(self) -> Account | None:
            ref = self.raw.get("accountRef") or {}
            record = by_id[(self.company_id, "accounts")].get(ref.get("id"))
            return Account(codat_id=record["id"], name=record.get("name")) if record else None

        @strawberry.field
        def tax_rate(self) -> TaxRate | None:
            ref = self.raw.get("taxRateRef") or {}
            record = by_id[(self.company_id, "taxRates")].get(ref.get("id"))
            if record is None:
                return None
            return TaxRate(
                codat_id=record["id"],
                name=record.get("name"),
                effective_tax_rate=Decimal(str(record.get("effectiveTaxRate", 0))),
            )

    @strawberry.type
    class Bill:
        company_id: strawberry.Private[str]
        raw: strawberry.Private[dict[str, Any]]
        id: strawberry.ID
        codat_id: str
        reference: str | None
        due_date: str | None
        currency: str | None
        total_amount: Decimal
        amount_due: Decimal | None
        status: str

        @strawberry.field
        def supplier(self) -> Supplier | None:
            ref = self.raw.get("supplierRef") or {}
            record = by_id[(self.company_id, "suppliers")].get(ref.get("id"))
            if record is None:
                return None
            return Supplier(
                id=strawberry.ID(record["id"]),
                codat_id=record["id"],
                supplier_name=record.get("supplierName"),
            )

        @strawberry.field
        def bill_payments(self) -> list[BillPayment]:
            payments = by_id[(self.company_id, "billPayments")]
            found = []
            for allocation in self.raw.get("paymentAllocations") or []:
                record = payments.get(allocation["payment"].get("id"))
                if record is not None:
                    found.append(
                        BillPayment(
                            codat_id=record["id"],
                            total_amount=Decimal(str(record["totalAmount"])),
                            date=record["date"],
                        )
                    )
            return found

        @strawberry.field
        def line_items(self) -> list[LineItem]:
            return [
                LineItem(
                    company_id=self.company_id,
                    raw=line,
                    description=line.get("description"),
                    total_amount=Decimal(str(line.get("totalAmount", 0))),
                )
                for line in self.raw.get("lineItems") or []
            ]

    @strawberry.type
    class BillConnection:
        total_count: int
        nodes: list[Bill]

    @strawberry.enum
    class BillStatus(Enum):
        Open = "Open"
        PartiallyPaid = "PartiallyPaid"
        Paid = "Paid"
        Void = "Void"
        Draft = "Draft"

    @strawberry.enum
    class BillOrderField(Enum):
        DUE_DATE = "dueDate"

    @strawberry.enum
    class Direction(Enum):
        ASC = "ASC"
        DESC = "DESC"

    @strawberry.input
    class DateRange:
        from_: date | None = strawberry.field(name="from", default=None)
        to: date | None = None

    @strawberry.input
    class BillFilter:
        status: list[BillStatus] | None = None
        due_date: DateRange | None = None

    @strawberry.input
    class BillOrder:
        field: BillOrderField
        direction: Direction

    @strawberry.type
    class Company:
        id: strawberry.ID
        name: str

        @strawberry.field
        def bills(
            self,
            first: int,
            filter: BillFilter | None = None,
            order_by: BillOrder | None = None,
        ) -> BillConnection:
            statuses = (
                frozenset(status.value for status in (filter.status or [])) if filter else None
            )
            range_ = filter.due_date if filter else None
            low = range_.from_.isoformat() if range_ and range_.from_ else None
            high = range_.to.isoformat() if range_ and range_.to else None
            items = _filtered(str(self.id), statuses, low, high)
            return BillConnection(
                total_count=len(items),
                nodes=[
                    Bill(
                        company_id=str(self.id),
                        raw=bill,
                        id=strawberry.ID(bill["id"]),
                        codat_id=bill["id"],
                        reference=bill.get("reference"),
                        due_date=bill.get("dueDate"),
                        currency=bill.get("currency"),
                        total_amount=Decimal(str(bill["totalAmount"])),
                        amount_due=Decimal(str(bill.get("amountDue", 0))),
                        status=bill["status"],
                    )
                    for bill in items[:first]
                ],
            )

    @strawberry.type
    class CompanyConnection:
        total_count: int
        nodes: list[Company]

    @strawberry.type
    class Query:
        @strawberry.field
        def companies(self, first: int) -> CompanyConnection:
            return CompanyConnection(
                total_count=len(companies),
                nodes=[
                    Company(id=strawberry.ID(company["id"]), name=company["name"])
                    for company in companies[:first]
                ],
            )

    return strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=100), lambda: ValidationCache(maxsize=100)],
    )


def build_bare_bills_schema(
    bills: list[dict[str, Any]], suppliers: dict[str, Any]
) -> strawberry.Schema:
    """bench/warm_path.py's bill list over dicts in memory: the execution ceiling."""

    @strawberry.type
    class Supplier:
        codat_id: str
        supplier_name: str | None

    @strawberry.type
    class Bill:
        codat_id: str
        reference: str | None
        issue_date: str
        due_date: str | None
        currency: str | None
        total_amount: Decimal
        amount_due: Decimal | None
        status: str
        supplier_id: strawberry.Private[str]

        @strawberry.field
        def supplier(self) -> Supplier | None:
            record = suppliers.get(self.supplier_id)
            if record is None:
                return None
            return Supplier(codat_id=record["id"], supplier_name=record.get("supplierName"))

    @strawberry.type
    class BillConnection:
        nodes: list[Bill]

    @strawberry.type
    class Company:
        @strawberry.field
        def bills(self, first: int) -> BillConnection:
            return BillConnection(
                nodes=[
                    Bill(
                        codat_id=bill["id"],
                        reference=bill.get("reference"),
                        issue_date=bill["issueDate"],
                        due_date=bill.get("dueDate"),
                        currency=bill.get("currency"),
                        total_amount=Decimal(str(bill["totalAmount"])),
                        amount_due=Decimal(str(bill.get("amountDue", 0))),
                        status=bill["status"],
                        supplier_id=bill["supplierRef"]["id"],
                    )
                    for bill in bills[:first]
                ]
            )

    @strawberry.type
    class Query:
        @strawberry.field
        def company(self, id: strawberry.ID) -> Company:
            return Company()

    return strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=100), lambda: ValidationCache(maxsize=100)],
    )
