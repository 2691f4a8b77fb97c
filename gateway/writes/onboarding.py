"""Onboarding and the less common payables writes: companies, connections, deletes, credit-note
updates, accounts and bank accounts.

Each runs through `Writes.execute` like paying a bill: pure checks first (no call), then checks
that read Codat, then one write under a Codat Idempotency-Key derived by `Writes.codat_key`.
Pushes are followed by the push tracker; company and connection writes (Codat answers them at
once, with no push operation) announce their change on the bus themselves.

Who may create a company: only a caller whose scope is every company (`Principal.companies is
None`: an API key with `"companies": "*"`, a JWT whose companies claim is `"*"`, or auth off). A
narrower caller could not use the company it made, so it is refused with
COMPANY_CREATION_NOT_ALLOWED before anything is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, TypeVar

from gateway.codat.errors import CodatNotFound
from gateway.codat.models import (
    AccountInput,
    BankAccountInput,
    BillCreditNote,
    BillCreditNoteInput,
    Connection,
)
from gateway.codat.types import CodatDateTime, CompanyId, ConnectionId
from gateway.writes.drafts import AccountDraft, BankAccountDraft, CompanyDraft, CreditNoteChanges
from gateway.writes.executor import (
    Performed,
    WriteFamily,
    WriteOutcome,
    company_not_found,
    echo_of,
    read_existing,
)
from gateway.writes.payments import (
    WriteErrorCode,
    WriteIssue,
    WriteRefusedError,
    check_lines,
    check_non_negative,
    check_required,
    credit_note_lines,
    line_totals,
    parse_codat_date,
)

ALL_COMPANIES = CompanyId("*")
"""Where a new company's idempotency records live: it has no id until Codat answers."""
COMPANY_SCOPES = ("companies", "connections")
PLATFORM_KEY_LENGTH = 4

Answer = TypeVar("Answer")


