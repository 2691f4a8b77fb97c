"""PushOption bodies: the create/update model of every data type the v1 spec has `options/` for,
with allowed values taken from the company's own data (accounts, tax rates, bank accounts)."""

from __future__ import annotations

from typing import Any

from sandbox.push_rules import REQUIRED
from sandbox.store import Company

Record = dict[str, Any]

_PROPERTIES: dict[str, dict[str, str]] = {
    "bills": {
        "reference": "String", "supplierRef": "Object", "issueDate": "DateTime",
        "dueDate": "DateTime", "currency": "String", "currencyRate": "Number",
        "lineItems": "Array", "status": "String", "subTotal": "Number", "taxAmount": "Number",
        "totalAmount": "Number", "note": "String",
    },
    "billPayments": {
        "supplierRef": "Object", "accountRef": "Object", "paymentMethodRef": "Object",
        "totalAmount": "Number", "currency": "String", "currencyRate": "Number",
        "date": "DateTime", "note": "String", "reference": "String", "lines": "Array",
    },
    "billCreditNotes": {
        "billCreditNoteNumber": "String", "supplierRef": "Object", "totalAmount": "Number",
        "totalDiscount": "Number", "subTotal": "Number", "totalTaxAmount": "Number",
        "discountPercentage": "Number", "status": "String", "issueDate": "DateTime",
        "currency": "String", "currencyRate": "Number", "lineItems": "Array", "note": "String",
    },
    "suppliers": {
        "supplierName": "String", "contactName": "String", "emailAddress": "String",
        "phone": "String", "addresses": "Array", "registrationNumber": "String",
        "taxNumber": "String", "status": "String", "defaultCurrency": "String",
    },
    "chartOfAccounts": {
        "nominalCode": "String", "name": "String", "description": "String",
        "fullyQualifiedCategory": "String", "fullyQualifiedName": "String", "currency": "String",
        "currentBalance": "Number", "type": "String", "status": "String",
    },
    "bankAccounts": {
        "accountName": "String", "accountType": "String", "nominalCode": "String",
        "sortCode": "String", "accountNumber": "String", "iBan": "String", "currency": "String",
        "balance": "Number", "institution": "String", "overdraftLimit": "Number",
        "status": "String",
    },
    "journals": {
        "journalCode": "String", "name": "String", "type": "String", "status": "String",
        "parentId": "String", "hasChildren": "Boolean",
    },
    "journalEntries": {
        "description": "String", "postedOn": "DateTime", "journalRef": "Object",
        "journalLines": "Array", "recordRef": "Object",
    },
}  # fmt: skip

OPTION_DATA_TYPES = tuple(_PROPERTIES)
"""The data types `GET .../options/{dataType}` answers (the v1 spec's eight)."""

# Which records path each model's required fields (push_rules.REQUIRED) are under.
_RULES = {"chartOfAccounts": "accounts"}
_JOURNAL_REQUIRED = {"journals": ("name",), "journalEntries": ("postedOn", "journalLines")}

_CHOICES: dict[tuple[str, str], list[str]] = {
    ("bills", "status"): ["Draft", "Open"],
    ("billCreditNotes", "status"): ["Draft", "Submitted"],
    ("suppliers", "status"): ["Active", "Archived"],
    ("chartOfAccounts", "type"): ["Asset", "Expense", "Income", "Liability", "Equity"],
    ("chartOfAccounts", "fullyQualifiedCategory"): [
        "Asset.Current", "Asset.Fixed", "Expense.Operating", "Expense.DirectCosts",
        "Income.Revenue", "Liability.Current", "Equity.Owners",
    ],
    ("chartOfAccounts", "status"): ["Active", "Archived"],
    ("bankAccounts", "accountType"): ["Credit", "Debit"],
    ("bankAccounts", "status"): ["Active", "Archived"],
    ("journals", "status"): ["Active", "Archived"],
}  # fmt: skip
_CURRENCIES = ["GBP", "USD", "EUR"]

_TITLES = {
    "bills": "Bill",
    "billPayments": "Bill Payment",
    "billCreditNotes": "Bill Credit Note",
    "suppliers": "Supplier",
    "chartOfAccounts": "Account",
    "bankAccounts": "Bank Account",
    "journals": "Journal",
    "journalEntries": "Journal Entry",
}


