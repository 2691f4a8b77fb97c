# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Mutations of onboarding and the less common payables writes: companies, connections,
deletes, credit-note updates, accounts and bank accounts (`gateway/writes/onboarding.py`).

Same shape as every write: one `input`, a payload with `pushOperation` (null where Codat answers
at once: companies and connections, which add `company` / `connection`), `idempotencyKey`,
`replayed`, `input` and typed `errors`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from gateway.codat import models
from gateway.writes.drafts import AccountDraft, BankAccountDraft, CompanyDraft, CreditNoteChanges
from gateway.writes.executor import WriteOutcome
from gateway.writes.onboarding import Onboarding
from schema.context import Info
from schema.enums import AccountStatus, AccountType, BankAccountType, BillCreditNoteStatus
from schema.ids import BILL_CREDIT_NOTE, record_id_from_argument
from schema.mutations import KEY, WritePayload, company, payload_fields, writes
from schema.record_mutations import DATES, BillCreditNoteLineInput, draft_from, lines
from schema.types.companies import Company
from schema.types.profile import DataConnection, Tag


def _onboarding(info: Info) -> Onboarding:
    return Onboarding(writes(info))


@strawberry.input(description="A company tag: Codat keeps tags as string pairs.")
class TagInput:
    key: str
    value: str


def _tags(tags: list[TagInput] | None) -> tuple[tuple[str, str], ...] | None:
    return None if tags is None else tuple((t.key, t.value) for t in tags)


@strawberry.input(
    description="Create a company (only a caller that may use every company can: see README)."
)
class CreateCompanyInput:
    name: str
    description: str | None = None
    tags: list[TagInput] | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Change a company; fields left out keep their value.")
class UpdateCompanyInput:
    company_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    tags: list[TagInput] | None = strawberry.field(
        default=None, description="Replaces every tag when given."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Delete a company and its connections (not reversible).")
class DeleteCompanyInput:
    company_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Connect a company to a platform; the end user links it at linkUrl.")
class CreateConnectionInput:
    company_id: strawberry.ID
    platform_key: str = strawberry.field(description="Codat's 4-letter key, e.g. gbol (Xero).")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="One connection of a company.")
class ConnectionInput:
    company_id: strawberry.ID
    connection_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Delete a bill (one with payments allocated is refused).")
class DeleteBillInput:
    company_id: strawberry.ID
    bill_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Delete (void) a bill payment; the bills it paid owe again.")
class DeleteBillPaymentInput:
    company_id: strawberry.ID
    bill_payment_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Change a bill credit note; fields left out keep their value.")
