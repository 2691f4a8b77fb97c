"""GraphQL enums: Codat's own enums exposed under Codat's names, plus ordering direction."""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.codat.models import (
    AccountStatus,
    AccountType,
    AddressType,
    BankAccountType,
    BillCreditNoteStatus,
    BilledToType,
    BillPaymentLineLinkType,
    BillStatus,
    ConnectionErrorStatus,
    ConnectionStatus,
    DataType,
    PaymentMethodStatus,
    PaymentMethodType,
    PhoneNumberType,
    PullOperationStatus,
    PushChangeType,
    PushOperationStatus,
    PushOptionType,
    SourceType,
    SupplierStatus,
    TaxRateStatus,
    TrackingCategoryStatus,
    WebLinkType,
)
from gateway.writes.refresh import SyncState

__all__ = [
    "AccountStatus",
    "AccountType",
    "AddressType",
    "BankAccountType",
    "BillCreditNoteStatus",
    "BillPaymentLineLinkType",
    "BillStatus",
    "BilledToType",
    "ConnectionErrorStatus",
    "ConnectionStatus",
    "DataType",
    "MappingDataType",
    "OrderDirection",
    "PaymentMethodStatus",
    "PaymentMethodType",
    "PhoneNumberType",
    "PullOperationStatus",
    "PushChangeType",
    "PushOperationStatus",
    "PushOptionType",
    "SourceType",
    "SupplierStatus",
    "SyncState",
    "TaxRateStatus",
    "TrackingCategoryStatus",
    "WebLinkType",
]

# The gateway's StrEnums are the one definition: the GraphQL enums are those classes, so a value
# read from Codat is already a GraphQL value, and GraphQL values are Codat's words (`Open`).
# A value Codat adds later parses as `Unknown` (see `CodatEnum`), so it never breaks a response.
_CODAT_ENUMS: tuple[tuple[type[Enum], str], ...] = (
    (AccountStatus, "An account's status in the chart of accounts."),
    (AccountType, "An account's top-level type."),
    (AddressType, "What an address is used for."),
    (BankAccountType, "Whether a bank account's positive balances are assets (Debit) or not."),
    (BillCreditNoteStatus, "A bill credit note's status."),
    (BilledToType, "Whom a line's cost is rebilled to."),
    (BillPaymentLineLinkType, "What a bill payment line's link points at; decides the link's id."),
    (BillStatus, "A bill's status."),
    (ConnectionErrorStatus, "Whether a data connection error is still active."),
    (ConnectionStatus, "A data connection's status."),
    (DataType, "Codat's data types (the keys of `dataStatus`); accounts are CHART_OF_ACCOUNTS."),
    (PaymentMethodStatus, "A payment method's status."),
    (PaymentMethodType, "A payment method's kind."),
    (PhoneNumberType, "What a phone number is."),
    (PullOperationStatus, "A dataset's (sync's) status."),
    (PushChangeType, "What a push operation changed."),
    (PushOperationStatus, "A push (write) operation's status."),
    (PushOptionType, "The kind of value a field of a create/update model takes."),
    (SourceType, "What kind of software a data connection reads."),
    (SupplierStatus, "A supplier's status."),
    (TaxRateStatus, "A tax rate's status."),
    (TrackingCategoryStatus, "A tracking category's status."),
    (WebLinkType, "What a web link is."),
)

for _enum, _description in _CODAT_ENUMS:
    strawberry.enum(_enum, description=_description)


@strawberry.enum(description="Ascending (Codat's default) or descending order.")
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum(description="The data types Codat describes a create/update model for.")
class MappingDataType(Enum):
    BILLS = "bills"
    BILL_PAYMENTS = "billPayments"
    BILL_CREDIT_NOTES = "billCreditNotes"
    SUPPLIERS = "suppliers"
    BANK_ACCOUNTS = "bankAccounts"
    CHART_OF_ACCOUNTS = "chartOfAccounts"
    JOURNALS = "journals"
    JOURNAL_ENTRIES = "journalEntries"


strawberry.enum(
    SyncState,
    description=(
        "Whether what a write changed can be read back from Codat yet (Codat does not put "
        "pushed records in its cache: the data types are refreshed first)."
    ),
)
