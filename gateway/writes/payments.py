"""Paying bills, pure: pre-flight checks and the Codat BillPayment bodies they lead to; and the
checks and line totals of the bills, credit notes and suppliers the gateway writes.

Sign rules (shared/codat-notes.md §8): a payment line's `amount` is positive, each `Bill` link
on it is negative (it reduces what the bill owes), and a line balances its links
(`amount + sum(links) == 0`); `totalAmount` is the sum of the lines. One payment may settle
several bills of one supplier: one line, one `Bill` link per bill.

Amounts are in the payment's currency (the bank account's). When a bill is in another currency,
`currencyRate` converts: the bill's amount due falls by `amount x currencyRate`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from gateway.codat.models import (
    Account,
    Bill,
    BillPaymentInput,
    BillPaymentLine,
    BillPaymentLineLink,
    BillPaymentLineLinkType,
    BillStatus,
)
from gateway.codat.models.bills import BillCreditNoteLineItem, BillLineItem
from gateway.codat.models.common import (
    AccountRef,
    CustomerRef,
    ItemRef,
    PaymentMethodRef,
    ProjectRef,
    SupplierRef,
    TaxRateRef,
    Tracking,
    TrackingCategoryRef,
)
from gateway.codat.models.enums import BilledToType
from gateway.codat.types import CodatDateTime

CENT = Decimal("0.01")
MAX_INTEGER_DIGITS = 13
"""The most digits any amount, quantity or rate may have before the point (Codat's amounts are
decimal(18+) in every accounting platform it writes to; 13 leaves room for line products)."""
MAX_DECIMAL_PLACES = 10
"""The most decimal places any Decimal input may have (the scalar refuses more)."""
AMOUNT_PLACES = 2
"""Amounts (payments, totals, taxes, discounts) are in cents: more places would be rounded away."""
UNIT_PLACES = 4
"""Unit amounts and quantities: accounting platforms keep four places (Xero, QuickBooks)."""
RATE_PLACES = MAX_DECIMAL_PLACES
"""Currency rates are sent with every place they were given, up to this many."""
UNPAYABLE = frozenset({BillStatus.Paid, BillStatus.Void, BillStatus.Draft})
UNEDITABLE = frozenset({BillStatus.Paid, BillStatus.Void})


class WriteErrorCode(enum.StrEnum):
    """Why a write was refused; every code comes with a message that says what to fix."""

    INVALID_INPUT = "INVALID_INPUT"
    INVALID_DATE = "INVALID_DATE"
    COMPANY_NOT_FOUND = "COMPANY_NOT_FOUND"
    CONNECTION_NOT_LINKED = "CONNECTION_NOT_LINKED"
    BILL_NOT_FOUND = "BILL_NOT_FOUND"
    BILL_NOT_PAYABLE = "BILL_NOT_PAYABLE"
    BILL_NOT_EDITABLE = "BILL_NOT_EDITABLE"
    DUPLICATE_BILL = "DUPLICATE_BILL"
    AMOUNT_NOT_POSITIVE = "AMOUNT_NOT_POSITIVE"
    AMOUNT_ABOVE_DUE = "AMOUNT_ABOVE_DUE"
    CURRENCY_RATE_REQUIRED = "CURRENCY_RATE_REQUIRED"
    CURRENCY_RATE_NOT_POSITIVE = "CURRENCY_RATE_NOT_POSITIVE"
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
    NOT_A_BANK_ACCOUNT = "NOT_A_BANK_ACCOUNT"
    PAYMENT_METHOD_NOT_FOUND = "PAYMENT_METHOD_NOT_FOUND"
    SUPPLIER_NOT_FOUND = "SUPPLIER_NOT_FOUND"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_KEY_IN_FLIGHT = "IDEMPOTENCY_KEY_IN_FLIGHT"
    IDEMPOTENCY_STORE_UNAVAILABLE = "IDEMPOTENCY_STORE_UNAVAILABLE"
    UPSTREAM_REJECTED = "UPSTREAM_REJECTED"
    PUSH_OUTCOME_UNKNOWN = "PUSH_OUTCOME_UNKNOWN"
    FIELD_REQUIRED = "FIELD_REQUIRED"
    AMOUNT_NEGATIVE = "AMOUNT_NEGATIVE"
    TOTALS_INCONSISTENT = "TOTALS_INCONSISTENT"
    FILE_EMPTY = "FILE_EMPTY"
    COMPANY_CREATION_NOT_ALLOWED = "COMPANY_CREATION_NOT_ALLOWED"
    CONNECTION_NOT_FOUND = "CONNECTION_NOT_FOUND"
    BILL_PAYMENT_NOT_FOUND = "BILL_PAYMENT_NOT_FOUND"
    CREDIT_NOTE_NOT_FOUND = "CREDIT_NOTE_NOT_FOUND"
    CREDIT_NOTE_NOT_USABLE = "CREDIT_NOTE_NOT_USABLE"
    CREDIT_ABOVE_REMAINING = "CREDIT_ABOVE_REMAINING"


@dataclass(frozen=True, slots=True)
class WriteIssue:
    """One reason a write was refused, and the input field it is about (camelCase path)."""

    code: WriteErrorCode
    message: str
    field: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code.value, "message": self.message, "field": self.field}

    @classmethod
    def from_json(cls, body: dict[str, str | None]) -> WriteIssue:
        return cls(WriteErrorCode(str(body["code"])), str(body["message"]), body.get("field"))


class WriteRefusedError(Exception):
    """The checks found issues: nothing was sent to Codat."""

    def __init__(self, issues: Sequence[WriteIssue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = tuple(issues)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def canonical_decimal(value: Decimal | None) -> str | None:
    """`100`, `100.0` and `1E2` are one amount: the same text for the fingerprint."""
    if value is None:
        return None
    if not value.is_finite() or abs(value.adjusted()) > MAX_DECIMAL_PLACES + MAX_INTEGER_DIGITS:
        return str(value)  # refused by the checks; never written out digit by digit
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def parse_codat_date(value: str, field: str) -> CodatDateTime:
    """An ISO date or date-time (zone optional) as Codat takes it; WriteRefusedError otherwise."""
    text = value.strip()
    try:
        if len(text) == 10:
            return CodatDateTime(f"{date.fromisoformat(text).isoformat()}T00:00:00")
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WriteRefusedError(
            [
                WriteIssue(
                    WriteErrorCode.INVALID_DATE,
                    f"{field} {value!r} is not a date: use YYYY-MM-DD or an ISO-8601 date-time",
                    field,
                )
            ]
        ) from None
    return CodatDateTime(parsed.isoformat())


def decimal_places(value: Decimal) -> int:
    """How many decimal places `value` needs: `1.50` needs 1, `1E+3` none; ValueError if it is
    not finite."""
    if not value.is_finite():
        raise ValueError(f"{value} is not finite")
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0 or not any(digits):
        return 0
    zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))
    return max(0, -exponent - zeros)


def check_decimal(value: Decimal | None, field: str, places: int) -> list[WriteIssue]:
    """Finite, at most MAX_INTEGER_DIGITS digits before the point and `places` after it."""
    if value is None:
        return []
    if not value.is_finite():
        message = f"{field} must be a finite number (got {value})"
    elif not value.is_zero() and value.adjusted() >= MAX_INTEGER_DIGITS:
        message = f"{field} must have at most {MAX_INTEGER_DIGITS} digits before the point"
    elif decimal_places(value) > places:
        message = f"{field} must have at most {places} decimal places (got {value})"
    else:
        return []
    return [WriteIssue(WriteErrorCode.INVALID_INPUT, message, field)]


_PLACES = {
    WriteErrorCode.AMOUNT_NOT_POSITIVE: AMOUNT_PLACES,
    WriteErrorCode.CURRENCY_RATE_NOT_POSITIVE: RATE_PLACES,
}


def check_positive(
    value: Decimal | None, field: str, code: WriteErrorCode, places: int | None = None
) -> list[WriteIssue]:
    """A positive number in the scale it is sent with: `places` decimal places, by default
    AMOUNT_PLACES for an amount (code AMOUNT_NOT_POSITIVE), RATE_PLACES for a currency rate
    (CURRENCY_RATE_NOT_POSITIVE) and UNIT_PLACES for anything else (quantities). A value with
    more places is refused (INVALID_INPUT), never rounded, so a rate can never reach Codat as 0.
    """
    if value is None:
        return []
    if places is None:
        places = _PLACES.get(code, UNIT_PLACES)
    issues = check_decimal(value, field, places)
    if issues:
        return issues
    if value.quantize(Decimal(1).scaleb(-places)) > 0:
        return []
    return [WriteIssue(code, f"{field} must be greater than 0 (got {value})", field)]


def check_bank_account(account: Account | None, account_id: str, field: str) -> list[WriteIssue]:
    if account is None:
        return [
            WriteIssue(
                WriteErrorCode.ACCOUNT_NOT_FOUND,
                f"no account {account_id!r} in the chart of accounts: pick a bank account",
                field,
            )
        ]
    if not account.is_bank_account:
        return [
            WriteIssue(
                WriteErrorCode.NOT_A_BANK_ACCOUNT,
                f"account {account.name or account_id!r} is not a bank account: "
                "pay from an account with isBankAccount true",
                field,
            )
        ]
    return []


@dataclass(frozen=True, slots=True)
class CreditApplication:
    """Credit of a bill credit note used against the bill a payment pays (bill currency)."""

    credit_note_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Settlement:
    """How much of one bill a payment settles, in the payment's currency."""

    bill: Bill
    amount: Decimal
    currency_rate: Decimal | None
    credits: tuple[CreditApplication, ...] = ()
    """Credit notes used against the bill as well (a line of their own in the payment)."""