class UpdateBillCreditNoteInput:
    company_id: strawberry.ID
    bill_credit_note_id: strawberry.ID
    bill_credit_note_number: str | None = None
    issue_date: datetime | None = strawberry.field(default=None, description=DATES)
    status: BillCreditNoteStatus | None = None
    note: str | None = None
    line_items: list[BillCreditNoteLineInput] | None = strawberry.field(
        default=None, description="Replaces every line (and the totals) when given."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Create an account in the chart of accounts.")
class CreateAccountInput:
    company_id: strawberry.ID
    name: str
    type: AccountType
    fully_qualified_category: str | None = strawberry.field(
        default=None, description="e.g. Expense.Operating; see mappingOptions(CHART_OF_ACCOUNTS)."
    )
    nominal_code: str | None = None
    description: str | None = None
    currency: str | None = None
    status: AccountStatus | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Create a bank account in the company's software.")
class CreateBankAccountInput:
    company_id: strawberry.ID
    account_name: str
    account_type: BankAccountType
    currency: str
    nominal_code: str | None = None
    sort_code: str | None = None
    account_number: str | None = None
    iban: str | None = None
    institution: str | None = None
    overdraft_limit: Decimal | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type
class CreateCompanyPayload(WritePayload):
    company: Company | None


@strawberry.type
class UpdateCompanyPayload(WritePayload):
    company: Company | None


@strawberry.type
class DeleteCompanyPayload(WritePayload):
    pass


@strawberry.type
class CreateConnectionPayload(WritePayload):
    connection: DataConnection | None = strawberry.field(
        description="The new connection (PendingAuth); send the end user to its linkUrl."
    )


@strawberry.type
class UnlinkConnectionPayload(WritePayload):
    connection: DataConnection | None


@strawberry.type
class DeleteConnectionPayload(WritePayload):
    pass


@strawberry.type
class DeleteBillPayload(WritePayload):
    pass


@strawberry.type
class DeleteBillPaymentPayload(WritePayload):
    pass


@strawberry.type
class UpdateBillCreditNotePayload(WritePayload):
    pass


@strawberry.type
class CreateAccountPayload(WritePayload):
    pass


@strawberry.type
class CreateBankAccountPayload(WritePayload):
    pass


def _company(outcome: WriteOutcome) -> Company | None:
    body = outcome.extra.get("company")
    return None if body is None else Company.from_model(models.Company.model_validate(body))


def _connection(outcome: WriteOutcome, company_id: str) -> DataConnection | None:
    body = outcome.extra.get("connection")
    if body is None:
        return None
    return DataConnection.from_model(models.Connection.model_validate(body), company_id)


@strawberry.type
class OnboardingMutations:
    @strawberry.mutation(description="Create a company; connect it with createConnection.")
    async def create_company(self, info: Info, input: CreateCompanyInput) -> CreateCompanyPayload:
        draft = CompanyDraft(input.name, input.description, _tags(input.tags))
        outcome = await _onboarding(info).create_company(draft, input.idempotency_key)
        return CreateCompanyPayload(**payload_fields(outcome), company=_company(outcome))

    @strawberry.mutation(description="Change a company's name, description or tags.")
    async def update_company(self, info: Info, input: UpdateCompanyInput) -> UpdateCompanyPayload:
        draft = CompanyDraft(input.name, input.description, _tags(input.tags))
        outcome = await _onboarding(info).update_company(
            company(info, input.company_id), draft, input.idempotency_key
        )
        return UpdateCompanyPayload(**payload_fields(outcome), company=_company(outcome))

    @strawberry.mutation(description="Delete a company (not reversible).")
    async def delete_company(self, info: Info, input: DeleteCompanyInput) -> DeleteCompanyPayload:
        outcome = await _onboarding(info).delete_company(
            company(info, input.company_id), input.idempotency_key
        )
        return DeleteCompanyPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Create a connection to a platform; answers its linkUrl.")
    async def create_connection(
        self, info: Info, input: CreateConnectionInput
    ) -> CreateConnectionPayload:
        company_id = company(info, input.company_id)
        outcome = await _onboarding(info).create_connection(
            company_id, input.platform_key, input.idempotency_key
        )
        return CreateConnectionPayload(
            **payload_fields(outcome), connection=_connection(outcome, company_id)
        )

    @strawberry.mutation(description="Unlink (deauthorise) a connection without deleting it.")
    async def unlink_connection(
        self, info: Info, input: ConnectionInput
    ) -> UnlinkConnectionPayload:
        company_id = company(info, input.company_id)
        outcome = await _onboarding(info).unlink_connection(
            company_id, str(input.connection_id), input.idempotency_key
        )
        return UnlinkConnectionPayload(
            **payload_fields(outcome), connection=_connection(outcome, company_id)
        )

    @strawberry.mutation(description="Delete a connection (not reversible).")
    async def delete_connection(
        self, info: Info, input: ConnectionInput
    ) -> DeleteConnectionPayload:
        outcome = await _onboarding(info).delete_connection(
            company(info, input.company_id), str(input.connection_id), input.idempotency_key
        )
        return DeleteConnectionPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Delete a bill from the company's software (a push).")
    async def delete_bill(self, info: Info, input: DeleteBillInput) -> DeleteBillPayload:
        outcome = await _onboarding(info).delete_bill(
            company(info, input.company_id), str(input.bill_id), input.idempotency_key
        )
        return DeleteBillPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Delete (void) a bill payment (a push).")
    async def delete_bill_payment(
        self, info: Info, input: DeleteBillPaymentInput
    ) -> DeleteBillPaymentPayload:
        outcome = await _onboarding(info).delete_bill_payment(
            company(info, input.company_id), str(input.bill_payment_id), input.idempotency_key
        )
        return DeleteBillPaymentPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Change a bill credit note; totals follow from its lines.")
    async def update_bill_credit_note(
        self, info: Info, input: UpdateBillCreditNoteInput
    ) -> UpdateBillCreditNotePayload:
        company_id = company(info, input.company_id)
        changes = draft_from(
            input,
            CreditNoteChanges,
            credit_note_id=record_id_from_argument(
                input.bill_credit_note_id, company_id, *BILL_CREDIT_NOTE
            ),
            issue_date=None if input.issue_date is None else input.issue_date.isoformat(),
            line_items=lines(input.line_items, company_id),
        )
        outcome = await _onboarding(info).update_bill_credit_note(
            company_id, changes, input.idempotency_key
        )
        return UpdateBillCreditNotePayload(**payload_fields(outcome))

    @strawberry.mutation(description="Create an account in the chart of accounts (a push).")
    async def create_account(self, info: Info, input: CreateAccountInput) -> CreateAccountPayload:
        draft = draft_from(input, AccountDraft)
        outcome = await _onboarding(info).create_account(
            company(info, input.company_id), draft, input.idempotency_key
        )
        return CreateAccountPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Create a bank account (a push); pay bills from it after.")
    async def create_bank_account(
        self, info: Info, input: CreateBankAccountInput
    ) -> CreateBankAccountPayload:
        draft = draft_from(input, BankAccountDraft, i_ban=input.iban)
        outcome = await _onboarding(info).create_bank_account(
            company(info, input.company_id), draft, input.idempotency_key
        )
        return CreateBankAccountPayload(**payload_fields(outcome))


__all__ = ["OnboardingMutations", "Tag"]