def _display(name: str) -> str:
    spaced = "".join(f" {ch}" if ch.isupper() else ch for ch in name)
    return spaced[0].upper() + spaced[1:]


def _choice(value: str, display: str) -> Record:
    return {"value": value, "displayName": display, "required": False, "type": "String"}


def _ref_id(description: str, choices: list[Record], required: bool) -> Record:
    """An `xxxRef` object whose `id` must be one of `choices`."""
    return {
        "id": {
            "type": "String",
            "displayName": "ID",
            "description": description,
            "required": required,
            "options": choices,
        }
    }


def _live(company: Company, path: str) -> list[Record]:
    return [
        r
        for r in company.records.get(path, {}).values()
        if not r.get("metadata", {}).get("isDeleted") and r.get("status", "Active") == "Active"
    ]


def _allowed(company: Company, data_type: str) -> dict[str, Record]:
    """Sub-properties whose allowed values come from the company: refs to its records."""
    accounts = [_choice(a["id"], a["name"]) for a in _live(company, "accounts")]
    expenses = [
        _choice(a["id"], a["name"])
        for a in _live(company, "accounts")
        if not a.get("isBankAccount")
    ]
    banks = [
        _choice(a["id"], a["name"]) for a in _live(company, "accounts") if a.get("isBankAccount")
    ]
    taxes = [_choice(t["id"], t["name"]) for t in _live(company, "taxRates")]
    methods = [_choice(m["id"], m["name"]) for m in _live(company, "paymentMethods")]
    suppliers = [
        _choice(x["id"], str(x.get("supplierName") or x["id"])) for x in _live(company, "suppliers")
    ]
    line = {
        "accountRef": {
            "type": "Object", "displayName": "Account", "required": True,
            "description": "The expense account of the line.",
            "properties": _ref_id("An account of the chart of accounts.", expenses, True),
        },
        "taxRateRef": {
            "type": "Object", "displayName": "Tax Rate", "required": False,
            "description": "The tax rate of the line.",
            "properties": _ref_id("A tax rate of the company.", taxes, True),
        },
    }  # fmt: skip
    supplier = {"properties": _ref_id("A supplier of the company.", suppliers, True)}
    if data_type in {"bills", "billCreditNotes"}:
        return {"supplierRef": supplier, "lineItems": {"properties": line}}
    if data_type == "billPayments":
        return {
            "supplierRef": supplier,
            "accountRef": {"properties": _ref_id("A bank account to pay from.", banks, True)},
            "paymentMethodRef": {
                "properties": _ref_id("A payment method of the company.", methods, True)
            },
        }
    if data_type == "journalEntries":
        journal_line = {
            "accountRef": {
                "type": "Object", "displayName": "Account", "required": True,
                "description": "The account of the journal line.",
                "properties": _ref_id("An account of the chart of accounts.", accounts, True),
            }
        }  # fmt: skip
        return {"journalLines": {"properties": journal_line}}
    return {}


def push_option(company: Company, connection: Record, data_type: str) -> Record:
    """The PushOption model for `data_type`, with live choices from the company's data."""
    rules = _RULES.get(data_type, data_type)
    required_fields = REQUIRED.get(rules) or _JOURNAL_REQUIRED.get(data_type, ())
    required = {name.split(".")[0] for name in required_fields}
    allowed = _allowed(company, data_type)
    title = _TITLES[data_type]
    properties: dict[str, Record] = {}
    for name, kind in _PROPERTIES[data_type].items():
        prop: Record = {
            "type": kind,
            "displayName": _display(name),
            "description": f"{_display(name)} of the {title.lower()}.",
            "required": name in required,
        }
        choices = _CHOICES.get((data_type, name))
        if name == "currency" or name == "defaultCurrency":
            choices = _CURRENCIES
        if choices:
            prop["options"] = [_choice(c, c) for c in choices]
        extra = allowed.get(name)
        if extra is not None:
            prop["properties"] = extra["properties"]
        properties[name] = prop
    return {
        "type": "Object",
        "displayName": title,
        "description": f"{title} model for {connection['platformName']}.",
        "required": True,
        "properties": properties,
        "validation": {
            "warnings": [],
            "information": [
                {"field": "id", "details": "Ids are assigned by the accounting software."}
            ],
        },
    }