def _dumped(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return dumped


class Onboarding(WriteFamily):
    """Company and connection lifecycle, deletes and the remaining payables writes."""

    async def _announced(
        self, company_id: CompanyId, extra: dict[str, Any] | None = None
    ) -> Performed:
        """What a company or connection write did: Codat answered at once (no push operation),
        so the change is announced on the bus here."""
        await self.writes.publish_change(company_id, COMPANY_SCOPES)
        return Performed(None, extra=extra or {})

    # -- companies ------------------------------------------------------------------------------

    async def create_company(self, draft: CompanyDraft, key: str | None) -> WriteOutcome:
        issues = check_required(draft.name, "name")
        if self.writes.principal.companies is not None:
            issues.append(
                WriteIssue(
                    WriteErrorCode.COMPANY_CREATION_NOT_ALLOWED,
                    "only a caller that may use every company can create one: ask for a key "
                    'or token whose companies are "*"',
                    "companyId",
                )
            )

        async def perform(codat_key: str) -> Performed:
            company = await self.client.create_company(draft.body(), idempotency_key=codat_key)
            return await self._announced(company.id, {"company": _dumped(company)})

        return await self.writes.execute(
            "createCompany", ALL_COMPANIES, key, echo_of(draft), perform, issues
        )

    async def update_company(
        self, company_id: CompanyId, draft: CompanyDraft, key: str | None
    ) -> WriteOutcome:
        async def perform(codat_key: str) -> Performed:
            company = await self._company_call(
                company_id,
                self.client.update_company(company_id, draft.body(), idempotency_key=codat_key),
            )
            return await self._announced(company_id, {"company": _dumped(company)})

        issues = [] if draft.name is None else check_required(draft.name, "name")
        return await self.writes.execute(
            "updateCompany", company_id, key, echo_of(draft), perform, issues
        )

    async def delete_company(self, company_id: CompanyId, key: str | None) -> WriteOutcome:
        async def perform(_codat_key: str) -> Performed:
            # Codat deletes a company without an Idempotency-Key.
            await self._company_call(company_id, self.client.delete_company(company_id))
            return await self._announced(company_id)

        return await self.writes.execute("deleteCompany", company_id, key, {}, perform)

    async def _company_call(self, company_id: CompanyId, call: Awaitable[Answer]) -> Answer:
        self.writes.authorize(company_id)
        try:
            return await call
        except CodatNotFound:
            raise WriteRefusedError([company_not_found(company_id)]) from None

    # -- connections ----------------------------------------------------------------------------

    async def create_connection(
        self, company_id: CompanyId, platform_key: str, key: str | None
    ) -> WriteOutcome:
        async def perform(codat_key: str) -> Performed:
            self.writes.authorize(company_id)
            try:
                connection = await self.client.create_connection(
                    company_id, platform_key, idempotency_key=codat_key
                )
            except CodatNotFound as error:
                raise WriteRefusedError(
                    [
                        WriteIssue(
                            WriteErrorCode.INVALID_INPUT,
                            f"Codat refused: {error.message} (check the companyId and that "
                            "the platformKey names an enabled integration)",
                            "platformKey",
                        )
                    ]
                ) from None
            return await self._announced(company_id, {"connection": _dumped(connection)})

        well_formed = (
            len(platform_key) == PLATFORM_KEY_LENGTH
            and platform_key.isascii()
            and platform_key.isalpha()
            and platform_key.islower()
        )
        issues = [] if well_formed else [_bad_platform(platform_key)]
        request = {"platformKey": platform_key}
        return await self.writes.execute(
            "createConnection", company_id, key, request, perform, issues
        )

    async def _connection(self, company_id: CompanyId, connection_id: str) -> Connection:
        self.writes.authorize(company_id)
        try:
            connections = await self.writes.upstream.connections(company_id)
        except CodatNotFound:
            raise WriteRefusedError([company_not_found(company_id)]) from None
        found = next((c for c in connections if c.id == connection_id), None)
        if found is None:
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.CONNECTION_NOT_FOUND,
                        f"company {company_id} has no connection {connection_id!r}",
                        "connectionId",
                    )
                ]
            )
        return found

    async def unlink_connection(
        self, company_id: CompanyId, connection_id: str, key: str | None
    ) -> WriteOutcome:
        async def perform(codat_key: str) -> Performed:
            await self._connection(company_id, connection_id)
            connection = await self.client.unlink_connection(
                company_id, ConnectionId(connection_id), idempotency_key=codat_key
            )
            return await self._announced(company_id, {"connection": _dumped(connection)})

        request = {"connectionId": connection_id}
        return await self.writes.execute("unlinkConnection", company_id, key, request, perform)

    async def delete_connection(
        self, company_id: CompanyId, connection_id: str, key: str | None
    ) -> WriteOutcome:
        async def perform(_codat_key: str) -> Performed:
            # Codat deletes a connection without an Idempotency-Key.
            await self._connection(company_id, connection_id)
            await self.client.delete_connection(company_id, ConnectionId(connection_id))
            return await self._announced(company_id)

        request = {"connectionId": connection_id}
        return await self.writes.execute("deleteConnection", company_id, key, request, perform)

    # -- deletes (push operations) ------------------------------------------------------------

    async def delete_bill(
        self, company_id: CompanyId, bill_id: str, key: str | None
    ) -> WriteOutcome:
        """Delete a bill; one with payments allocated is refused (delete its payments first)."""

        async def perform(_codat_key: str) -> Performed:
            # Codat deletes a bill without an Idempotency-Key.
            connection = await self.writes.connection(company_id)
            bill = await self.writes.fresh_bill(company_id, bill_id, "billId")
            if bill.payment_allocations:
                raise WriteRefusedError(
                    [
                        WriteIssue(
                            WriteErrorCode.BILL_NOT_EDITABLE,
                            f"bill {bill.reference or bill.id!r} has payments allocated: "
                            "delete (void) its payments first",
                            "billId",
                        )
                    ]
                )
            return Performed(await self.client.delete_bill(company_id, connection, bill.id))

        issues = check_required(bill_id, "billId")
        request = {"billId": bill_id}
        return await self.writes.execute("deleteBill", company_id, key, request, perform, issues)

    async def delete_bill_payment(
        self, company_id: CompanyId, payment_id: str, key: str | None
    ) -> WriteOutcome:
        """Void a bill payment: Codat deletes it; the bills it paid owe again."""

        async def perform(_codat_key: str) -> Performed:
            # Codat deletes a bill payment without an Idempotency-Key.
            connection = await self.writes.connection(company_id)
            payment = await read_existing(
                self.client.get_bill_payment(company_id, payment_id),
                WriteIssue(
                    WriteErrorCode.BILL_PAYMENT_NOT_FOUND,
                    f"company {company_id} has no bill payment {payment_id!r}",
                    "billPaymentId",
                ),
            )
            return Performed(
                await self.client.delete_bill_payment(company_id, connection, payment.id)
            )

        issues = check_required(payment_id, "billPaymentId")
        request = {"billPaymentId": payment_id}
        return await self.writes.execute(
            "deleteBillPayment", company_id, key, request, perform, issues
        )

    # -- bill credit notes --------------------------------------------------------------------

    async def update_bill_credit_note(
        self, company_id: CompanyId, changes: CreditNoteChanges, key: str | None
    ) -> WriteOutcome:
        issues = check_required(changes.credit_note_id, "billCreditNoteId")
        if changes.line_items is not None:
            issues += check_lines(changes.line_items)
        issue_date = None
        if changes.issue_date is not None:
            try:
                issue_date = parse_codat_date(changes.issue_date, "issueDate")
            except WriteRefusedError as refused:
                issues += refused.issues

        async def perform(codat_key: str) -> Performed:
            connection = await self.writes.connection(company_id)
            note = await self.fresh_credit_note(company_id, changes.credit_note_id)
            body = _updated_credit_note(note, changes, issue_date)
            pushed = await self.client.update_bill_credit_note(
                company_id, connection, note.id, body, idempotency_key=codat_key
            )
            return Performed(pushed, {"totalAmount": body.total_amount})

        return await self.writes.execute(
            "updateBillCreditNote", company_id, key, echo_of(changes), perform, issues
        )

    async def fresh_credit_note(self, company_id: CompanyId, note_id: str) -> BillCreditNote:
        return await read_existing(
            self.client.get_bill_credit_note(company_id, note_id),
            WriteIssue(
                WriteErrorCode.CREDIT_NOTE_NOT_FOUND,
                f"company {company_id} has no bill credit note {note_id!r}",
                "billCreditNoteId",
            ),
        )

    # -- accounts -------------------------------------------------------------------------------

    async def create_account(
        self, company_id: CompanyId, draft: AccountDraft, key: str | None
    ) -> WriteOutcome:
        issues = check_required(draft.name, "name")
        return await self.writes.create_as_drafted(
            "createAccount",
            company_id,
            key,
            draft,
            issues,
            AccountInput,
            self.client.create_account,
        )

    async def create_bank_account(
        self, company_id: CompanyId, draft: BankAccountDraft, key: str | None
    ) -> WriteOutcome:
        issues = [
            *check_required(draft.account_name, "accountName"),
            *check_required(draft.currency, "currency"),
            *check_non_negative(draft.overdraft_limit, "overdraftLimit"),
        ]
        return await self.writes.create_as_drafted(
            "createBankAccount",
            company_id,
            key,
            draft,
            issues,
            BankAccountInput,
            self.client.create_bank_account,
        )


