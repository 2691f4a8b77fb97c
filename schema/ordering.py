"""Order inputs: a Codat property per list (an enum) and a direction, sent as `field`/`-field`."""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.codat.query import OrderBy
from schema.enums import OrderDirection


class _Order:
    """Shared by the order inputs: `field` (a Codat property) and `direction`."""

    field: Enum
    direction: OrderDirection

    def to_param(self) -> str:
        descending = self.direction is OrderDirection.DESC
        return str(OrderBy(str(self.field.value), descending=descending))


def order_param(order: _Order | None) -> str | None:
    return None if order is None else order.to_param()


@strawberry.enum(description="Bill properties Codat can order by.")
class BillOrderField(Enum):
    ISSUE_DATE = "issueDate"
    DUE_DATE = "dueDate"
    AMOUNT_DUE = "amountDue"
    TOTAL_AMOUNT = "totalAmount"
    REFERENCE = "reference"
    STATUS = "status"
    SUPPLIER_NAME = "supplierRef.supplierName"
    MODIFIED_DATE = "modifiedDate"
    SOURCE_MODIFIED_DATE = "sourceModifiedDate"


@strawberry.input(description="How to order bills.")
class BillOrder(_Order):
    field: BillOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="Bill credit note properties Codat can order by.")
class BillCreditNoteOrderField(Enum):
    ISSUE_DATE = "issueDate"
    TOTAL_AMOUNT = "totalAmount"
    REMAINING_CREDIT = "remainingCredit"
    BILL_CREDIT_NOTE_NUMBER = "billCreditNoteNumber"
    MODIFIED_DATE = "modifiedDate"
    SOURCE_MODIFIED_DATE = "sourceModifiedDate"


@strawberry.input(description="How to order bill credit notes.")
class BillCreditNoteOrder(_Order):
    field: BillCreditNoteOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="Bill payment properties Codat can order by.")
class BillPaymentOrderField(Enum):
    DATE = "date"
    TOTAL_AMOUNT = "totalAmount"
    REFERENCE = "reference"
    MODIFIED_DATE = "modifiedDate"
    SOURCE_MODIFIED_DATE = "sourceModifiedDate"


@strawberry.input(description="How to order bill payments.")
class BillPaymentOrder(_Order):
    field: BillPaymentOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="Supplier properties Codat can order by.")
class SupplierOrderField(Enum):
    SUPPLIER_NAME = "supplierName"
    STATUS = "status"
    MODIFIED_DATE = "modifiedDate"
    SOURCE_MODIFIED_DATE = "sourceModifiedDate"


@strawberry.input(description="How to order suppliers.")
class SupplierOrder(_Order):
    field: SupplierOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="Account properties Codat can order by.")
class AccountOrderField(Enum):
    NAME = "name"
    NOMINAL_CODE = "nominalCode"
    FULLY_QUALIFIED_NAME = "fullyQualifiedName"
    CURRENT_BALANCE = "currentBalance"
    TYPE = "type"
    MODIFIED_DATE = "modifiedDate"


@strawberry.input(description="How to order accounts and bank accounts.")
class AccountOrder(_Order):
    field: AccountOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="Name-ordered reference data: payment methods, tax rates, categories.")
class NameOrderField(Enum):
    NAME = "name"
    MODIFIED_DATE = "modifiedDate"


@strawberry.input(description="How to order payment methods, tax rates or tracking categories.")
class NameOrder(_Order):
    field: NameOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="Push operation properties Codat can order by.")
class PushOperationOrderField(Enum):
    REQUESTED_ON_UTC = "requestedOnUtc"
    COMPLETED_ON_UTC = "completedOnUtc"
    STATUS = "status"


@strawberry.input(description="How to order push operations.")
class PushOperationOrder(_Order):
    field: PushOperationOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.enum(description="Company properties Codat can order by.")
class CompanyOrderField(Enum):
    NAME = "name"
    CREATED = "created"
    LAST_SYNC = "lastSync"


@strawberry.input(description="How to order companies.")
class CompanyOrder(_Order):
    field: CompanyOrderField
    direction: OrderDirection = OrderDirection.ASC