def plan_settlement(
    bill: Bill,
    *,
    amount: Decimal | None,
    payment_currency: str | None,
    currency_rate: Decimal | None,
    field: str,
    credits: Sequence[CreditApplication] = (),
) -> Settlement:
    """Check that `bill` can be paid `amount` (default: all it owes, less the credit of
    `credits` when the payment is in the bill's currency); WriteRefusedError if not."""
    issues: list[WriteIssue] = []
    if bill.status in UNPAYABLE or (bill.metadata is not None and bill.metadata.is_deleted):
        issues.append(
            WriteIssue(
                WriteErrorCode.BILL_NOT_PAYABLE,
                f"bill {bill.reference or bill.id!r} is {bill.status.value} and cannot be paid",
                field,
            )
        )
    due = bill.amount_due if bill.amount_due is not None else bill.total_amount
    if not issues and due <= 0:
        issues.append(
            WriteIssue(
                WriteErrorCode.BILL_NOT_PAYABLE,
                f"bill {bill.reference or bill.id!r} owes nothing (amount due {due})",
                field,
            )
        )
    foreign = (
        payment_currency is not None
        and bill.currency is not None
        and bill.currency != payment_currency
    )
    rate = currency_rate if foreign else None
    if foreign and currency_rate is None:
        issues.append(
            WriteIssue(
                WriteErrorCode.CURRENCY_RATE_REQUIRED,
                f"the bill is in {bill.currency} and the payment in {payment_currency}: "
                f"give currencyRate ({bill.currency} per {payment_currency})",
                "currencyRate",
            )
        )
    if issues:
        raise WriteRefusedError(issues)
    credit = sum((c.amount for c in credits), Decimal(0))
    if amount is None:
        amount = (
            (due - credit) if rate is None else (due / rate).quantize(CENT, rounding=ROUND_DOWN)
        )
    if amount <= 0:
        raise WriteRefusedError(
            [
                WriteIssue(
                    WriteErrorCode.AMOUNT_NOT_POSITIVE,
                    f"amount must be greater than 0 (got {amount})",
                    "amount",
                )
            ]
        )
    settles = amount if rate is None else money(amount * rate)
    if settles > due:
        raise WriteRefusedError(
            [
                WriteIssue(
                    WriteErrorCode.AMOUNT_ABOVE_DUE,
                    f"amount {amount} settles {settles} {bill.currency or ''} but bill "
                    f"{bill.reference or bill.id!r} owes only {due}: pay at most the amount due",
                    "amount",
                )
            ]
        )
    return Settlement(bill, amount, rate, tuple(credits))


