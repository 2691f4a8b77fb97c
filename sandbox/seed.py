"""Deterministic generation of a believable accounts-payable world for each sandbox company."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.ledger import allocate_payment, apply_credit_note, money

Record = dict[str, Any]

BASE_CURRENCY = "GBP"
# currencyRate on a foreign-currency record: units of that currency per unit of the base (GBP).
RATES = {"USD": Decimal("1.2675"), "EUR": Decimal("1.1634")}

_COMPANY_NAMES = [
    ("Toft Stores", "Retail chain, Yorkshire"),
    ("Hartley & Finch Engineering", "Precision engineering"),
    ("Bluebell Bakery Ltd", "Wholesale bakery"),
    ("Northwind Logistics", "Freight and warehousing"),
    ("Copperleaf Studios", "Design agency"),
    ("Greystone Dental Group", "Dental practices"),
    ("Marlow Brewing Co", "Craft brewery"),
    ("Ashcombe Veterinary", "Veterinary clinics"),
]
_PLATFORMS = [("Xero", "gbol"), ("QuickBooks Online", "qhyg"), ("Sage Business Cloud", "tgff")]
_SUPPLIER_FIRST = [
    "Acme", "Brightwater", "Castle", "Dovetail", "Evergreen", "Falcon", "Granite", "Harbour",
    "Ironbridge", "Juniper", "Kestrel", "Lakeside", "Meridian", "Northgate", "Oakridge", "Pennine",
    "Quayside", "Riverside", "Summit", "Thistle", "Union", "Vale", "Westfield", "Yardley",
]  # fmt: skip
_SUPPLIER_SECOND = [
    "Office Supplies", "Cleaning Services", "Print & Design", "IT Solutions", "Electrical",
    "Catering", "Couriers", "Packaging", "Legal LLP", "Accountancy", "Telecoms", "Facilities",
    "Software", "Insurance Brokers", "Plumbing", "Security", "Marketing", "Recruitment",
]  # fmt: skip
_SURNAMES = ["Patel", "Smith", "Jones", "Okafor", "Wright", "Li"]
_SUFFIXES = ["Ltd", "Ltd", "LLP", "plc", "Inc", "GmbH"]
_CITIES = [
    ("London", "Greater London", "EC1A 1BB", "United Kingdom"),
    ("Leeds", "West Yorkshire", "LS1 4DY", "United Kingdom"),
    ("Manchester", "Greater Manchester", "M1 1AE", "United Kingdom"),
    ("Bristol", "Bristol", "BS1 5TR", "United Kingdom"),
    ("Edinburgh", "Midlothian", "EH1 1YZ", "United Kingdom"),
    ("New York", "NY", "10001", "United States"),
    ("Dublin", "Leinster", "D02 XY45", "Ireland"),
    ("Berlin", "Berlin", "10115", "Germany"),
]
_STREETS = [
    "High Street",
    "Station Road",
    "Mill Lane",
    "Church Street",
    "Victoria Road",
    "Park Row",
]
_EXPENSES = [
    ("Office Supplies", "7500"), ("Rent", "7100"), ("Utilities", "7200"), ("Travel", "7400"),
    ("Software Subscriptions", "7600"), ("Professional Fees", "7600"), ("Marketing", "6100"),
    ("Equipment", "0030"), ("Telephone & Internet", "7550"), ("Insurance", "7750"),
    ("Repairs and Maintenance", "7800"), ("Cost of Goods Sold", "5000"), ("Subcontractors", "5100"),
    ("Training", "7900"), ("Cleaning", "7810"), ("Postage", "7501"),
]  # fmt: skip
_BANKS = [
    ("Business Current Account", "GBP"), ("USD Trading Account", "USD"),
    ("EUR Trading Account", "EUR"), ("Business Savings", "GBP"), ("Corporate Card", "GBP"),
]  # fmt: skip
_TAX_RATES = [
    ("Standard 20%", "20.00", "S"), ("Reduced 5%", "5.00", "R"), ("Zero Rated", "0.00", "Z"),
    ("Exempt", "0.00", "E"), ("No VAT", "0.00", "N"), ("Reverse Charge 20%", "20.00", "RC"),
]  # fmt: skip
_TRACKING = [
    ("Department", ["Sales", "Engineering", "Operations", "Finance"]),
    ("Region", ["North", "South", "Scotland"]),
    ("Project", ["Website Relaunch", "Warehouse Fit-out"]),
]
_PAYMENT_METHODS = [
    ("Bank Transfer", "BankTransfer"), ("Cheque", "Check"), ("Company Credit Card", "CreditCard"),
    ("Petty Cash", "Cash"), ("Debit Card", "DebitCard"), ("Direct Debit", "Other"),
]  # fmt: skip
_ITEMS = [
    "Printer paper (boxes)", "Toner cartridges", "Monthly cleaning contract", "Courier deliveries",
    "Laptop", "Consultancy (days)", "Catering for staff event", "Broadband (monthly)",
    "Office rent (quarter)", "Electricity", "Software licences", "Shipping boxes",
    "Legal review", "Annual insurance premium", "Boiler service", "Design work (hours)",
]  # fmt: skip


# The first bills of every company cover every state and currency, whatever the seed rolls.
_FIRST_BILLS = [
    ("Open", "GBP"), ("PartiallyPaid", "GBP"), ("Paid", "GBP"), ("Void", "GBP"), ("Draft", "GBP"),
    ("Open", "USD"), ("Open", "EUR"), ("PartiallyPaid", "USD"), ("Paid", "EUR"), ("Open", "GBP"),
]  # fmt: skip


def codat_date(day: date) -> str:
    """A calendar date as Codat writes it, without a zone: 2026-11-03T00:00:00."""
    return f"{day.isoformat()}T00:00:00"


def codat_utc(moment: datetime) -> str:
    """A UTC instant as Codat writes modifiedDate: 2026-11-20T10:15:30Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Attachment:
    """A bill attachment: its Attachment record and its bytes."""

    record: Record
    content: bytes