def _bad_platform(platform_key: str) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.INVALID_INPUT,
        f"platformKey {platform_key!r} is not a platform key: four lowercase letters, e.g. gbol",
        "platformKey",
    )


def _updated_credit_note(
    note: BillCreditNote, changes: CreditNoteChanges, issue_date: CodatDateTime | None
) -> BillCreditNoteInput:
    """The whole credit note for Codat's PUT: the current one with the changes applied."""
    lines = note.line_items
    sub_total, tax, total = note.sub_total, note.total_tax_amount, note.total_amount
    discount = note.total_discount
    if changes.line_items is not None:
        totals = line_totals(changes.line_items)
        lines = credit_note_lines(changes.line_items)
        sub_total, tax, total = totals.sub_total, totals.tax_amount, totals.total_amount
        discount = sum((line.discount for line in changes.line_items), Decimal(0))
    used = note.total_amount - (
        note.remaining_credit if note.remaining_credit is not None else note.total_amount
    )
    return BillCreditNoteInput(
        status=changes.status or note.status,
        total_amount=total,
        total_discount=discount,
        sub_total=sub_total,
        total_tax_amount=tax,
        discount_percentage=note.discount_percentage,
        bill_credit_note_number=changes.bill_credit_note_number
        if changes.bill_credit_note_number is not None
        else note.bill_credit_note_number,
        supplier_ref=note.supplier_ref,
        withholding_tax=note.withholding_tax,
        remaining_credit=max(total - used, Decimal(0)),
        issue_date=issue_date or note.issue_date,
        allocated_on_date=note.allocated_on_date,
        currency=note.currency,
        currency_rate=note.currency_rate,
        line_items=lines,
        note=changes.note if changes.note is not None else note.note,
        supplemental_data=note.supplemental_data,
    )