def credit_lines(
    bill: Bill, credits: Sequence[CreditApplication], date: CodatDateTime
) -> tuple[BillPaymentLine, ...]:
    """Codat's shape for using credit notes against a bill (codat-notes §8): a line of amount 0
    whose `Bill` link (minus the credit used) balances one `CreditNote` link per note."""
    if not credits:
        return ()
    used = money(sum((c.amount for c in credits), Decimal(0)))
    links = (
        BillPaymentLineLink(type=BillPaymentLineLinkType.Bill, id=bill.id, amount=-used),
        *(
            BillPaymentLineLink(
                type=BillPaymentLineLinkType.CreditNote, id=c.credit_note_id, amount=money(c.amount)
            )
            for c in credits
        ),
    )
    return (BillPaymentLine(amount=Decimal("0.00"), links=links, allocated_on_date=date),)


def build_bill_payment(
    settlements: Sequence[Settlement],
    *,
    account: Account,
    currency: str | None,
    date: CodatDateTime,
    payment_method_id: str | None = None,
    reference: str | None = None,
    note: str | None = None,
) -> BillPaymentInput:
    """One payment settling `settlements` (bills of one supplier): one line, a link per bill;
    then, for each bill with credits, a line using those credit notes against it."""
    if not settlements:
        raise ValueError("a payment settles at least one bill")
    supplier = settlements[0].bill.supplier_ref
    if supplier is None or any(s.bill.supplier_ref != supplier for s in settlements):
        raise ValueError("a payment pays bills of one supplier")
    total = money(sum((s.amount for s in settlements), Decimal(0)))
    rates = {s.currency_rate for s in settlements}
    links = tuple(
        BillPaymentLineLink(
            type=BillPaymentLineLinkType.Bill,
            id=s.bill.id,
            amount=-money(s.amount),
            currency_rate=s.currency_rate,
        )
        for s in settlements
    )
    return BillPaymentInput(
        date=date,
        supplier_ref=SupplierRef(id=supplier.id, supplier_name=supplier.supplier_name),
        account_ref=AccountRef(id=account.id, name=account.name),
        total_amount=total,
        currency=currency,
        currency_rate=next(iter(rates)) if len(rates) == 1 else None,
        payment_method_ref=None
        if payment_method_id is None
        else PaymentMethodRef(id=payment_method_id),
        lines=(
            BillPaymentLine(amount=total, links=links, allocated_on_date=date),
            *(line for s in settlements for line in credit_lines(s.bill, s.credits, date)),
        ),
        reference=reference,
        note=note,
    )