@dataclass
class CompanySeed:
    """Everything generated for one company."""

    company: Record
    connection: Record
    info: Record
    records: dict[str, dict[str, Record]]
    attachments: dict[str, list[Attachment]] = field(default_factory=dict)


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def pdf_bytes(title: str, size: int) -> bytes:
    """A small, valid-looking PDF document padded to `size` bytes."""
    head = f"%PDF-1.4\n% {title}\n1 0 obj << /Type /Catalog >> endobj\n".encode()
    tail = b"\n%%EOF\n"
    return head + b"0" * max(0, size - len(head) - len(tail)) + tail


class _CompanyBuilder:
    def __init__(self, config: SandboxConfig, index: int) -> None:
        self.config = config
        self.index = index
        self.rng = random.Random(f"{config.seed}:{index}")
        self.ids = _Ids(self.rng)
        self.today = config.today
        self.now = datetime.combine(config.today, time(9, 0))
        self.records: dict[str, dict[str, Record]] = {}

    def stamp(self, days_ago_max: int = 60) -> Record:
        moment = self.now - timedelta(minutes=self.rng.randint(0, days_ago_max * 24 * 60))
        source = moment - timedelta(minutes=self.rng.randint(1, 600))
        return {"modifiedDate": codat_utc(moment), "sourceModifiedDate": codat_utc(source)}

    def add(self, data_type: str, record: Record) -> Record:
        self.records.setdefault(data_type, {})[record["id"]] = record
        return record

    def build(self) -> CompanySeed:
        company, connection, info = self.company()
        self.accounts()
        self.tax_rates()
        self.tracking_categories()
        self.payment_methods()
        self.suppliers()
        self.bills()
        self.credit_notes()
        for name in ("bills", "billPayments", "billCreditNotes"):
            self.records.setdefault(name, {})
        attachments = self.attachments()
        return CompanySeed(company, connection, info, self.records, attachments)

    def company(self) -> tuple[Record, Record, Record]:
        name, description = _COMPANY_NAMES[self.index % len(_COMPANY_NAMES)]
        if self.index >= len(_COMPANY_NAMES):
            name = f"{name} {self.index // len(_COMPANY_NAMES) + 1}"
        company_id, connection_id = self.ids.uuid(), self.ids.uuid()
        platform, key = _PLATFORMS[self.index % len(_PLATFORMS)]
        created = self.now - timedelta(days=400 + self.index * 17)
        last_sync = codat_utc(self.now - timedelta(hours=2))
        connection: Record = {
            "id": connection_id,
            "integrationId": self.ids.uuid(),
            "integrationKey": key,
            "sourceId": self.ids.uuid(),
            "sourceType": "Accounting",
            "platformName": platform,
            "linkUrl": f"https://link-api.codat.io/companies/{company_id}/connections/{connection_id}/start",
            "status": "Linked",
            "lastSync": last_sync,
            "created": codat_utc(created),
            "dataConnectionErrors": [],
        }
        company: Record = {
            "id": company_id,
            "name": name,
            "description": description,
            "redirect": f"https://link.codat.io/company/{company_id}",
            "lastSync": last_sync,
            "created": codat_utc(created),
            "createdByUserName": "sandbox@codat.example",
            "products": ["payables"],
            "tags": {"region": "uk", "index": str(self.index)},
            "referenceSubsidiaryCompanies": [],
            "dataConnections": [connection],
        }
        city, region, postcode, country = _CITIES[self.index % 5]
        info: Record = {
            "companyName": name,
            "accountingPlatformRef": self.ids.uuid(),
            "companyLegalName": f"{name} Limited" if not name.endswith("Ltd") else name,
            "addresses": [
                {
                    "type": "Billing",
                    "line1": f"{10 + self.index} {_STREETS[self.index % len(_STREETS)]}",
                    "city": city,
                    "region": region,
                    "country": country,
                    "postalCode": postcode,
                }
            ],
            "phoneNumbers": [{"number": f"+44 20 7946 0{100 + self.index:03d}", "type": "Primary"}],
            "webLinks": [{"type": "Website", "url": f"https://company{self.index}.example.com"}],
            "ledgerLockDate": codat_date(date(self.today.year - 1, 12, 31)),
            "registrationNumber": f"{10000000 + self.index * 7919:08d}",
            "taxNumber": f"GB{100000000 + self.index * 104729:09d}",
            "financialYearStartDate": codat_date(date(self.today.year, 4, 1)),
            "baseCurrency": BASE_CURRENCY,
            "sourceUrls": {"bills": f"https://accounting.example.com/{company_id}/bills"},
            "createdDate": codat_utc(created - timedelta(days=900)),
        }
        return company, connection, info

    def accounts(self) -> None:
        config = self.config
        banks = [_BANKS[i % len(_BANKS)] for i in range(config.bank_accounts_per_company)]
        for i, (name, currency) in enumerate(banks):
            label = name if i < len(_BANKS) else f"{name} {i // len(_BANKS) + 1}"
            self.account(label, f"{1200 + i}", "Asset", "Asset.Current", currency, True)
        remaining = config.accounts_per_company - len(banks)
        if remaining > 0:
            self.account("Accounts Payable", "2100", "Liability", "Liability.Current", "GBP", False)
        for i in range(max(0, remaining - 1)):
            name, code = _EXPENSES[i % len(_EXPENSES)]
            if i >= len(_EXPENSES):
                name = f"{name} {i // len(_EXPENSES) + 1}"
            self.account(name, f"{code}-{i}", "Expense", "Expense.Operating", "GBP", False)

    def account(
        self, name: str, code: str, kind: str, category: str, currency: str, bank: bool
    ) -> None:
        balance = money(self.rng.randint(-5_000_000, 25_000_000) if bank else 0)
        self.add(
            "accounts",
            {
                "id": self.ids.uuid(),
                "nominalCode": code,
                "name": name,
                "description": f"{name} ({category})",
                "fullyQualifiedCategory": category,
                "fullyQualifiedName": f"{category}.{name}",
                "currency": currency,
                "currentBalance": balance,
                "type": kind,
                "status": "Active",
                "isBankAccount": bank,
                "validDatatypeLinks": [],
                "metadata": {"isDeleted": False},
                **self.stamp(),
            },
        )

    def tax_rates(self) -> None:
        for i in range(self.config.tax_rates):
            name, rate, code = _TAX_RATES[i % len(_TAX_RATES)]
            if i >= len(_TAX_RATES):
                name, code = f"{name} ({i})", f"{code}{i}"
            self.add(
                "taxRates",
                {
                    "id": self.ids.uuid(),
                    "name": name,
                    "code": code,
                    "status": "Active",
                    "effectiveTaxRate": Decimal(rate),
                    "totalTaxRate": Decimal(rate),
                    "components": [{"name": name, "rate": Decimal(rate), "isCompound": False}],
                    "validDatatypeLinks": [],
                    "metadata": {"isDeleted": False},
                    **self.stamp(),
                },
            )

    def tracking_categories(self) -> None:
        budget = self.config.tracking_categories
        for parent_name, children in _TRACKING:
            if budget <= 0:
                break
            parent_id = self.ids.uuid()
            budget -= 1
            kids = children[: max(0, budget)]
            budget -= len(kids)
            self.add("trackingCategories", self.tracking(parent_id, parent_name, None, bool(kids)))
            for child in kids:
                self.add(
                    "trackingCategories", self.tracking(self.ids.uuid(), child, parent_id, False)
                )

    def tracking(self, rid: str, name: str, parent: str | None, children: bool) -> Record:
        record: Record = {"id": rid, "name": name, "status": "Active", "hasChildren": children}
        if parent is not None:
            record["parentId"] = parent
        return {**record, "metadata": {"isDeleted": False}, **self.stamp()}

    def payment_methods(self) -> None:
        for i in range(self.config.payment_methods):
            name, kind = _PAYMENT_METHODS[i % len(_PAYMENT_METHODS)]
            self.add(
                "paymentMethods",
                {
                    "id": self.ids.uuid(),
                    "name": name if i < len(_PAYMENT_METHODS) else f"{name} {i}",
                    "type": kind,
                    "status": "Active" if i < 5 else "Archived",
                    "metadata": {"isDeleted": False},
                    **self.stamp(),
                },
            )

    def suppliers(self) -> None:
        rng = self.rng
        count = self.config.suppliers_per_company
        for i in range(count):
            first = _SUPPLIER_FIRST[(i + self.index * 5) % len(_SUPPLIER_FIRST)]
            second = _SUPPLIER_SECOND[(i * 7 + self.index) % len(_SUPPLIER_SECOND)]
            name = f"{first} {second} {_SUFFIXES[i % len(_SUFFIXES)]}"
            if i >= len(_SUPPLIER_FIRST) * 2:
                name = f"{name} ({i})"
            currency = "USD" if i % 7 == 3 else "EUR" if i % 11 == 5 else BASE_CURRENCY
            city, region, postcode, country = _CITIES[
                5 if currency == "USD" else 7 if currency == "EUR" else rng.randrange(5)
            ]
            contact = rng.choice(["Sam", "Alex", "Priya", "Tom", "Aisha", "Jamie", "Chen", "Olu"])
            slug = "".join(ch for ch in first.lower() if ch.isalnum())
            self.add(
                "suppliers",
                {
                    "id": self.ids.uuid(),
                    "supplierName": name,
                    "contactName": f"{contact} {rng.choice(_SURNAMES)}",
                    "emailAddress": f"accounts@{slug}{i}.example.com",
                    "phone": f"+44 113 496 {rng.randint(1000, 9999)}",
                    "addresses": [
                        {
                            "type": "Billing",
                            "line1": f"{rng.randint(1, 250)} {rng.choice(_STREETS)}",
                            "line2": f"Unit {rng.randint(1, 40)}",
                            "city": city,
                            "region": region,
                            "country": country,
                            "postalCode": postcode,
                        }
                    ],
                    "registrationNumber": f"{rng.randint(1_000_000, 99_999_999):08d}",
                    "taxNumber": f"GB{rng.randint(100_000_000, 999_999_999)}",
                    "status": "Archived" if i % 13 == 12 else "Active",
                    "defaultCurrency": currency,
                    "metadata": {"isDeleted": i % 11 == 10},
                    **self.stamp(),
                },
            )

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
                "description": rng.choice(_ITEMS),
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
            forced = _FIRST_BILLS[i] if i < len(_FIRST_BILLS) else None
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
                "supplierRef": {"id": supplier["id"], "supplierName": supplier["supplierName"]},
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
            "supplierRef": {"id": supplier["id"], "supplierName": supplier["supplierName"]},
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
                "supplierRef": {"id": supplier["id"], "supplierName": supplier["supplierName"]},
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


def generate(config: SandboxConfig) -> list[CompanySeed]:
    """Every company's seeded data, identical for identical configs."""
    return [_CompanyBuilder(config, index).build() for index in range(config.companies)]
