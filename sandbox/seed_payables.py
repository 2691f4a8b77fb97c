"""Seeding the payables ledger: bills with line items, payments, credit notes and attachments."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.catalogue import BASE_CURRENCY, FIRST_BILLS, ITEMS, RATES
from sandbox.config import SandboxConfig
from sandbox.ledger import allocate_payment, apply_credit_note, money
from sandbox.records import Attachment, Ids, codat_date, codat_utc, pdf_bytes, supplier_ref

Record = dict[str, Any]


class PayablesBuilder:
    """The ledger half of a company's seed; the subclass seeds reference data first."""

    config: SandboxConfig
    index: int
    rng: random.Random
    ids: Ids
    today: date
    now: datetime
    records: dict[str, dict[str, Record]]

    def stamp(self, days_ago_max: int = 60) -> Record:
        moment = self.now - timedelta(minutes=self.rng.randint(0, days_ago_max * 24 * 60))
        source = moment - timedelta(minutes=self.rng.randint(1, 600))
        return {"modifiedDate": codat_utc(moment), "sourceModifiedDate": codat_utc(source)}

    def add(self, data_type: str, record: Record) -> Record:
        self.records.setdefault(data_type, {})[record["id"]] = record
        return record

    def line_items(self, count: int) -> tuple[list[Record], int, int]:
        rng = self.rng
        expenses = [a for a in self.records["accounts"].values() if a["type"] == "Expense"]
        accounts = expenses or list(self.records["accounts"].values())
        taxes = list(self.records.get("taxRates", {}).values())
        children = [
            t for t in self.records.get("trackingCategories", {}).values() if "parentId" in t
        ]
        lines: list[Record] = []
        sub_total = tax_total = 0
        for n in range(count):
            quantity = rng.choice([1, 1, 1, 2, 3, 5, 10])
            unit = rng.choice([995, 2450, 4999, 12000, 35000, 87550, 150000]) + rng.randint(0, 99)
            net = unit * quantity
            tax = rng.choice(taxes) if taxes else None
            rate = tax["effectiveTaxRate"] if tax else Decimal(0)
            tax_pence = int((Decimal(net) * rate / 100).to_integral_value())
            account = rng.choice(accounts)
            line: Record = {
                "lineNumber": str(n + 1),
                "description": rng.choice(ITEMS),
                "unitAmount": money(unit),
                "quantity": Decimal(quantity),
                "discountAmount": money(0),
                "subTotal": money(net),
                "taxAmount": money(tax_pence),
                "totalAmount": money(net + tax_pence),
                "discountPercentage": Decimal(0),
                "accountRef": {"id": account["id"], "name": account["name"]},
                "isDirectCost": False,
            }
            if tax is not None:
                line["taxRateRef"] = {
                    "id": tax["id"],
                    "name": tax["name"],
                    "effectiveTaxRate": rate,
                }
            refs = [
                {"id": c["id"], "name": c["name"]}
                for c in rng.sample(children, min(1, len(children)))
            ]
            line["trackingCategoryRefs"] = refs
            line["tracking"] = {
                "categoryRefs": refs,
                "isBilledTo": "NotApplicable",
                "isRebilledTo": "NotApplicable",
            }
            lines.append(line)
            sub_total += net
            tax_total += tax_pence
        return lines, sub_total, tax_total

    def bills(self) -> None:
        rng = self.rng
        suppliers = list(self.records["suppliers"].values())
        if not suppliers:
            return
        banks = {a["currency"]: a for a in self.records["accounts"].values() if a["isBankAccount"]}
        methods = list(self.records.get("paymentMethods", {}).values())
        for i in range(self.config.bills_per_company):
            supplier = (
                suppliers[i % len(suppliers)] if i < len(suppliers) else rng.choice(suppliers)
            )
            forced = FIRST_BILLS[i] if i < len(FIRST_BILLS) else None
            if forced is not None:
                supplier = _first_live(suppliers, forced[1]) or supplier
            currency = supplier["defaultCurrency"]
            issue = self.today - timedelta(days=rng.randint(0, 120))
            due = issue + timedelta(days=rng.choice([14, 30, 30, 45, 60]))
            lines, sub_total, tax_total = self.line_items(rng.choice([1, 1, 2, 2, 3, 4]))
            total = sub_total + tax_total
            roll = rng.random()
            status = (
                "Draft" if roll < 0.05 else "Void" if roll < 0.10 else "Paid" if roll < 0.42
                else "PartiallyPaid" if roll < 0.57 else "Open"
            )  # fmt: skip
            if forced is not None:
                status = forced[0]
            bill: Record = {
                "id": self.ids.uuid(),
                "reference": f"INV-{self.index + 1:02d}{i + 1:05d}",
                "supplierRef": supplier_ref(supplier),
                "purchaseOrderRefs": [],
                "issueDate": codat_date(issue),
                "dueDate": codat_date(due),
                "currency": currency,
                "lineItems": lines,
                "withholdingTax": [],
                "status": "Open" if status in {"Paid", "PartiallyPaid"} else status,
                "subTotal": money(sub_total),
                "taxAmount": money(tax_total),
                "totalAmount": money(total),
                "amountDue": money(0 if status == "Void" else total),
                "note": rng.choice(["", "Approved by finance", "Recurring monthly", "Urgent"]),
                "paymentAllocations": [],
                "metadata": {"isDeleted": i % 29 == 28},
                "supplementalData": {"content": {}},
                **self.stamp(),
            }
            if not bill["note"]:
                del bill["note"]
            if currency != BASE_CURRENCY:
                bill["currencyRate"] = RATES[currency]
            self.add("bills", bill)
            if status in {"Paid", "PartiallyPaid"}:
                part = total if status == "Paid" else total * rng.randint(25, 75) // 100
                paid_on = min(self.today, issue + timedelta(days=rng.randint(3, 40)))
                account = banks.get(currency) or banks.get(BASE_CURRENCY)
                payment = self.payment(bill, supplier, part, paid_on, account, methods)
                self.add("billPayments", payment)
                allocate_payment(bill, payment, money(part))

    def payment(
        self,
        bill: Record,
        supplier: Record,
        pence: int,
        paid_on: date,
        account: Record | None,
        methods: list[Record],
    ) -> Record:
        amount = money(pence)
        link: Record = {"type": "Bill", "id": bill["id"], "amount": -amount}
        payment: Record = {
            "id": self.ids.uuid(),
            "supplierRef": supplier_ref(supplier),
            "totalAmount": amount,
            "currency": bill["currency"],
            "date": codat_date(paid_on),
            "lines": [{"amount": amount, "links": [link], "allocatedOnDate": codat_date(paid_on)}],
            "reference": f"PAY-{bill['reference']}",
            "metadata": {"isDeleted": False},
            **self.stamp(days_ago_max=30),
        }
        if account is not None:
            payment["accountRef"] = {"id": account["id"], "name": account["name"]}
        if "currencyRate" in bill:
            payment["currencyRate"] = bill["currencyRate"]
            link["currencyRate"] = bill["currencyRate"]
        if methods:
            method = methods[0] if self.rng.random() < 0.7 else self.rng.choice(methods)
            payment["paymentMethodRef"] = {"id": method["id"], "name": method["name"]}
        return payment

    def credit_notes(self) -> None:
        rng = self.rng
        suppliers = list(self.records["suppliers"].values())
        open_bills = [b for b in self.records.get("bills", {}).values() if b["status"] == "Open"]
        for i in range(self.config.credit_notes_per_company if suppliers else 0):
            supplier = rng.choice(suppliers)
            lines, sub_total, tax_total = self.line_items(1)
            for line in lines:
                line.pop("lineNumber", None)
                line.pop("isDirectCost", None)
            total = sub_total + tax_total
            issue = self.today - timedelta(days=rng.randint(0, 90))
            note: Record = {
                "id": self.ids.uuid(),
                "billCreditNoteNumber": f"CN-{self.index + 1:02d}{i + 1:04d}",
                "supplierRef": supplier_ref(supplier),
                "withholdingTax": [],
                "totalAmount": money(total),
                "totalDiscount": money(0),
                "subTotal": money(sub_total),
                "totalTaxAmount": money(tax_total),
                "discountPercentage": Decimal(0),
                "remainingCredit": money(total),
                "status": "Draft" if i % 9 == 8 else "Submitted",
                "issueDate": codat_date(issue),
                "currency": supplier["defaultCurrency"],
                "lineItems": lines,
                "paymentAllocations": [],
                "note": "Credit for returned goods",
                "metadata": {"isDeleted": False},
                **self.stamp(),
            }
            if note["currency"] != BASE_CURRENCY:
                note["currencyRate"] = RATES[note["currency"]]
            self.add("billCreditNotes", note)
            if i % 2 == 0 and note["status"] == "Submitted":
                self.apply_credit(note, open_bills)

    def apply_credit(self, note: Record, open_bills: list[Record]) -> None:
        """Use a credit note against an open bill of the same supplier and currency."""
        for bill in open_bills:
            same = bill["supplierRef"]["id"] == note["supplierRef"]["id"]
            if same and bill["currency"] == note["currency"] and bill["amountDue"] > 0:
                amount = min(bill["amountDue"], note["remainingCredit"])
                day = max(note["issueDate"], bill["issueDate"])
                payment = apply_credit_note(bill, note, amount, day, self.ids.uuid())
                payment.update(self.stamp(days_ago_max=30))
                self.add("billPayments", payment)
                return

    def attachments(self) -> dict[str, list[Attachment]]:
        result: dict[str, list[Attachment]] = {}
        for n, bill in enumerate(self.records.get("bills", {}).values()):
            if n % 5 or self.config.attachments_per_bill < 1:
                continue
            files = []
            for k in range(self.config.attachments_per_bill):
                name = f"{bill['reference']}{'-' + str(k + 1) if k else ''}.pdf"
                content = pdf_bytes(name, 600 + self.rng.randint(0, 2000))
                record = {
                    "id": self.ids.uuid(),
                    "name": name,
                    "contentType": "application/pdf",
                    "dateCreated": bill["issueDate"],
                    "fileSize": len(content),
                    "includeWhenSent": False,
                    **self.stamp(),
                }
                files.append(Attachment(record, content))
            result[bill["id"]] = files
        return result


def _first_live(suppliers: list[Record], currency: str) -> Record | None:
    for supplier in suppliers:
        if supplier["defaultCurrency"] == currency and not supplier["metadata"]["isDeleted"]:
            return supplier
    return None