# -- records (bills, credit notes, suppliers) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefDraft:
    """A reference to another record by its id (and, optionally, the name Codat shows)."""

    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingDraft:
    """Codat's `tracking` of a line: its categories, and whom its cost is rebilled to."""

    category_refs: tuple[RefDraft, ...] = ()
    customer_ref: RefDraft | None = None
    project_ref: RefDraft | None = None
    is_billed_to: BilledToType = BilledToType.NotApplicable
    is_rebilled_to: BilledToType = BilledToType.NotApplicable

    def model(self) -> Tracking:
        return Tracking(
            category_refs=tuple(
                TrackingCategoryRef(id=r.id, name=r.name) for r in self.category_refs
            ),
            customer_ref=None
            if self.customer_ref is None
            else CustomerRef(id=self.customer_ref.id, company_name=self.customer_ref.name),
            project_ref=None
            if self.project_ref is None
            else ProjectRef(id=self.project_ref.id, name=self.project_ref.name),
            is_billed_to=self.is_billed_to,
            is_rebilled_to=self.is_rebilled_to,
        )


@dataclass(frozen=True, slots=True)
class LineDraft:
    """One line of a new bill or credit note, as the caller gives it."""

    unit_amount: Decimal
    quantity: Decimal
    tax_amount: Decimal = Decimal(0)
    discount_amount: Decimal = Decimal(0)
    description: str | None = None
    account_id: str | None = None
    tax_rate_id: str | None = None
    unit_of_measurement: str | None = None
    discount_percentage: Decimal | None = None
    """Sent as given; with no discountAmount, the line's discount is this share of it."""
    item_ref: RefDraft | None = None
    tracking_category_refs: tuple[RefDraft, ...] | None = None
    tracking: TrackingDraft | None = None
    is_direct_cost: bool | None = None
    """Bill lines only (v1 has no such field on credit-note lines)."""

    @property
    def discount(self) -> Decimal:
        if self.discount_amount or self.discount_percentage is None:
            return self.discount_amount
        return money(self.unit_amount * self.quantity * self.discount_percentage / 100)

    @property
    def sub_total(self) -> Decimal:
        return money(self.unit_amount * self.quantity - self.discount)

    @property
    def total(self) -> Decimal:
        return money(self.sub_total + self.tax_amount)


