"""Accounts-payable arithmetic shared by the seed and by pushes: paying bills, using credit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

Record = dict[str, Any]

CENT = Decimal("0.01")


def money(pence: int | Decimal) -> Decimal:
    """A money amount with exactly two decimal places, from pence (int) or a Decimal amount."""
    if isinstance(pence, int):
        return Decimal(pence).scaleb(-2)
    return pence.quantize(CENT)


def _settle(bill: Record, amount: Decimal) -> None:
    outstanding = Decimal(bill["amountDue"] if "amountDue" in bill else bill["totalAmount"])
    due = money(outstanding - amount)
    bill["amountDue"] = due
    bill["status"] = "Paid" if due <= 0 else "PartiallyPaid"


def allocate_payment(bill: Record, payment: Record, amount: Decimal) -> None:
    """Record `amount` of `payment` against `bill`: amountDue, status and paymentAllocations."""
    summary: Record = {
        "id": payment["id"],
        "currency": payment["currency"],
        "paidOnDate": payment["date"],
        "totalAmount": payment["totalAmount"],
    }
    for key in ("note", "reference", "accountRef", "currencyRate"):
        if key in payment:
            summary[key] = payment[key]
    allocation: Record = {
        "currency": payment["currency"],
        "allocatedOnDate": payment["date"],
        "totalAmount": money(amount),
    }
    if "currencyRate" in payment:
        allocation["currencyRate"] = payment["currencyRate"]
    bill.setdefault("paymentAllocations", []).append({"payment": summary, "allocation": allocation})
    _settle(bill, amount)


def unallocate_payment(bill: Record, payment_id: str) -> None:
    """Undo a deleted payment's allocations to `bill`: it owes that much again."""
    kept: list[Record] = []
    restored = Decimal(0)
    for allocation in bill.get("paymentAllocations", []):
        if allocation["payment"].get("id") == payment_id:
            restored += Decimal(allocation["allocation"]["totalAmount"])
        else:
            kept.append(allocation)
    bill["paymentAllocations"] = kept
    due = money(
        Decimal(bill["amountDue"] if "amountDue" in bill else bill["totalAmount"]) + restored
    )
    bill["amountDue"] = due
    if bill["status"] in {"Paid", "PartiallyPaid"}:
        bill["status"] = "Open" if due >= Decimal(bill["totalAmount"]) else "PartiallyPaid"


def apply_credit_note(
    bill: Record, note: Record, amount: Decimal, day: str, payment_id: str
) -> Record:
    """Use `amount` of a credit note against a bill; returns the zero-value bill payment."""
    amount = money(amount)
    payment: Record = {
        "id": payment_id,
        "supplierRef": dict(bill["supplierRef"]),
        "totalAmount": money(0),
        "currency": bill["currency"],
        "date": day,
        "note": f"Credit note {note.get('billCreditNoteNumber', note['id'])} applied",
        "lines": [
            {
                "amount": money(0),
                "allocatedOnDate": day,
                "links": [
                    {"type": "Bill", "id": bill["id"], "amount": -amount},
                    {"type": "CreditNote", "id": note["id"], "amount": amount},
                ],
            }
        ],
        "metadata": {"isDeleted": False},
    }
    if "currencyRate" in bill:
        payment["currencyRate"] = bill["currencyRate"]
    allocation: Record = {
        "currency": bill["currency"],
        "allocatedOnDate": day,
        "totalAmount": amount,
    }
    summary: Record = {
        "id": note["id"],
        "note": payment["note"],
        "currency": note["currency"],
        "paidOnDate": day,
        "totalAmount": note["totalAmount"],
    }
    bill.setdefault("paymentAllocations", []).append({"payment": summary, "allocation": allocation})
    _settle(bill, amount)
    note["remainingCredit"] = money(note["remainingCredit"] - amount)
    note["status"] = "Paid" if note["remainingCredit"] <= 0 else "PartiallyPaid"
    note["allocatedOnDate"] = day
    note.setdefault("paymentAllocations", []).append(
        {
            "payment": {
                "id": bill["id"],
                "currency": bill["currency"],
                "paidOnDate": day,
                "totalAmount": bill["totalAmount"],
            },
            "allocation": dict(allocation),
        }
    )
    return payment
