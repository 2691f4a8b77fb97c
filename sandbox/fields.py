"""Queryable properties of each data type, and their kinds, as the v1 schemas define them."""

from __future__ import annotations

from typing import Literal

Kind = Literal["string", "number", "date", "bool", "array", "object"]

_RECORD_DATES: dict[str, Kind] = {
    "modifiedDate": "date",
    "sourceModifiedDate": "date",
    "metadata": "object",
    "metadata.isDeleted": "bool",
    "supplementalData": "object",
    "supplementalData.content": "object",
}

_ADDRESSES: dict[str, Kind] = {"addresses": "array"}

_REF = dict[str, Kind]


def _ref(prefix: str, *names: str, kinds: dict[str, Kind] | None = None) -> _REF:
    fields: _REF = {prefix: "object"}
    for name in names:
        fields[f"{prefix}.{name}"] = (kinds or {}).get(name, "string")
    return fields


BILLS: dict[str, Kind] = {
    "id": "string",
    "reference": "string",
    **_ref("supplierRef", "id", "supplierName"),
    "purchaseOrderRefs": "array",
    "issueDate": "date",
    "dueDate": "date",
    "currency": "string",
    "currencyRate": "number",
    "lineItems": "array",
    "withholdingTax": "array",
    "status": "string",
    "subTotal": "number",
    "taxAmount": "number",
    "totalAmount": "number",
    "amountDue": "number",
    "note": "string",
    "paymentAllocations": "array",
    **_RECORD_DATES,
}

BILL_PAYMENTS: dict[str, Kind] = {
    "id": "string",
    **_ref("supplierRef", "id", "supplierName"),
    **_ref("accountRef", "id", "name"),
    "totalAmount": "number",
    "currency": "string",
    "currencyRate": "number",
    "date": "date",
    "note": "string",
    **_ref("paymentMethodRef", "id", "name"),
    "lines": "array",
    "reference": "string",
    **_RECORD_DATES,
}

BILL_CREDIT_NOTES: dict[str, Kind] = {
    "id": "string",
    "billCreditNoteNumber": "string",
    **_ref("supplierRef", "id", "supplierName"),
    "withholdingTax": "array",
    "totalAmount": "number",
    "totalDiscount": "number",
    "subTotal": "number",
    "totalTaxAmount": "number",
    "discountPercentage": "number",
    "remainingCredit": "number",
    "status": "string",
    "issueDate": "date",
    "allocatedOnDate": "date",
    "currency": "string",
    "currencyRate": "number",
    "lineItems": "array",
    "paymentAllocations": "array",
    "note": "string",
    **_RECORD_DATES,
}

SUPPLIERS: dict[str, Kind] = {
    "id": "string",
    "supplierName": "string",
    "contactName": "string",
    "emailAddress": "string",
    "phone": "string",
    **_ADDRESSES,
    "registrationNumber": "string",
    "taxNumber": "string",
    "status": "string",
    "defaultCurrency": "string",
    **_RECORD_DATES,
}

ACCOUNTS: dict[str, Kind] = {
    "id": "string",
    "nominalCode": "string",
    "name": "string",
    "description": "string",
    "fullyQualifiedCategory": "string",
    "fullyQualifiedName": "string",
    "currency": "string",
    "currentBalance": "number",
    "type": "string",
    "status": "string",
    "isBankAccount": "bool",
    "validDatatypeLinks": "array",
    **_RECORD_DATES,
}

BANK_ACCOUNTS: dict[str, Kind] = {
    "id": "string",
    "accountName": "string",
    "accountType": "string",
    "nominalCode": "string",
    "sortCode": "string",
    "accountNumber": "string",
    "iBan": "string",
    "currency": "string",
    "balance": "number",
    "institution": "string",
    "availableBalance": "number",
    "overdraftLimit": "number",
    "status": "string",
    **_RECORD_DATES,
}

PAYMENT_METHODS: dict[str, Kind] = {
    "id": "string",
    "name": "string",
    "type": "string",
    "status": "string",
    **_RECORD_DATES,
}

TAX_RATES: dict[str, Kind] = {
    "id": "string",
    "name": "string",
    "code": "string",
    "status": "string",
    "effectiveTaxRate": "number",
    "totalTaxRate": "number",
    "components": "array",
    "validDatatypeLinks": "array",
    **_RECORD_DATES,
}

TRACKING_CATEGORIES: dict[str, Kind] = {
    "id": "string",
    "name": "string",
    "status": "string",
    "parentId": "string",
    "hasChildren": "bool",
    **_RECORD_DATES,
}

PUSH_OPERATIONS: dict[str, Kind] = {
    "changes": "array",
    "dataType": "string",
    "companyId": "string",
    "pushOperationKey": "string",
    "dataConnectionKey": "string",
    "requestedOnUtc": "date",
    "completedOnUtc": "date",
    "timeoutInMinutes": "number",
    "status": "string",
    "errorMessage": "string",
    "validation": "object",
    "validation.errors": "array",
    "validation.warnings": "array",
    "statusCode": "number",
}

PULL_OPERATIONS: dict[str, Kind] = {
    "id": "string",
    "companyId": "string",
    "connectionId": "string",
    "dataType": "string",
    "status": "string",
    "statusDescription": "string",
    "errorMessage": "string",
    "requested": "date",
    "completed": "date",
    "progress": "number",
    "isErrored": "bool",
    # isCompleted is deliberately absent: Codat documents it as not queryable.
}

COMPANIES: dict[str, Kind] = {
    "id": "string",
    "name": "string",
    "description": "string",
    "redirect": "string",
    "lastSync": "date",
    "created": "date",
    "createdByUserName": "string",
    "products": "array",
    "tags": "object",
    "referenceParentCompany": "object",
    "referenceSubsidiaryCompanies": "array",
    "dataConnections": "array",
}

CONNECTIONS: dict[str, Kind] = {
    "id": "string",
    "integrationId": "string",
    "integrationKey": "string",
    "sourceId": "string",
    "sourceType": "string",
    "platformName": "string",
    "linkUrl": "string",
    "status": "string",
    "lastSync": "date",
    "created": "date",
    "dataConnectionErrors": "array",
    "connectionInfo": "object",
}
