"""Codat's enums as StrEnums; a value Codat adds later parses as `Unknown` instead of failing."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class CodatEnum(StrEnum):
    """Base for Codat enums: unknown values map to the `Unknown` (or `UNKNOWN`) member."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        for name in ("Unknown", "UNKNOWN"):
            if name in cls.__members__:
                return cls.__members__[name]
        return None


class BillStatus(CodatEnum):
    Unknown = "Unknown"
    Open = "Open"
    PartiallyPaid = "PartiallyPaid"
    Paid = "Paid"
    Void = "Void"
    Draft = "Draft"


class BillCreditNoteStatus(CodatEnum):
    Unknown = "Unknown"
    Draft = "Draft"
    Submitted = "Submitted"
    Paid = "Paid"
    Void = "Void"
    PartiallyPaid = "PartiallyPaid"


class SupplierStatus(CodatEnum):
    Unknown = "Unknown"
    Active = "Active"
    Archived = "Archived"


class PaymentMethodStatus(CodatEnum):
    Unknown = "Unknown"
    Active = "Active"
    Archived = "Archived"


class TaxRateStatus(CodatEnum):
    Unknown = "Unknown"
    Active = "Active"
    Archived = "Archived"


class TrackingCategoryStatus(CodatEnum):
    Unknown = "Unknown"
    Active = "Active"
    Archived = "Archived"


class AccountStatus(CodatEnum):
    Unknown = "Unknown"
    Active = "Active"
    Archived = "Archived"
    Pending = "Pending"


class BankAccountType(CodatEnum):
    Unknown = "Unknown"
    Credit = "Credit"
    Debit = "Debit"


class AccountType(CodatEnum):
    Unknown = "Unknown"
    Asset = "Asset"
    Expense = "Expense"
    Income = "Income"
    Liability = "Liability"
    Equity = "Equity"


class PaymentMethodType(CodatEnum):
    Unknown = "Unknown"
    Cash = "Cash"
    Check = "Check"
    CreditCard = "CreditCard"
    DebitCard = "DebitCard"
    BankTransfer = "BankTransfer"
    Other = "Other"


class BillPaymentLineLinkType(CodatEnum):
    Unknown = "Unknown"
    Unlinked = "Unlinked"
    Bill = "Bill"
    Other = "Other"
    CreditNote = "CreditNote"
    BillPayment = "BillPayment"
    PaymentOnAccount = "PaymentOnAccount"
    Refund = "Refund"
    ManualJournal = "ManualJournal"
    Discount = "Discount"


class BilledToType(CodatEnum):
    Unknown = "Unknown"
    NotApplicable = "NotApplicable"
    Customer = "Customer"
    Project = "Project"


class AddressType(CodatEnum):
    Unknown = "Unknown"
    Billing = "Billing"
    Delivery = "Delivery"


class PhoneNumberType(CodatEnum):
    Unknown = "Unknown"
    Primary = "Primary"
    Landline = "Landline"
    Mobile = "Mobile"
    Fax = "Fax"


class WebLinkType(CodatEnum):
    Unknown = "Unknown"
    Website = "Website"
    Social = "Social"


class PushOperationStatus(CodatEnum):
    # Codat's enum has no Unknown; we add one so a status Codat introduces later still parses.
    Unknown = "Unknown"
    Pending = "Pending"
    Failed = "Failed"
    Success = "Success"
    TimedOut = "TimedOut"


class PushChangeType(CodatEnum):
    Unknown = "Unknown"
    Created = "Created"
    Modified = "Modified"
    Deleted = "Deleted"
    AttachmentUploaded = "AttachmentUploaded"


class PushOptionType(CodatEnum):
    # Added for forward compatibility; not one of Codat's values.
    Unknown = "Unknown"
    Array = "Array"
    Object = "Object"
    String = "String"
    Number = "Number"
    Boolean = "Boolean"
    DateTime = "DateTime"
    File = "File"
    MultiPart = "MultiPart"


class ConnectionStatus(CodatEnum):
    # Added for forward compatibility; not one of Codat's values.
    Unknown = "Unknown"
    PendingAuth = "PendingAuth"
    Linked = "Linked"
    Unlinked = "Unlinked"
    Deauthorized = "Deauthorized"


