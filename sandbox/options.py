"""PushOption bodies: create/update models for bills, bill payments, credit notes, suppliers."""

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
}  # fmt: skip

_CHOICES: dict[tuple[str, str], list[str]] = {
    ("bills", "status"): ["Draft", "Open"],
    ("billCreditNotes", "status"): ["Draft", "Submitted"],
    ("suppliers", "status"): ["Active", "Archived"],
}

_TITLES = {
    "bills": "Bill",
    "billPayments": "Bill Payment",
    "billCreditNotes": "Bill Credit Note",
    "suppliers": "Supplier",
}


def _display(name: str) -> str:
    spaced = "".join(f" {ch}" if ch.isupper() else ch for ch in name)
    return spaced[0].upper() + spaced[1:]


def push_option(company: Company, path: str) -> Record:
    """The PushOption model for `path`, with live choices (accounts, suppliers) from the company."""
    required = {name.split(".")[0] for name in REQUIRED[path]}
    properties: dict[str, Record] = {}
    for name, kind in _PROPERTIES[path].items():
        prop: Record = {
            "type": kind,
            "displayName": _display(name),
            "description": f"{_display(name)} of the {_TITLES[path].lower()}.",
            "required": name in required,
        }
        choices = _CHOICES.get((path, name))
        if choices:
            prop["options"] = [
                {"value": c, "displayName": c, "required": False, "type": "String"} for c in choices
            ]
        if path == "billPayments" and name == "accountRef":
            banks = [a for a in company.records["accounts"].values() if a.get("isBankAccount")]
            prop["properties"] = {
                "id": {
                    "type": "String",
                    "displayName": "Account ID",
                    "description": "A bank account to pay from.",
                    "required": True,
                    "options": [
                        {
                            "value": a["id"],
                            "displayName": a["name"],
                            "required": False,
                            "type": "String",
                        }
                        for a in banks
                    ],
                }
            }
        properties[name] = prop
    return {
        "type": "Object",
        "displayName": _TITLES[path],
        "description": f"{_TITLES[path]} model for {company.connection['platformName']}.",
        "required": True,
        "properties": properties,
        "validation": {
            "warnings": [],
            "information": [
                {"field": "id", "details": "Ids are assigned by the accounting software."}
            ],
        },
    }