@dataclass(frozen=True, slots=True)
class Totals:
    sub_total: Decimal
    tax_amount: Decimal
    total_amount: Decimal


def check_required(value: str | None, field: str) -> list[WriteIssue]:
    if value is not None and value.strip():
        return []
    return [WriteIssue(WriteErrorCode.FIELD_REQUIRED, f"{field} is required", field)]


def check_non_negative(
    value: Decimal | None, field: str, places: int = AMOUNT_PLACES
) -> list[WriteIssue]:
    issues = check_decimal(value, field, places)
    if value is None or issues or value >= 0:
        return issues
    return [
        WriteIssue(
            WriteErrorCode.AMOUNT_NEGATIVE, f"{field} must not be negative (got {value})", field
        )
    ]


def check_lines(lines: Sequence[LineDraft], field: str = "lineItems") -> list[WriteIssue]:
    """At least one line; no negative amounts; a discount no larger than the line."""
    if not lines:
        return [
            WriteIssue(WriteErrorCode.FIELD_REQUIRED, f"give at least one line in {field}", field)
        ]
    issues: list[WriteIssue] = []
    for index, line in enumerate(lines):
        at = f"{field}[{index}]"
        found = [
            *check_non_negative(line.unit_amount, f"{at}.unitAmount", UNIT_PLACES),
            *check_positive(
                line.quantity, f"{at}.quantity", WriteErrorCode.INVALID_INPUT, UNIT_PLACES
            ),
            *check_non_negative(line.tax_amount, f"{at}.taxAmount"),
            *check_non_negative(line.discount_amount, f"{at}.discountAmount"),
            *check_non_negative(line.discount_percentage, f"{at}.discountPercentage", UNIT_PLACES),
            *_ref_issues(line, at),
        ]
        issues += found
        if found:
            continue  # the comparisons below need finite, bounded numbers
        gross = line.unit_amount * line.quantity
        if not gross.is_zero() and gross.adjusted() >= MAX_INTEGER_DIGITS:
            issues.append(
                WriteIssue(
                    WriteErrorCode.INVALID_INPUT,
                    f"{at}: unitAmount x quantity must have at most {MAX_INTEGER_DIGITS} digits "
                    "before the point",
                    f"{at}.quantity",
                )
            )
        elif line.discount_percentage is not None and line.discount_percentage > 100:
            issues.append(
                WriteIssue(
                    WriteErrorCode.INVALID_INPUT,
                    f"{at}.discountPercentage must be at most 100 (got {line.discount_percentage})",
                    f"{at}.discountPercentage",
                )
            )
        elif (
            line.discount_amount > 0
            and line.discount_percentage is not None
            and money(gross * line.discount_percentage / 100) != money(line.discount_amount)
        ):
            issues.append(
                WriteIssue(
                    WriteErrorCode.TOTALS_INCONSISTENT,
                    f"{at}.discountAmount {line.discount_amount} is not "
                    f"{line.discount_percentage}% of the line's {money(gross)}: give one of them",
                    f"{at}.discountAmount",
                )
            )
        elif line.discount_amount > 0 and line.discount_amount > gross:
            issues.append(
                WriteIssue(
                    WriteErrorCode.TOTALS_INCONSISTENT,
                    f"{at}.discountAmount {line.discount_amount} is more than the line's "
                    f"{line.unit_amount} x {line.quantity}",
                    f"{at}.discountAmount",
                )
            )
    return issues


