# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Mutations: Relay-style inputs, payloads whose expected failures are typed errors with a code.

Every write mutation answers the same shape: `pushOperation` (Codat's asynchronous write, Pending
at first; subscribe to `pushOperation(companyId, key)` for its outcome), `idempotencyKey` (the
caller's, or a new one), `replayed` (true when an earlier request with the key did the work),
`input` (the normalised input, with the defaults the gateway chose) and `errors`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.codat.types import CompanyId
from gateway.writes.executor import WriteOutcome, Writes
from gateway.writes.pay import (
    BillPaymentResult,
    BillPayments,
    BillToPay,
    PayBillRequest,
    PayBillsRequest,
)
from gateway.writes.payments import CreditApplication, WriteErrorCode, WriteIssue
from schema.context import Info
from schema.ids import (
    ACCOUNT,
    BILL,
    BILL_CREDIT_NOTE,
    PAYMENT_METHOD,
    company_id_from_argument,
    optional_record_id,
    record_id_from_argument,
)
from schema.types.push import PushOperation

strawberry.enum(WriteErrorCode, description="Why a write was refused (nothing reached Codat).")

KEY = "Makes retries safe: the same key with the same input returns the first result without "
KEY += "writing again; with another input it is an IDEMPOTENCY_KEY_REUSED error. Generated when "
KEY += "absent, and sent to Codat as the Idempotency-Key header."

PAYMENT_DATE = "Payment date: an ISO-8601 date-time (zone optional) or a plain YYYY-MM-DD date."


@strawberry.type(description="An expected reason a write was refused, and what to fix.")
class MutationError:
    code: WriteErrorCode
    message: str
    field: str | None = strawberry.field(description="The input field (camelCase path).")

    @classmethod
    def from_issue(cls, issue: WriteIssue) -> MutationError:
        return cls(code=issue.code, message=issue.message, field=issue.field)


def _errors(outcome: WriteOutcome) -> list[MutationError]:
    return [MutationError.from_issue(issue) for issue in outcome.issues]


def _push(outcome: WriteOutcome) -> PushOperation | None:
    model = outcome.push_operation
    return None if model is None else PushOperation.from_model(model)


@strawberry.interface(description="What every write mutation answers.")
class WritePayload:
    push_operation: PushOperation | None
    idempotency_key: str
    replayed: bool
    input: JSON = strawberry.field(description="The normalised input, defaults filled in.")
    errors: list[MutationError]


def payload_fields(outcome: WriteOutcome) -> dict[str, Any]:
    return {
        "push_operation": _push(outcome),
        "idempotency_key": outcome.idempotency_key,
        "replayed": outcome.replayed,
        "input": outcome.echo,
        "errors": _errors(outcome),
    }


def writes(info: Info) -> Writes:
    """The app's writes, scoped to this request's caller."""
    if info.context.writes is None:
        raise RuntimeError("this context cannot write (no Writes wired)")
    return info.context.writes.for_caller(info.context.principal)


def company(info: Info, value: strawberry.ID) -> CompanyId:
    """The company to write to; one the caller may not use is refused as unknown by `Writes`."""
    return CompanyId(company_id_from_argument(str(value)))


@strawberry.input(description="Pay one bill from a bank account.")
class PayBillInput:
    company_id: strawberry.ID
    bill_id: strawberry.ID
    account_id: strawberry.ID = strawberry.field(
        description="The bank account (chart of accounts, isBankAccount) it is paid from."
    )
    date: datetime = strawberry.field(description=PAYMENT_DATE)
    amount: Decimal | None = strawberry.field(
        default=None,
        description="In the bank account's currency; defaults to the amount due.",
    )
    currency_rate: Decimal | None = strawberry.field(
        default=None,
        description="Bill currency per payment currency; required when they differ.",
    )
    payment_method_id: strawberry.ID | None = None
    reference: str | None = None
    note: str | None = None
    idempotency_key: Annotated[str | None, strawberry.argument(description=KEY)] = None
    credit_notes: list[CreditNoteToApplyInput] | None = strawberry.field(
        default=None,
        description="Bill credit notes of the bill's supplier to use against it as well (in the "
        "bill's currency); amount then defaults to what is left to pay.",
    )


@strawberry.input(description="Credit of one bill credit note used against the bill being paid.")
class CreditNoteToApplyInput:
    credit_note_id: strawberry.ID
    amount: Decimal = strawberry.field(description="In the bill's currency; at most what is left.")


def _credits(
    credits: list[CreditNoteToApplyInput] | None, company_id: CompanyId
) -> tuple[CreditApplication, ...]:
    return tuple(
        CreditApplication(
            record_id_from_argument(c.credit_note_id, company_id, *BILL_CREDIT_NOTE), c.amount
        )
        for c in credits or ()
    )


@strawberry.type
class PayBillPayload(WritePayload):
    pass


@strawberry.enum(description="How payBills groups bills into payments.")
class PaymentGrouping(Enum):
    ONE_PAYMENT_PER_SUPPLIER = "ONE_PAYMENT_PER_SUPPLIER"
    ONE_PAYMENT_PER_BILL = "ONE_PAYMENT_PER_BILL"


@strawberry.input(description="One bill of a payBills.")
class BillToPayInput:
    bill_id: strawberry.ID
    amount: Decimal | None = strawberry.field(
        default=None,
        description="In the bank account's currency; defaults to the amount due (less the "
        "credit notes' credit).",
    )
    currency_rate: Decimal | None = None
    credit_notes: list[CreditNoteToApplyInput] | None = strawberry.field(
        default=None,
        description="Bill credit notes of the bill's supplier to use against it as well (each "
        "note against one bill of the batch), as in payBill.",
    )


@strawberry.input(description="Pay several bills of one company from one bank account.")
class PayBillsInput:
    company_id: strawberry.ID
    bills: list[BillToPayInput]
    account_id: strawberry.ID
    date: datetime = strawberry.field(description=PAYMENT_DATE)
    grouping: PaymentGrouping = PaymentGrouping.ONE_PAYMENT_PER_SUPPLIER
    payment_method_id: strawberry.ID | None = None
    reference: str | None = None
    note: str | None = None
    idempotency_key: str | None = None


@strawberry.type(description="One bill of a payBills: the push paying it, or why it was not.")
class BillPaymentOutcome:
    bill_id: strawberry.ID
    push_operation: PushOperation | None
    errors: list[MutationError]

    @classmethod
    def from_result(cls, result: BillPaymentResult) -> BillPaymentOutcome:
        model = result.push_operation
        return cls(
            bill_id=strawberry.ID(result.bill_id),
            push_operation=None if model is None else PushOperation.from_model(model),
            errors=[MutationError.from_issue(issue) for issue in result.issues],
        )


@strawberry.type
class PayBillsPayload(WritePayload):
    results: list[BillPaymentOutcome]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Pay one bill (a BillPayment with one Bill link).")
    async def pay_bill(self, info: Info, input: PayBillInput) -> PayBillPayload:
        company_id = company(info, input.company_id)
        request = PayBillRequest(
            bill_id=record_id_from_argument(input.bill_id, company_id, *BILL),
            account_id=record_id_from_argument(input.account_id, company_id, *ACCOUNT),
            date=input.date.isoformat(),
            amount=input.amount,
            currency_rate=input.currency_rate,
            payment_method_id=optional_record_id(
                input.payment_method_id, company_id, *PAYMENT_METHOD
            ),
            reference=input.reference,
            note=input.note,
            credit_notes=_credits(input.credit_notes, company_id),
        )
        outcome = await BillPayments(writes(info)).pay_bill(
            company_id, request, input.idempotency_key
        )
        return PayBillPayload(**payload_fields(outcome))

    @strawberry.mutation(
        description="Pay several bills: one payment per supplier (several links) or per bill."
    )
    async def pay_bills(self, info: Info, input: PayBillsInput) -> PayBillsPayload:
        company_id = company(info, input.company_id)
        request = PayBillsRequest(
            bills=tuple(
                BillToPay(
                    record_id_from_argument(item.bill_id, company_id, *BILL),
                    item.amount,
                    item.currency_rate,
                    _credits(item.credit_notes, company_id),
                )
                for item in input.bills
            ),
            account_id=record_id_from_argument(input.account_id, company_id, *ACCOUNT),
            date=input.date.isoformat(),
            one_payment_per_supplier=input.grouping is PaymentGrouping.ONE_PAYMENT_PER_SUPPLIER,
            payment_method_id=optional_record_id(
                input.payment_method_id, company_id, *PAYMENT_METHOD
            ),
            reference=input.reference,
            note=input.note,
        )
        outcome, results = await BillPayments(writes(info)).pay_bills(
            company_id, request, input.idempotency_key
        )
        return PayBillsPayload(
            **payload_fields(outcome),
            results=[BillPaymentOutcome.from_result(result) for result in results],
        )
