"""Push validation: what Codat would reject, and the change to apply when it would accept."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.ledger import allocate_payment, money, unallocate_payment
from sandbox.records import Attachment, supplier_ref
from sandbox.runtime import Sandbox
from sandbox.store import DATA_TYPE_OF, Company

Record = dict[str, Any]

REQUIRED: dict[str, tuple[str, ...]] = {
    "bills": ("supplierRef.id", "issueDate", "status", "subTotal", "taxAmount", "totalAmount"),
    "billPayments": ("supplierRef.id", "accountRef.id", "totalAmount", "currency", "date", "lines"),
    "billCreditNotes": (
        "supplierRef.id",
        "totalAmount",
        "totalDiscount",
        "subTotal",
        "totalTaxAmount",
        "discountPercentage",
        "status",
    ),
    "suppliers": ("supplierName", "status"),
    # What the sandbox's own create models (options.py) mark required for these two.
    "accounts": ("name", "fullyQualifiedCategory", "type", "currency"),
    "bankAccounts": ("accountName", "accountType", "currency"),
}
READ_ONLY = ("id", "modifiedDate", "sourceModifiedDate")
BILLED_TO_TYPES = {"Unknown", "NotApplicable", "Customer", "Project"}
ADDRESS_TYPES = {"Unknown", "Billing", "Delivery"}
PURCHASE_ORDER_REF_FIELDS = {"id", "purchaseOrderNumber"}
CLOSED_BILL_STATUSES = {"Paid", "Void"}
_LINE_REFS = (
    ("accountRef", "accounts", "Account", "AccountExistsValidator"),
    ("taxRateRef", "taxRates", "Tax rate", "TaxRateExistsValidator"),
)
"""A line's references that must name a live record: (ref, data path, what, Codat validator)."""


@dataclass
class Outcome:
    """What a push turned out to be: errors, or the change to apply and the types it touches."""

    errors: list[Record] = field(default_factory=list)
    changes: list[Record] = field(default_factory=list)
    apply: Callable[[], None] | None = None
    modified: list[str] = field(default_factory=list)
    status_code: int = 400

    def error(self, item_id: str, message: str, validator: str) -> None:
        self.errors.append({"itemId": item_id, "message": message, "validatorName": validator})


def _get(record: Record, dotted: str) -> Any:
    current: Any = record
    for part in dotted.split("."):
        if not isinstance(current, dict) or current.get(part) is None:
            return None
        current = current[part]
    return current


def has_required_fields(data_path: str, body: Record) -> bool:
    """Whether the body carries every field the sandbox requires for this data type."""
    return all(_get(body, name) not in (None, "", []) for name in REQUIRED[data_path])


def _check_required(data_path: str, body: Record, outcome: Outcome) -> None:
    for name in REQUIRED[data_path]:
        if _get(body, name) in (None, "", []):
            outcome.error(name, f"{name} is required.", "RequiredFieldValidator")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return Decimal(value)


