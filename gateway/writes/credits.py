"""Using bill credit notes when paying a bill: the checks before the payment is pushed.

Each credit note must exist (read fresh, never from the cache: its credit may just have been
used), be the bill's supplier's, be in the bill's currency, be Submitted or PartiallyPaid, and
have the credit asked for; together they may not cover more than the bill owes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal

from gateway.codat.client import CodatClient
from gateway.codat.errors import CodatNotFound
from gateway.codat.models import Bill, BillCreditNote, BillCreditNoteStatus
from gateway.codat.types import CompanyId
from gateway.writes.payments import (
    CreditApplication,
    WriteErrorCode,
    WriteIssue,
    WriteRefusedError,
    check_positive,
)

USABLE = frozenset({BillCreditNoteStatus.Submitted, BillCreditNoteStatus.PartiallyPaid})


def credit_input_issues(
    credits: Sequence[CreditApplication], field: str = "creditNotes"
) -> list[WriteIssue]:
    """Checks of the input alone: positive amounts in cents, each note once."""
    issues: list[WriteIssue] = []
    seen: set[str] = set()
    for index, credit in enumerate(credits):
        at = f"{field}[{index}]"
        issues += check_positive(credit.amount, f"{at}.amount", WriteErrorCode.AMOUNT_NOT_POSITIVE)
        if credit.credit_note_id in seen:
            issues.append(
                WriteIssue(
                    WriteErrorCode.INVALID_INPUT,
                    f"credit note {credit.credit_note_id!r} is listed twice: list each once",
                    f"{at}.creditNoteId",
                )
            )
        seen.add(credit.credit_note_id)
    return issues


def credit_total(credits: Sequence[CreditApplication]) -> Decimal:
    return sum((c.amount for c in credits), Decimal(0))


async def _note(client: CodatClient, company_id: CompanyId, note_id: str) -> BillCreditNote | None:
    try:
        note = await client.get_bill_credit_note(company_id, note_id)
    except CodatNotFound:
        return None
    return None if note.metadata is not None and note.metadata.is_deleted else note


async def check_credits(
    client: CodatClient, company_id: CompanyId, bill: Bill, credits: Sequence[CreditApplication]
) -> None:
    """WriteRefusedError unless every credit can be used against `bill` as asked."""
    if not credits:
        return
    notes = await asyncio.gather(*(_note(client, company_id, c.credit_note_id) for c in credits))
    issues: list[WriteIssue] = []
    supplier = bill.supplier_ref.id if bill.supplier_ref else None
    for index, (credit, note) in enumerate(zip(credits, notes, strict=True)):
        at = f"creditNotes[{index}]"
        if note is None:
            issues.append(
                WriteIssue(
                    WriteErrorCode.CREDIT_NOTE_NOT_FOUND,
                    f"company {company_id} has no bill credit note {credit.credit_note_id!r}",
                    f"{at}.creditNoteId",
                )
            )
            continue
        why = None
        if note.status not in USABLE:
            why = f"is {note.status.value}"
        elif (note.supplier_ref.id if note.supplier_ref else None) != supplier:
            why = "is from another supplier than the bill's"
        elif (
            note.currency is not None
            and bill.currency is not None
            and note.currency != bill.currency
        ):
            why = f"is in {note.currency}, the bill in {bill.currency}"
        if why is not None:
            issues.append(
                WriteIssue(
                    WriteErrorCode.CREDIT_NOTE_NOT_USABLE,
                    f"credit note {note.bill_credit_note_number or note.id!r} {why}",
                    f"{at}.creditNoteId",
                )
            )
            continue
        remaining = (
            note.remaining_credit if note.remaining_credit is not None else note.total_amount
        )
        if credit.amount > remaining:
            issues.append(
                WriteIssue(
                    WriteErrorCode.CREDIT_ABOVE_REMAINING,
                    f"credit note {note.bill_credit_note_number or note.id!r} has only "
                    f"{remaining} left (asked {credit.amount})",
                    f"{at}.amount",
                )
            )
    due = bill.amount_due if bill.amount_due is not None else bill.total_amount
    if not issues and credit_total(credits) > due:
        issues.append(
            WriteIssue(
                WriteErrorCode.AMOUNT_ABOVE_DUE,
                f"the credit notes cover {credit_total(credits)} but the bill owes only {due}",
                "creditNotes",
            )
        )
    if issues:
        raise WriteRefusedError(issues)
