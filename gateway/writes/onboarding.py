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

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from gateway.codat.errors import CodatNotFound
from gateway.codat.models import (
    AccountInput,
    AccountStatus,
    AccountType,
    BankAccountInput,
    BankAccountType,
    BillCreditNote,
    BillCreditNoteInput,
    BillCreditNoteStatus,
    CompanyInput,
    Connection,
)
from gateway.codat.types import CompanyId, ConnectionId
from gateway.writes.executor import (
    Performed,
    WriteOutcome,
    Writes,
    echo_of,
    new_key,
    normalise,
)
from gateway.writes.payments import (
    LineDraft,
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


@dataclass(frozen=True, slots=True)
class CompanyDraft:
    name: str | None = None
    description: str | None = None
    tags: tuple[tuple[str, str], ...] | None = None

    def body(self) -> CompanyInput:
        return CompanyInput(
            name=self.name,
            description=self.description,
            tags=None if self.tags is None else dict(self.tags),
        )


@dataclass(frozen=True, slots=True)
class CreditNoteChanges:
    credit_note_id: str
    bill_credit_note_number: str | None = None
    issue_date: str | None = None
    status: BillCreditNoteStatus | None = None
    note: str | None = None
    line_items: tuple[LineDraft, ...] | None = None


@dataclass(frozen=True, slots=True)
class AccountDraft:
    name: str
    type: AccountType
    fully_qualified_category: str | None = None
    nominal_code: str | None = None
    description: str | None = None
    currency: str | None = None
    status: AccountStatus | None = None


@dataclass(frozen=True, slots=True)
class BankAccountDraft:
    account_name: str
    account_type: BankAccountType
    currency: str
    nominal_code: str | None = None
    sort_code: str | None = None
    account_number: str | None = None
    i_ban: str | None = None
    institution: str | None = None
    overdraft_limit: Decimal | None = None


def _refused(key: str, request: dict[str, Any], issues: list[WriteIssue]) -> WriteOutcome:
    return WriteOutcome(key, echo=normalise(request), issues=tuple(issues))


def _dumped(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return dumped


class Onboarding:
    """Company and connection lifecycle, deletes and the remaining payables writes."""

    def __init__(self, writes: Writes) -> None:
        self.writes = writes
        self.client = writes.client

    # -- companies ------------------------------------------------------------------------------

    async def create_company(self, draft: CompanyDraft, key: str | None) -> WriteOutcome:
        key = key or new_key()
        request = echo_of(draft)
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
        if issues:
            return _refused(key, request, issues)

        async def perform() -> Performed:
            company = await self.client.create_company(
                draft.body(),
                idempotency_key=self.writes.codat_key(ALL_COMPANIES, key, "createCompany"),
            )
            await self.writes.publish_change(company.id, COMPANY_SCOPES)
            return Performed(None, extra={"company": _dumped(company)})

        return await self.writes.execute("createCompany", ALL_COMPANIES, key, request, perform)

    async def update_company(
        self, company_id: CompanyId, draft: CompanyDraft, key: str | None
    ) -> WriteOutcome:
        key = key or new_key()
        request = echo_of(draft)
        issues = [] if draft.name is None else check_required(draft.name, "name")
        if issues:
            return _refused(key, request, issues)

        async def perform() -> Performed:
            company = await self._company_call(
                company_id,
                self.client.update_company(
                    company_id,
                    draft.body(),
                    idempotency_key=self.writes.codat_key(company_id, key, "updateCompany"),
                ),
            )
            await self.writes.publish_change(company_id, COMPANY_SCOPES)
            return Performed(None, extra={"company": _dumped(company)})

        return await self.writes.execute("updateCompany", company_id, key, request, perform)

    async def delete_company(self, company_id: CompanyId, key: str | None) -> WriteOutcome:
        async def perform() -> Performed:
            await self._company_call(company_id, self.client.delete_company(company_id))
            await self.writes.publish_change(company_id, COMPANY_SCOPES)
            return Performed(None)

        return await self.writes.execute("deleteCompany", company_id, key, {}, perform)

    async def _company_call(self, company_id: CompanyId, call: Any) -> Any:
        self.writes.authorize(company_id)
        try:
            return await call
        except CodatNotFound:
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.COMPANY_NOT_FOUND,
                        f"no company {company_id!r}: check the companyId",
                        "companyId",
                    )
                ]
            ) from None

    # -- connections ----------------------------------------------------------------------------

    async def create_connection(
        self, company_id: CompanyId, platform_key: str, key: str | None
    ) -> WriteOutcome:
        key = key or new_key()
        request = {"platformKey": platform_key}
        if len(platform_key) != PLATFORM_KEY_LENGTH or not platform_key.isascii():
            return _refused(key, request, [_bad_platform(platform_key)])
        if not platform_key.isalpha() or not platform_key.islower():
            return _refused(key, request, [_bad_platform(platform_key)])

        async def perform() -> Performed:
            self.writes.authorize(company_id)
            try:
                connection = await self.client.create_connection(
                    company_id,
                    platform_key,
                    idempotency_key=self.writes.codat_key(company_id, key, "createConnection"),
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
            await self.writes.publish_change(company_id, COMPANY_SCOPES)
            return Performed(None, extra={"connection": _dumped(connection)})

        return await self.writes.execute("createConnection", company_id, key, request, perform)

    async def _connection(self, company_id: CompanyId, connection_id: str) -> Connection:
        self.writes.authorize(company_id)
        try:
            connections = await self.writes.upstream.connections(company_id)
        except CodatNotFound:
            connections = None
        if connections is None:
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.COMPANY_NOT_FOUND,
                        f"no company {company_id!r}: check the companyId",
                        "companyId",
                    )
                ]
            )
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
        key = key or new_key()

        async def perform() -> Performed:
            await self._connection(company_id, connection_id)
            connection = await self.client.unlink_connection(
                company_id,
                ConnectionId(connection_id),
                idempotency_key=self.writes.codat_key(company_id, key, "unlinkConnection"),
            )
            await self.writes.publish_change(company_id, COMPANY_SCOPES)
            return Performed(None, extra={"connection": _dumped(connection)})

        request = {"connectionId": connection_id}
        return await self.writes.execute("unlinkConnection", company_id, key, request, perform)

    async def delete_connection(
        self, company_id: CompanyId, connection_id: str, key: str | None
    ) -> WriteOutcome:
        async def perform() -> Performed:
            await self._connection(company_id, connection_id)
            await self.client.delete_connection(company_id, ConnectionId(connection_id))
            await self.writes.publish_change(company_id, COMPANY_SCOPES)
            return Performed(None)

        request = {"connectionId": connection_id}
        return await self.writes.execute("deleteConnection", company_id, key, request, perform)

    # -- deletes (push operations) ------------------------------------------------------------

    async def delete_bill(
        self, company_id: CompanyId, bill_id: str, key: str | None
    ) -> WriteOutcome:
        """Delete a bill; one with payments allocated is refused (delete its payments first)."""
        request = {"billId": bill_id}
        issues = check_required(bill_id, "billId")
        if issues:
            return _refused(key or new_key(), request, issues)

        async def perform() -> Performed:
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
            pushed = await self.client.delete_bill(company_id, connection, bill.id)
            return Performed(pushed)

        return await self.writes.execute("deleteBill", company_id, key, request, perform)

    async def delete_bill_payment(
        self, company_id: CompanyId, payment_id: str, key: str | None
    ) -> WriteOutcome:
        """Void a bill payment: Codat deletes it; the bills it paid owe again."""
        request = {"billPaymentId": payment_id}
        issues = check_required(payment_id, "billPaymentId")
        if issues:
            return _refused(key or new_key(), request, issues)

        async def perform() -> Performed:
            connection = await self.writes.connection(company_id)
            try:
                payment = await self.client.get_bill_payment(company_id, payment_id)
            except CodatNotFound:
                payment = None
            if payment is None or (payment.metadata and payment.metadata.is_deleted):
                raise WriteRefusedError(
                    [
                        WriteIssue(
                            WriteErrorCode.BILL_PAYMENT_NOT_FOUND,
                            f"company {company_id} has no bill payment {payment_id!r}",
                            "billPaymentId",
                        )
                    ]
                )
            pushed = await self.client.delete_bill_payment(company_id, connection, payment.id)
            return Performed(pushed)

        return await self.writes.execute("deleteBillPayment", company_id, key, request, perform)

    # -- bill credit notes --------------------------------------------------------------------

    async def update_bill_credit_note(
        self, company_id: CompanyId, changes: CreditNoteChanges, key: str | None
    ) -> WriteOutcome:
        key = key or new_key()
        request = echo_of(changes)
        issues = check_required(changes.credit_note_id, "billCreditNoteId")
        if changes.line_items is not None:
            issues += check_lines(changes.line_items)
        issue_date = None
        if changes.issue_date is not None:
            try:
                issue_date = parse_codat_date(changes.issue_date, "issueDate")
            except WriteRefusedError as refused:
                issues += refused.issues
        if issues:
            return _refused(key, request, issues)

        async def perform() -> Performed:
            connection = await self.writes.connection(company_id)
            note = await self.fresh_credit_note(company_id, changes.credit_note_id)
            body = _updated_credit_note(note, changes, issue_date)
            pushed = await self.client.update_bill_credit_note(
                company_id,
                connection,
                note.id,
                body,
                idempotency_key=self.writes.codat_key(company_id, key, "updateBillCreditNote"),
            )
            return Performed(pushed, {"totalAmount": body.total_amount})

        return await self.writes.execute("updateBillCreditNote", company_id, key, request, perform)

    async def fresh_credit_note(self, company_id: CompanyId, note_id: str) -> BillCreditNote:
        try:
            note = await self.client.get_bill_credit_note(company_id, note_id)
        except CodatNotFound:
            note = None
        if note is None or (note.metadata and note.metadata.is_deleted):
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.CREDIT_NOTE_NOT_FOUND,
                        f"company {company_id} has no bill credit note {note_id!r}",
                        "billCreditNoteId",
                    )
                ]
            )
        return note

    # -- accounts -------------------------------------------------------------------------------

    async def create_account(
        self, company_id: CompanyId, draft: AccountDraft, key: str | None
    ) -> WriteOutcome:
        key = key or new_key()
        request = echo_of(draft)
        issues = check_required(draft.name, "name")
        if issues:
            return _refused(key, request, issues)

        async def perform() -> Performed:
            connection = await self.writes.connection(company_id)
            body = AccountInput(**asdict(draft))
            pushed = await self.client.create_account(
                company_id,
                connection,
                body,
                idempotency_key=self.writes.codat_key(company_id, key, "createAccount"),
            )
            return Performed(pushed)

        return await self.writes.execute("createAccount", company_id, key, request, perform)

    async def create_bank_account(
        self, company_id: CompanyId, draft: BankAccountDraft, key: str | None
    ) -> WriteOutcome:
        key = key or new_key()
        request = echo_of(draft)
        issues = [
            *check_required(draft.account_name, "accountName"),
            *check_required(draft.currency, "currency"),
            *check_non_negative(draft.overdraft_limit, "overdraftLimit"),
        ]
        if issues:
            return _refused(key, request, issues)

        async def perform() -> Performed:
            connection = await self.writes.connection(company_id)
            body = BankAccountInput(**asdict(draft))
            pushed = await self.client.create_bank_account(
                company_id,
                connection,
                body,
                idempotency_key=self.writes.codat_key(company_id, key, "createBankAccount"),
            )
            return Performed(pushed)

        return await self.writes.execute("createBankAccount", company_id, key, request, perform)


def _bad_platform(platform_key: str) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.INVALID_INPUT,
        f"platformKey {platform_key!r} is not a platform key: four lowercase letters, e.g. gbol",
        "platformKey",
    )


def _updated_credit_note(
    note: BillCreditNote, changes: CreditNoteChanges, issue_date: Any
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