def line_totals(lines: Sequence[LineDraft], expected_total: Decimal | None = None) -> Totals:
    """The document's totals from its lines; WriteRefusedError when `expected_total` differs."""
    sub_total = money(sum((line.sub_total for line in lines), Decimal(0)))
    tax = money(sum((line.tax_amount for line in lines), Decimal(0)))
    totals = Totals(sub_total, tax, money(sub_total + tax))
    if expected_total is not None and money(expected_total) != totals.total_amount:
        raise WriteRefusedError(
            [
                WriteIssue(
                    WriteErrorCode.TOTALS_INCONSISTENT,
                    f"totalAmount {expected_total} does not match the lines, which add up to "
                    f"{totals.total_amount} (subtotal {sub_total} + tax {tax})",
                    "totalAmount",
                )
            ]
        )
    return totals


def _line_fields(line: LineDraft) -> dict[str, Any]:
    """What a bill line and a credit-note line share, in Codat's shape."""
    return {
        "description": line.description,
        "unit_amount": line.unit_amount,
        "quantity": line.quantity,
        "unit_of_measurement": line.unit_of_measurement,
        "discount_amount": line.discount or None,
        "discount_percentage": line.discount_percentage,
        "sub_total": line.sub_total,
        "tax_amount": line.tax_amount,
        "total_amount": line.total,
        "account_ref": None if line.account_id is None else AccountRef(id=line.account_id),
        "tax_rate_ref": None if line.tax_rate_id is None else TaxRateRef(id=line.tax_rate_id),
        "item_ref": None
        if line.item_ref is None
        else ItemRef(id=line.item_ref.id, name=line.item_ref.name),
        "tracking_category_refs": None
        if line.tracking_category_refs is None
        else tuple(TrackingCategoryRef(id=r.id, name=r.name) for r in line.tracking_category_refs),
        "tracking": None if line.tracking is None else line.tracking.model(),
    }


def bill_lines(lines: Sequence[LineDraft]) -> tuple[BillLineItem, ...]:
    return tuple(
        BillLineItem(**_line_fields(line), is_direct_cost=line.is_direct_cost) for line in lines
    )


def credit_note_lines(lines: Sequence[LineDraft]) -> tuple[BillCreditNoteLineItem, ...]:
    return tuple(BillCreditNoteLineItem(**_line_fields(line)) for line in lines)


def _ref_issues(line: LineDraft, at: str) -> list[WriteIssue]:
    """Codat refuses a reference with an empty id (minLength 1)."""
    refs: list[tuple[RefDraft | None, str]] = [(line.item_ref, f"{at}.itemRef.id")]
    refs += [
        (ref, f"{at}.trackingCategoryRefs[{i}].id")
        for i, ref in enumerate(line.tracking_category_refs or ())
    ]
    if line.tracking is not None:
        refs += [
            (ref, f"{at}.tracking.categoryRefs[{i}].id")
            for i, ref in enumerate(line.tracking.category_refs)
        ]
        refs += [
            (line.tracking.customer_ref, f"{at}.tracking.customerRef.id"),
            (line.tracking.project_ref, f"{at}.tracking.projectRef.id"),
        ]
    return [
        issue for ref, field in refs if ref is not None for issue in check_required(ref.id, field)
    ]
