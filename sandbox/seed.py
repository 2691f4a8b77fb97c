"""Deterministic generation of a believable accounts-payable world for each sandbox company."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sandbox.catalogue import (
    BANKS,
    BASE_CURRENCY,
    CITIES,
    COMPANY_NAMES,
    EXPENSES,
    PAYMENT_METHODS,
    PLATFORMS,
    STREETS,
    SUFFIXES,
    SUPPLIER_FIRST,
    SUPPLIER_SECOND,
    SURNAMES,
    TAX_RATES,
    TRACKING,
)
from sandbox.config import SandboxConfig
from sandbox.ledger import money
from sandbox.records import Attachment, Ids, codat_date, codat_utc
from sandbox.seed_payables import PayablesBuilder

Record = dict[str, Any]


@dataclass
class CompanySeed:
    """Everything generated for one company."""

    company: Record
    connection: Record
    info: Record
    records: dict[str, dict[str, Record]]
    attachments: dict[str, list[Attachment]] = field(default_factory=dict)


class _CompanyBuilder(PayablesBuilder):
    def __init__(self, config: SandboxConfig, index: int) -> None:
        self.config = config
        self.index = index
        self.rng = random.Random(f"{config.seed}:{index}")
        self.ids = Ids(self.rng)
        self.today = config.today
        self.now = datetime.combine(config.today, time(9, 0))
        self.records: dict[str, dict[str, Record]] = {}

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
        self.bank_accounts()
        return CompanySeed(company, connection, info, self.records, attachments)

    def company(self) -> tuple[Record, Record, Record]:
        name, description = COMPANY_NAMES[self.index % len(COMPANY_NAMES)]
        if self.index >= len(COMPANY_NAMES):
            name = f"{name} {self.index // len(COMPANY_NAMES) + 1}"
        company_id, connection_id = self.ids.uuid(), self.ids.uuid()
        platform, key = PLATFORMS[self.index % len(PLATFORMS)]
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
        city, region, postcode, country = CITIES[self.index % 5]
        info: Record = {
            "companyName": name,
            "accountingPlatformRef": self.ids.uuid(),
            "companyLegalName": f"{name} Limited" if not name.endswith("Ltd") else name,
            "addresses": [
                {
                    "type": "Billing",
                    "line1": f"{10 + self.index} {STREETS[self.index % len(STREETS)]}",
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
        banks = [BANKS[i % len(BANKS)] for i in range(config.bank_accounts_per_company)]
        for i, (name, currency) in enumerate(banks):
            label = name if i < len(BANKS) else f"{name} {i // len(BANKS) + 1}"
            self.account(label, f"{1200 + i}", "Asset", "Asset.Current", currency, True)
        remaining = config.accounts_per_company - len(banks)
        if remaining > 0:
            self.account("Accounts Payable", "2100", "Liability", "Liability.Current", "GBP", False)
        for i in range(max(0, remaining - 1)):
            name, code = EXPENSES[i % len(EXPENSES)]
            if i >= len(EXPENSES):
                name = f"{name} {i // len(EXPENSES) + 1}"
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

    def bank_accounts(self) -> None:
        """The accounting `bankAccounts` data type: one per chart-of-accounts bank account, same
        id (as Xero and QuickBooks keep them). Derived without the RNG, so the rest of the seed
        is unchanged by it."""
        for n, account in enumerate(
            a for a in self.records["accounts"].values() if a["isBankAccount"]
        ):
            digits = f"{(self.index * 7919 + n * 104729) % 100_000_000:08d}"
            sort_code = f"40{self.index % 100:02d}{n % 100:02d}"
            record: Record = {
                "id": account["id"],
                "accountName": account["name"],
                "accountType": "Credit" if "Card" in account["name"] else "Debit",
                "nominalCode": account["nominalCode"],
                "accountNumber": digits,
                "currency": account["currency"],
                "balance": account["currentBalance"],
                "availableBalance": account["currentBalance"],
                "institution": "Sandbox Bank plc",
                "status": "Active",
                "metadata": {"isDeleted": False},
                "modifiedDate": account["modifiedDate"],
                "sourceModifiedDate": account["sourceModifiedDate"],
            }
            if account["currency"] == "GBP":
                record["sortCode"] = sort_code
            else:
                record["iBan"] = f"GB{(n * 37 + 11) % 90 + 10:02d}SAND{sort_code}{digits}"
            self.add("bankAccounts", record)

    def tax_rates(self) -> None:
        for i in range(self.config.tax_rates):
            name, rate, code = TAX_RATES[i % len(TAX_RATES)]
            if i >= len(TAX_RATES):
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
        for parent_name, children in TRACKING:
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
            name, kind = PAYMENT_METHODS[i % len(PAYMENT_METHODS)]
            self.add(
                "paymentMethods",
                {
                    "id": self.ids.uuid(),
                    "name": name if i < len(PAYMENT_METHODS) else f"{name} {i}",
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
            first = SUPPLIER_FIRST[(i + self.index * 5) % len(SUPPLIER_FIRST)]
            second = SUPPLIER_SECOND[(i * 7 + self.index) % len(SUPPLIER_SECOND)]
            name = f"{first} {second} {SUFFIXES[i % len(SUFFIXES)]}"
            if i >= len(SUPPLIER_FIRST) * 2:
                name = f"{name} ({i})"
            currency = "USD" if i % 7 == 3 else "EUR" if i % 11 == 5 else BASE_CURRENCY
            city, region, postcode, country = CITIES[
                5 if currency == "USD" else 7 if currency == "EUR" else rng.randrange(5)
            ]
            contact = rng.choice(["Sam", "Alex", "Priya", "Tom", "Aisha", "Jamie", "Chen", "Olu"])
            slug = "".join(ch for ch in first.lower() if ch.isalnum())
            self.add(
                "suppliers",
                {
                    "id": self.ids.uuid(),
                    "supplierName": name,
                    "contactName": f"{contact} {rng.choice(SURNAMES)}",
                    "emailAddress": f"accounts@{slug}{i}.example.com",
                    "phone": f"+44 113 496 {rng.randint(1000, 9999)}",
                    "addresses": [
                        {
                            "type": "Billing",
                            "line1": f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
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


def software(config: SandboxConfig, index: int) -> CompanySeed:
    """What a newly linked company's accounting software holds: generated like a seeded
    company's (the `index`-th), so a company created through the API fills up on first sync."""
    return _CompanyBuilder(config, index).build()


def generate(config: SandboxConfig) -> list[CompanySeed]:
    """Every company's seeded data, identical for identical configs."""
    return [_CompanyBuilder(config, index).build() for index in range(config.companies)]