def _non_empty(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _outstanding(bill: Record) -> Decimal:
    return Decimal(bill["amountDue"] if "amountDue" in bill else bill["totalAmount"])


class PushValidator:
    """Checks a push against the company's current state; builds the change to apply."""

    def __init__(self, sandbox: Sandbox, company: Company) -> None:
        self.sandbox = sandbox
        self.company = company
        self.records = company.source()
        """What a push sees and changes: the software, not Codat's cache (store.Company)."""

    def _live(self, path: str, record_id: Any) -> Record | None:
        record = self.records[path].get(str(record_id)) if record_id is not None else None
        if record is None or record.get("metadata", {}).get("isDeleted"):
            return None
        return record

    def _supplier(self, body: Record, outcome: Outcome) -> Record | None:
        supplier_id = _get(body, "supplierRef.id")
        supplier = self._live("suppliers", supplier_id)
        if supplier_id is not None and supplier is None:
            outcome.error(
                str(supplier_id),
                f"Supplier '{supplier_id}' was not found.",
                "SupplierExistsValidator",
            )
        return supplier

    def _line_refs(self, body: Record, outcome: Outcome) -> None:
        for index, line in enumerate(body.get("lineItems") or []):
            for ref, path, what, validator in _LINE_REFS:
                ref_id = _get(line, f"{ref}.id")
                if ref_id is not None and self._live(path, ref_id) is None:
                    outcome.error(
                        f"lineItems[{index}].{ref}.id",
                        f"{what} '{ref_id}' was not found.",
                        validator,
                    )

    def _tracking_category(self, ref: Any, where: str, outcome: Outcome) -> None:
        ref_id = ref.get("id") if isinstance(ref, dict) else None
        if not isinstance(ref_id, str) or not ref_id:
            outcome.error(f"{where}.id", "Id is required.", "RequiredFieldValidator")
        elif self._live("trackingCategories", ref_id) is None:
            outcome.error(
                f"{where}.id",
                f"Tracking category '{ref_id}' was not found.",
                "TrackingCategoryExistsValidator",
            )

    def _line_shapes(self, body: Record, outcome: Outcome) -> None:
        """v1's billLineItem / billCreditNoteLineItem: itemRef.id (minLength 1), tracking
        categories that exist, `tracking` with its required categoryRefs, isBilledTo and
        isRebilledTo, numbers and booleans where the schema says so."""
        for index, line in enumerate(body.get("lineItems") or []):
            at = f"lineItems[{index}]"
            item = line.get("itemRef")
            if item is not None and not _non_empty(_get(line, "itemRef.id")):
                outcome.error(f"{at}.itemRef.id", "Id is required.", "RequiredFieldValidator")
            for ri, ref in enumerate(line.get("trackingCategoryRefs") or []):
                self._tracking_category(ref, f"{at}.trackingCategoryRefs[{ri}]", outcome)
            tracking = line.get("tracking")
            if tracking is not None:
                self._tracking(tracking, f"{at}.tracking", outcome)
            for name in ("discountPercentage",):
                if line.get(name) is not None and _decimal(line[name]) is None:
                    outcome.error(f"{at}.{name}", f"{name} must be a number.", "TypeValidator")
            if line.get("isDirectCost") is not None and not isinstance(line["isDirectCost"], bool):
                outcome.error(
                    f"{at}.isDirectCost", "isDirectCost must be a boolean.", "TypeValidator"
                )
            unit = line.get("unitOfMeasurement")
            if unit is not None and not isinstance(unit, str):
                outcome.error(
                    f"{at}.unitOfMeasurement",
                    "unitOfMeasurement must be a string.",
                    "TypeValidator",
                )

    def _tracking(self, tracking: Any, at: str, outcome: Outcome) -> None:
        if not isinstance(tracking, dict):
            outcome.error(at, "tracking must be an object.", "TypeValidator")
            return
        refs = tracking.get("categoryRefs")
        if not isinstance(refs, list):
            outcome.error(
                f"{at}.categoryRefs", "categoryRefs is required.", "RequiredFieldValidator"
            )
        for ri, ref in enumerate(refs or []):
            self._tracking_category(ref, f"{at}.categoryRefs[{ri}]", outcome)
        for name in ("isBilledTo", "isRebilledTo"):
            if tracking.get(name) not in BILLED_TO_TYPES:
                outcome.error(
                    f"{at}.{name}",
                    f"{name} must be one of {', '.join(sorted(BILLED_TO_TYPES))}.",
                    "RequiredFieldValidator" if tracking.get(name) is None else "EnumValidator",
                )
        for name in ("customerRef", "projectRef"):
            if tracking.get(name) is not None and not _non_empty(_get(tracking, f"{name}.id")):
                outcome.error(f"{at}.{name}.id", "Id is required.", "RequiredFieldValidator")

    def _document_shapes(self, path: str, body: Record, outcome: Outcome) -> None:
        """withholdingTax (name minLength 1, amount), purchaseOrderRefs (no other fields),
        supplementalData.content (an object of objects) and supplier addresses (type)."""
        for index, tax in enumerate(body.get("withholdingTax") or []):
            at = f"withholdingTax[{index}]"
            if not _non_empty(tax.get("name") if isinstance(tax, dict) else None):
                outcome.error(f"{at}.name", "Name is required.", "RequiredFieldValidator")
            if not isinstance(tax, dict) or _decimal(tax.get("amount")) is None:
                outcome.error(f"{at}.amount", "Amount is required.", "RequiredFieldValidator")
        for index, ref in enumerate(body.get("purchaseOrderRefs") or []):
            extra = set(ref) - PURCHASE_ORDER_REF_FIELDS if isinstance(ref, dict) else {"?"}
            if extra:
                outcome.error(
                    f"purchaseOrderRefs[{index}]",
                    f"Unexpected properties: {', '.join(sorted(extra))}.",
                    "TypeValidator",
                )
        content = _get(body, "supplementalData.content")
        if content is not None and (
            not isinstance(content, dict) or not all(isinstance(v, dict) for v in content.values())
        ):
            outcome.error(
                "supplementalData.content",
                "Supplemental data content must be an object of objects.",
                "SupplementalDataValidator",
            )
        if path == "suppliers":
            for index, address in enumerate(body.get("addresses") or []):
                kind = address.get("type") if isinstance(address, dict) else None
                if kind not in ADDRESS_TYPES:
                    outcome.error(
                        f"addresses[{index}].type",
                        f"Address type must be one of {', '.join(sorted(ADDRESS_TYPES))}.",
                        "RequiredFieldValidator" if kind is None else "EnumValidator",
                    )

    def record_write(self, path: str, body: Record, record_id: str | None) -> Outcome:
        """Create (record_id None) or update a bill, credit note or supplier."""
        outcome = Outcome()
        _check_required(path, body, outcome)
        existing = None
        if record_id is not None:
            existing = self._live(path, record_id)
            if existing is None:
                outcome.error(
                    record_id,
                    f"{path} record '{record_id}' was not found.",
                    "RecordExistsValidator",
                )
            elif path == "bills" and existing["status"] in CLOSED_BILL_STATUSES:
                outcome.error(
                    record_id,
                    f"A bill with status {existing['status']} cannot be updated.",
                    "BillStatusValidator",
                )
        with_supplier = path in {"bills", "billCreditNotes"}
        supplier = self._supplier(body, outcome) if with_supplier else None
        if path in {"bills", "billCreditNotes"}:
            self._line_refs(body, outcome)
            self._line_shapes(body, outcome)
        self._document_shapes(path, body, outcome)
        if outcome.errors:
            return outcome
        new_id = record_id or self.sandbox.store.new_uuid()
        change = "Modified" if record_id is not None else "Created"
        outcome.changes.append(
            {"type": change, "recordRef": {"id": new_id, "dataType": DATA_TYPE_OF[path]}}
        )
        outcome.modified.append(DATA_TYPE_OF[path])

        def apply() -> None:
            record = copy.deepcopy(existing) if existing is not None else {}
            record.update({k: v for k, v in body.items() if k not in READ_ONLY})
            record["id"] = new_id
            record.setdefault("metadata", {"isDeleted": False})
            if supplier is not None:
                record["supplierRef"] = supplier_ref(supplier)
            if path == "bills":
                record.setdefault("amountDue", record["totalAmount"])
                record.setdefault("paymentAllocations", [])
            if path == "billCreditNotes":
                record.setdefault("remainingCredit", record["totalAmount"])
            if path == "accounts":
                record.setdefault("status", "Active")
                record.setdefault("isBankAccount", False)
                record.setdefault("validDatatypeLinks", [])
            if path == "bankAccounts":
                record.setdefault("status", "Active")
                self._bank_account_in_chart(record)
            self.records[path][new_id] = record
            self.sandbox.store.touch(self.company, path, record)

        outcome.apply = apply
        return outcome

    def bill_payment(self, body: Record) -> Outcome:
        """Create a bill payment: every Bill and CreditNote link is checked against the ledger."""
        outcome = Outcome()
        _check_required("billPayments", body, outcome)
        supplier = self._supplier(body, outcome)
        account_id = _get(body, "accountRef.id")
        account = self._live("accounts", account_id)
        if account_id is not None and account is None:
            outcome.error(
                str(account_id), f"Account '{account_id}' was not found.", "AccountExistsValidator"
            )
        total = _decimal(body.get("totalAmount"))
        currency = body.get("currency")
        has_rate = body.get("currencyRate") is not None
        settlements: list[tuple[Record, Decimal]] = []
        credits: list[tuple[Record, Decimal]] = []
        line_sum = Decimal(0)
        for li, line in enumerate(body.get("lines") or []):
            amount = _decimal(line.get("amount"))
            if amount is None:
                outcome.error(
                    f"lines[{li}].amount", "Line amount is required.", "RequiredFieldValidator"
                )
                continue
            line_sum += amount
            link_sum = Decimal(0)
            for ki, link in enumerate(line.get("links") or []):
                where = f"lines[{li}].links[{ki}]"
                link_amount = _decimal(link.get("amount")) or Decimal(0)
                link_sum += link_amount
                kind = link.get("type")
                if kind == "Bill":
                    bill = self._check_bill_link(
                        link, link_amount, currency, has_rate, supplier, where, outcome
                    )
                    if bill is not None:
                        rate = _decimal(link.get("currencyRate")) or _decimal(
                            body.get("currencyRate")
                        )
                        settled = -link_amount * (
                            rate if rate and bill["currency"] != currency else 1
                        )
                        settlements.append((bill, settled))
                elif kind == "CreditNote":
                    note = self._live("billCreditNotes", link.get("id"))
                    if note is None:
                        outcome.error(
                            where,
                            f"Credit note '{link.get('id')}' was not found.",
                            "CreditNoteExistsValidator",
                        )
                    elif link_amount > note["remainingCredit"]:
                        outcome.error(
                            where,
                            f"Amount {link_amount} exceeds the remaining credit"
                            f" {note['remainingCredit']}.",
                            "CreditNoteAmountValidator",
                        )
                    else:
                        credits.append((note, link_amount))
                elif kind is None:
                    outcome.error(
                        f"{where}.type", "Link type is required.", "RequiredFieldValidator"
                    )
            if line.get("links") and money(amount + link_sum) != 0:
                outcome.error(
                    f"lines[{li}]",
                    "The line amount must balance its links (amount + sum of link amounts = 0).",
                    "PaymentLinkBalanceValidator",
                )
        if total is not None and body.get("lines") and money(line_sum) != money(total):
            outcome.error(
                "totalAmount",
                f"totalAmount {total} does not equal the sum of line amounts {line_sum}.",
                "PaymentTotalValidator",
            )
        if outcome.errors:
            return outcome
        new_id = self.sandbox.store.new_uuid()
        outcome.changes.append(
            {"type": "Created", "recordRef": {"id": new_id, "dataType": "billPayments"}}
        )
        outcome.modified.append("billPayments")
        if settlements:
            outcome.modified.append("bills")
        if credits:
            outcome.modified.append("billCreditNotes")

        def apply() -> None:
            payment = {k: v for k, v in body.items() if k not in READ_ONLY}
            payment["id"] = new_id
            payment.setdefault("metadata", {"isDeleted": False})
            if supplier is not None:
                payment["supplierRef"] = supplier_ref(supplier)
            if account is not None:
                payment["accountRef"] = {"id": account["id"], "name": account["name"]}
            self.records["billPayments"][new_id] = payment
            self.sandbox.store.touch(self.company, "billPayments", payment)
            for bill, amount in settlements:
                allocate_payment(bill, payment, money(amount))
                self.sandbox.store.touch(self.company, "bills", bill)
            for note, amount in credits:
                note["remainingCredit"] = money(note["remainingCredit"] - amount)
                note["status"] = "Paid" if note["remainingCredit"] <= 0 else "PartiallyPaid"
                note["allocatedOnDate"] = payment["date"]
                self.sandbox.store.touch(self.company, "billCreditNotes", note)

        outcome.apply = apply
        return outcome

    def _check_bill_link(
        self,
        link: Record,
        amount: Decimal,
        currency: Any,
        has_rate: bool,
        supplier: Record | None,
        where: str,
        outcome: Outcome,
    ) -> Record | None:
        bill = self._live("bills", link.get("id"))
        if bill is None:
            outcome.error(where, f"Bill '{link.get('id')}' was not found.", "BillExistsValidator")
            return None
        before = len(outcome.errors)
        if bill["status"] in CLOSED_BILL_STATUSES or bill["status"] == "Draft":
            outcome.error(
                where,
                f"Bill '{bill['id']}' has status {bill['status']} and cannot be paid.",
                "BillStatusValidator",
            )
        if (
            currency is not None
            and bill["currency"] != currency
            and not (has_rate or link.get("currencyRate") is not None)
        ):
            outcome.error(
                where,
                f"Payment currency {currency} does not match bill currency {bill['currency']}"
                " and no currencyRate was given.",
                "CurrencyValidator",
            )
        if supplier is not None and bill["supplierRef"]["id"] != supplier["id"]:
            outcome.error(
                where,
                f"Bill '{bill['id']}' belongs to a different supplier.",
                "SupplierMatchValidator",
            )
        if amount >= 0:
            outcome.error(
                where,
                "A Bill link amount must be negative (it reduces the amount due).",
                "PaymentLinkSignValidator",
            )
        elif bill["currency"] == currency and -amount > _outstanding(bill):
            outcome.error(
                where,
                f"Amount {-amount} exceeds the amount due {bill.get('amountDue')}"
                f" on bill '{bill['id']}'.",
                "BillAmountDueValidator",
            )
        return bill if len(outcome.errors) == before else None

    def _bank_account_in_chart(self, bank: Record) -> None:
        """A new bank account is also a chart-of-accounts entry (isBankAccount), same id."""
        account: Record = {
            "id": bank["id"],
            "name": bank["accountName"],
            "fullyQualifiedCategory": "Asset.Current",
            "fullyQualifiedName": f"Asset.Current.{bank['accountName']}",
            "currency": bank["currency"],
            "currentBalance": bank.get("balance", 0),
            "type": "Asset",
            "status": "Active",
            "isBankAccount": True,
            "validDatatypeLinks": [],
            "metadata": {"isDeleted": False},
        }
        if bank.get("nominalCode"):
            account["nominalCode"] = bank["nominalCode"]
        self.records["accounts"][bank["id"]] = account
        self.sandbox.store.touch(self.company, "accounts", account)

    def delete(self, path: str, record_id: str) -> Outcome:
        """Delete a bill (not one with payments allocated) or a bill payment (its allocations
        are undone: bills owe again, credit notes regain their credit)."""
        outcome = Outcome()
        record = self._live(path, record_id)
        if record is None:
            outcome.error(
                record_id, f"{path} record '{record_id}' was not found.", "RecordExistsValidator"
            )
            return outcome
        if path == "bills" and record.get("paymentAllocations"):
            outcome.error(
                record_id,
                f"Bill '{record_id}' has payments allocated and cannot be deleted: delete its"
                " payments first.",
                "BillPaymentsValidator",
            )
            return outcome
        outcome.changes.append(
            {"type": "Deleted", "recordRef": {"id": record_id, "dataType": DATA_TYPE_OF[path]}}
        )
        outcome.modified.append(DATA_TYPE_OF[path])
        if path == "billPayments":
            outcome.modified += ["bills", "billCreditNotes"]

        def apply() -> None:
            record.setdefault("metadata", {})["isDeleted"] = True
            self.sandbox.store.touch(self.company, path, record)
            if path == "billPayments":
                self._undo_payment(record)

        outcome.apply = apply
        return outcome

    def _undo_payment(self, payment: Record) -> None:
        for line in payment.get("lines") or []:
            for link in line.get("links") or []:
                amount = _decimal(link.get("amount")) or Decimal(0)
                if link.get("type") == "Bill":
                    bill = self._live("bills", link.get("id"))
                    if bill is not None:
                        unallocate_payment(bill, payment["id"])
                        self.sandbox.store.touch(self.company, "bills", bill)
                elif link.get("type") == "CreditNote":
                    note = self._live("billCreditNotes", link.get("id"))
                    if note is not None:
                        note["remainingCredit"] = money(note["remainingCredit"] + amount)
                        whole = note["remainingCredit"] >= note["totalAmount"]
                        note["status"] = "Submitted" if whole else "PartiallyPaid"
                        self.sandbox.store.touch(self.company, "billCreditNotes", note)

    def attachment(self, bill_id: str, attachment: Attachment) -> Outcome:
        outcome = Outcome()
        if self._live("bills", bill_id) is None:
            outcome.error(bill_id, f"Bill '{bill_id}' was not found.", "BillExistsValidator")
            return outcome
        outcome.changes.append({
            "type": "AttachmentUploaded",
            "recordRef": {"id": bill_id, "dataType": "bills"},
            "attachmentId": attachment.record["id"],
        })  # fmt: skip

        def apply() -> None:
            self.company.attachments.setdefault(bill_id, []).append(attachment)

        outcome.apply = apply
        return outcome