class ConnectionErrorStatus(CodatEnum):
    # Added for forward compatibility; not one of Codat's values.
    Unknown = "Unknown"
    Active = "Active"
    Resolved = "Resolved"


class SourceType(CodatEnum):
    Unknown = "Unknown"
    Accounting = "Accounting"
    Banking = "Banking"
    BankFeed = "BankFeed"
    Commerce = "Commerce"
    Expense = "Expense"
    Other = "Other"


class PullOperationStatus(CodatEnum):
    """A dataset's status (`PullOperation.status`, `DataStatus.currentStatus`)."""

    # Added for forward compatibility; not one of Codat's values.
    Unknown = "Unknown"
    Initial = "Initial"
    Queued = "Queued"
    Fetching = "Fetching"
    MapQueued = "MapQueued"
    Mapping = "Mapping"
    Complete = "Complete"
    FetchError = "FetchError"
    MapError = "MapError"
    InternalError = "InternalError"
    ProcessingQueued = "ProcessingQueued"
    Processing = "Processing"
    ProcessingError = "ProcessingError"
    ValidationQueued = "ValidationQueued"
    Validating = "Validating"
    ValidationError = "ValidationError"
    AuthError = "AuthError"
    Cancelled = "Cancelled"
    NotSupported = "NotSupported"
    RateLimitError = "RateLimitError"
    PermissionsError = "PermissionsError"
    PrerequisiteNotMet = "PrerequisiteNotMet"


class DataType(CodatEnum):
    """Codat's data type names (keys of `dataStatus`); accounts are `chartOfAccounts` here."""

    # Codat's values are camelCase with hyphens, so members get Python constant names.
    UNKNOWN = "unknown"
    ACCOUNT_TRANSACTIONS = "accountTransactions"
    BALANCE_SHEET = "balanceSheet"
    BANK_ACCOUNTS = "bankAccounts"
    BANK_TRANSACTIONS = "bankTransactions"
    BILL_CREDIT_NOTES = "billCreditNotes"
    BILL_PAYMENTS = "billPayments"
    BILLS = "bills"
    CASH_FLOW_STATEMENT = "cashFlowStatement"
    CHART_OF_ACCOUNTS = "chartOfAccounts"
    COMPANY = "company"
    CREDIT_NOTES = "creditNotes"
    CUSTOMERS = "customers"
    DIRECT_COSTS = "directCosts"
    DIRECT_INCOMES = "directIncomes"
    INVOICES = "invoices"
    ITEM_RECEIPTS = "itemReceipts"
    ITEMS = "items"
    JOURNAL_ENTRIES = "journalEntries"
    JOURNALS = "journals"
    PAYMENT_METHODS = "paymentMethods"
    PAYMENTS = "payments"
    PROFIT_AND_LOSS = "profitAndLoss"
    PURCHASE_ORDERS = "purchaseOrders"
    SALES_ORDERS = "salesOrders"
    SUPPLIERS = "suppliers"
    TAX_RATES = "taxRates"
    TRACKING_CATEGORIES = "trackingCategories"
    TRANSFERS = "transfers"
    BANKING_ACCOUNT_BALANCES = "banking-accountBalances"
    BANKING_ACCOUNTS = "banking-accounts"
    BANKING_TRANSACTION_CATEGORIES = "banking-transactionCategories"
    BANKING_TRANSACTIONS = "banking-transactions"
    COMMERCE_COMPANY_INFO = "commerce-companyInfo"
    COMMERCE_CUSTOMERS = "commerce-customers"
    COMMERCE_DISPUTES = "commerce-disputes"
    COMMERCE_LOCATIONS = "commerce-locations"
    COMMERCE_ORDERS = "commerce-orders"
    COMMERCE_PAYMENT_METHODS = "commerce-paymentMethods"
    COMMERCE_PAYMENTS = "commerce-payments"
    COMMERCE_PRODUCT_CATEGORIES = "commerce-productCategories"
    COMMERCE_PRODUCTS = "commerce-products"
    COMMERCE_TAX_COMPONENTS = "commerce-taxComponents"
    COMMERCE_TRANSACTIONS = "commerce-transactions"
