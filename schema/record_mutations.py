# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""Mutations of records: bills, suppliers, bill credit notes, attachments, data refreshes.

Same shape as paying bills (`schema/mutations.py`): one Relay-style `input`, a payload with
`pushOperation`, `idempotencyKey`, `replayed`, `input` and typed `errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from gateway.codat.types import CompanyId
from gateway.writes.drafts import (
    AddressDraft,
    AttachmentUpload,
    BillChanges,
    BillDraft,
    CreditNoteDraft,
    PurchaseOrderRefDraft,
    SupplementalContent,
    SupplierChanges,
    SupplierDraft,
    WithholdingTaxDraft,
)
from gateway.writes.executor import WriteOutcome
from gateway.writes.payments import LineDraft, RefDraft, TrackingDraft
from gateway.writes.records import RecordWrites, pull_operations
from schema.context import Info
from schema.enums import (
    AddressType,
    BillCreditNoteStatus,
    BilledToType,
    BillStatus,
    DataType,
    PullOperationStatus,
    SupplierStatus,
)
from schema.errors import UserInputError
from schema.ids import (
    ACCOUNT,
    BILL,
    SUPPLIER,
    TAX_RATE,
    TRACKING_CATEGORY,
    optional_record_id,
    record_id_from_argument,
)
from schema.mutations import KEY, WritePayload, company, payload_fields, writes

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

UPLOAD_CHUNK = 64 * 1024


def _records(info: Info) -> RecordWrites:
    return RecordWrites(writes(info))


Draft = TypeVar("Draft", bound="DataclassInstance")


def draft_from(input: object, draft: type[Draft], **converted: Any) -> Draft:
    """`draft` with each field as the input gave the field of the same name, but for the
    `converted` ones (ids resolved, dates as text, nested inputs as drafts)."""
    given = {f.name: getattr(input, f.name) for f in fields(draft) if f.name not in converted}
    return draft(**given, **converted)


def _addresses(addresses: list[AddressInput] | None) -> tuple[AddressDraft, ...] | None:
    return None if addresses is None else tuple(a.draft() for a in addresses)


DATES = (
    "A DateTime: an ISO-8601 date-time (zone optional) or a plain YYYY-MM-DD date, which means "
    "midnight; sent to Codat as a date-time."
)


@strawberry.input(description="A reference to another record: its id and, optionally, its name.")
class RecordRefInput:
    id: strawberry.ID
    name: str | None = None

    def draft(self, company_id: CompanyId | None = None, *type_names: str) -> RefDraft:
        if company_id is None or not type_names:
            return RefDraft(str(self.id), self.name)
        return RefDraft(record_id_from_argument(self.id, company_id, *type_names), self.name)


def _refs(refs: list[RecordRefInput] | None, company_id: CompanyId) -> tuple[RefDraft, ...] | None:
    """Tracking category references (global ids of TrackingCategory, or Codat's ids)."""
    if refs is None:
        return None
    return tuple(ref.draft(company_id, *TRACKING_CATEGORY) for ref in refs)


@strawberry.input(
    description="How a line is tracked (Codat's `tracking`): categories, and whom its cost is "
    "rebilled to (a customer or a project)."
)
class TrackingInput:
    category_refs: list[RecordRefInput]
    is_billed_to: BilledToType = BilledToType.NotApplicable
    is_rebilled_to: BilledToType = BilledToType.NotApplicable
    customer_ref: RecordRefInput | None = strawberry.field(
        default=None, description="The customer (its name is Codat's companyName)."
    )
    project_ref: RecordRefInput | None = None

    def draft(self, company_id: CompanyId) -> TrackingDraft:
        return TrackingDraft(
            category_refs=_refs(self.category_refs, company_id) or (),
            customer_ref=None if self.customer_ref is None else self.customer_ref.draft(),
            project_ref=None if self.project_ref is None else self.project_ref.draft(),
            is_billed_to=self.is_billed_to,
            is_rebilled_to=self.is_rebilled_to,
        )


@strawberry.input(
    description="One line of a bill credit note; totals follow from the lines (Codat's "
    "billCreditNoteLineItem)."
)
class BillCreditNoteLineInput:
    unit_amount: Decimal
    quantity: Decimal = Decimal(1)
    tax_amount: Decimal = Decimal(0)
    discount_amount: Decimal = Decimal(0)
    description: str | None = None
    account_id: strawberry.ID | None = None
    tax_rate_id: strawberry.ID | None = None
    unit_of_measurement: str | None = None
    discount_percentage: Decimal | None = strawberry.field(
        default=None,
        description="Sent as given; with no discountAmount the line is discounted by it.",
    )
    item_ref: RecordRefInput | None = None
    tracking_category_refs: list[RecordRefInput] | None = strawberry.field(
        default=None, deprecation_reason="Codat deprecated it on credit-note lines: use tracking."
    )
    tracking: TrackingInput | None = None

    def draft(self, company_id: CompanyId) -> LineDraft:
        return draft_from(
            self,
            LineDraft,
            account_id=optional_record_id(self.account_id, company_id, *ACCOUNT),
            tax_rate_id=optional_record_id(self.tax_rate_id, company_id, *TAX_RATE),
            item_ref=None if self.item_ref is None else self.item_ref.draft(),
            tracking_category_refs=_refs(self.tracking_category_refs, company_id),
            tracking=None if self.tracking is None else self.tracking.draft(company_id),
            is_direct_cost=None,  # bill lines only: DocumentLineInput
        )


@strawberry.input(
    description="One line of a bill; totals follow from the lines (Codat's billLineItem)."
)
class DocumentLineInput(BillCreditNoteLineInput):
    tracking_category_refs: list[RecordRefInput] | None = None
    is_direct_cost: bool | None = None

    def draft(self, company_id: CompanyId) -> LineDraft:
        return replace(super().draft(company_id), is_direct_cost=self.is_direct_cost)


@strawberry.input(description="A purchase order a bill is for.")
class PurchaseOrderRefInput:
    id: strawberry.ID | None = None
    purchase_order_number: str | None = None

    def draft(self) -> PurchaseOrderRefDraft:
        return PurchaseOrderRefDraft(
            None if self.id is None else str(self.id), self.purchase_order_number
        )


@strawberry.input(description="Tax withheld from a bill or credit note.")
class WithholdingTaxInput:
    name: str
    amount: Decimal

    def draft(self) -> WithholdingTaxDraft:
        return WithholdingTaxDraft(self.name, self.amount)


@strawberry.input(
    description="Fields the integration supports beyond Codat's model (Codat's supplementalData)."
)
class SupplementalDataInput:
    content: JSON = strawberry.field(
        description="An object of objects, keyed as the integration's supplemental data "
        "configuration names them."
    )


@strawberry.input(description="A supplier's address.")
class AddressInput:
    type: AddressType
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    postal_code: str | None = None

    def draft(self) -> AddressDraft:
        return AddressDraft(
            self.type,
            self.line1,
            self.line2,
            self.city,
            self.region,
            self.country,
            self.postal_code,
        )


def _withholding(taxes: list[WithholdingTaxInput] | None) -> tuple[WithholdingTaxDraft, ...] | None:
    return None if taxes is None else tuple(t.draft() for t in taxes)


def _purchase_orders(
    refs: list[PurchaseOrderRefInput] | None,
) -> tuple[PurchaseOrderRefDraft, ...] | None:
    return None if refs is None else tuple(r.draft() for r in refs)


def _supplemental(data: SupplementalDataInput | None) -> SupplementalContent | None:
    if data is None:
        return None
    if not isinstance(data.content, dict):
        raise UserInputError("supplementalData.content must be an object of objects")
    return dict(data.content)


def _date(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def lines(
    inputs: Sequence[BillCreditNoteLineInput] | None, company_id: CompanyId
) -> tuple[LineDraft, ...] | None:
    return None if inputs is None else tuple(line.draft(company_id) for line in inputs)


def _document_extras(
    input: CreateBillInput | UpdateBillInput | CreateBillCreditNoteInput,
) -> dict[str, Any]:
    """What a bill and a credit note take beyond Codat's usual fields, as drafts."""
    return {
        "withholding_tax": _withholding(input.withholding_tax),
        "supplemental_data": _supplemental(input.supplemental_data),
    }


TOTAL = "Optional check: refused (TOTALS_INCONSISTENT) unless the lines add up to it."


@strawberry.input(description="Create a bill from a supplier.")
class CreateBillInput:
    company_id: strawberry.ID
    supplier_id: strawberry.ID
    issue_date: datetime = strawberry.field(description=DATES)
    line_items: list[DocumentLineInput]
    due_date: datetime | None = strawberry.field(default=None, description=DATES)
    status: BillStatus = BillStatus.Open
    currency: str | None = None
    currency_rate: Decimal | None = None
    reference: str | None = None
    note: str | None = None
    total_amount: Decimal | None = strawberry.field(default=None, description=TOTAL)
    purchase_order_refs: list[PurchaseOrderRefInput] | None = None
    withholding_tax: list[WithholdingTaxInput] | None = None
    supplemental_data: SupplementalDataInput | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Change a bill; fields left out keep their value.")
class UpdateBillInput:
    company_id: strawberry.ID
    bill_id: strawberry.ID
    supplier_id: strawberry.ID | None = None
    issue_date: datetime | None = strawberry.field(default=None, description=DATES)
    due_date: datetime | None = strawberry.field(default=None, description=DATES)
    status: BillStatus | None = None
    reference: str | None = None
    note: str | None = None
    line_items: list[DocumentLineInput] | None = strawberry.field(
        default=None, description="Replaces every line (and the totals) when given."
    )
    total_amount: Decimal | None = strawberry.field(default=None, description=TOTAL)
    purchase_order_refs: list[PurchaseOrderRefInput] | None = strawberry.field(
        default=None, description="Replaces the purchase orders when given."
    )
    withholding_tax: list[WithholdingTaxInput] | None = strawberry.field(
        default=None, description="Replaces the withholding tax when given."
    )
    supplemental_data: SupplementalDataInput | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Create a supplier.")
class CreateSupplierInput:
    company_id: strawberry.ID
    supplier_name: str
    status: SupplierStatus = SupplierStatus.Active
    contact_name: str | None = None
    email_address: str | None = None
    phone: str | None = None
    registration_number: str | None = None
    tax_number: str | None = None
    default_currency: str | None = None
    addresses: list[AddressInput] | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Change a supplier; fields left out keep their value.")
class UpdateSupplierInput:
    company_id: strawberry.ID
    supplier_id: strawberry.ID
    supplier_name: str | None = None
    status: SupplierStatus | None = None
    contact_name: str | None = None
    email_address: str | None = None
    phone: str | None = None
    registration_number: str | None = None
    tax_number: str | None = None
    default_currency: str | None = None
    addresses: list[AddressInput] | None = strawberry.field(
        default=None, description="Replaces the addresses when given."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Create a bill credit note from a supplier.")
class CreateBillCreditNoteInput:
    company_id: strawberry.ID
    supplier_id: strawberry.ID
    line_items: list[BillCreditNoteLineInput]
    issue_date: datetime | None = strawberry.field(default=None, description=DATES)
    status: BillCreditNoteStatus = BillCreditNoteStatus.Submitted
    currency: str | None = None
    currency_rate: Decimal | None = None
    bill_credit_note_number: str | None = None
    note: str | None = None
    total_amount: Decimal | None = strawberry.field(default=None, description=TOTAL)
    withholding_tax: list[WithholdingTaxInput] | None = None
    supplemental_data: SupplementalDataInput | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(
    description="Attach a file to a bill (GraphQL multipart request; at most UPLOAD_MAX_BYTES)."
)
class UploadBillAttachmentInput:
    company_id: strawberry.ID
    bill_id: strawberry.ID
    file: Upload
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input(description="Ask Codat to fetch fresh data from the company's software.")
class RefreshCompanyDataInput:
    company_id: strawberry.ID
    data_types: list[DataType] | None = strawberry.field(
        default=None, description="Left out: every data type set to sync."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type
class CreateBillPayload(WritePayload):
    pass


@strawberry.type
class UpdateBillPayload(WritePayload):
    pass


@strawberry.type
class CreateSupplierPayload(WritePayload):
    pass


@strawberry.type
class UpdateSupplierPayload(WritePayload):
    pass


@strawberry.type
class CreateBillCreditNotePayload(WritePayload):
    pass


@strawberry.type(description="Codat answers an attachment with no push operation.")
class UploadBillAttachmentPayload(WritePayload):
    pass


@strawberry.type(description="A queued fetch of one data type (a Codat pull operation).")
class DataRefresh:
    id: strawberry.ID
    data_type: DataType
    status: PullOperationStatus
    requested: datetime | None


@strawberry.type
class RefreshCompanyDataPayload(WritePayload):
    accepted: bool = strawberry.field(description="Codat queued the refresh.")
    pull_operations: list[DataRefresh] = strawberry.field(
        description="One per data type asked for; empty when every data type was refreshed."
    )


def _refresh_fields(outcome: WriteOutcome) -> dict[str, Any]:
    return {
        "accepted": not outcome.issues,
        "pull_operations": [
            DataRefresh(
                id=strawberry.ID(p.id),
                data_type=DataType(p.data_type),
                status=p.status,
                requested=_when(p.requested),
            )
            for p in pull_operations(outcome)
        ],
    }


def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


async def _read_capped(file: Upload, limit: int) -> bytes:
    """At most `limit + 1` bytes: enough to tell a file over the limit without holding it all."""
    # Strawberry types Upload as bytes; over HTTP it is the framework's UploadFile.
    reader: Any = file
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk: bytes = await reader.read(min(UPLOAD_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        await reader.close()  # its spooled temporary file; the request does not close it
    return b"".join(chunks)


@strawberry.type
class RecordMutations:
    @strawberry.mutation(description="Create a bill; its totals follow from its lines.")
    async def create_bill(self, info: Info, input: CreateBillInput) -> CreateBillPayload:
        company_id = company(info, input.company_id)
        draft = draft_from(
            input,
            BillDraft,
            supplier_id=record_id_from_argument(input.supplier_id, company_id, *SUPPLIER),
            issue_date=input.issue_date.isoformat(),
            line_items=lines(input.line_items, company_id),
            due_date=_date(input.due_date),
            purchase_order_refs=_purchase_orders(input.purchase_order_refs),
            **_document_extras(input),
        )
        outcome = await _records(info).create_bill(company_id, draft, input.idempotency_key)
        return CreateBillPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Change a bill (not a paid or void one).")
    async def update_bill(self, info: Info, input: UpdateBillInput) -> UpdateBillPayload:
        company_id = company(info, input.company_id)
        changes = draft_from(
            input,
            BillChanges,
            bill_id=record_id_from_argument(input.bill_id, company_id, *BILL),
            supplier_id=optional_record_id(input.supplier_id, company_id, *SUPPLIER),
            issue_date=_date(input.issue_date),
            due_date=_date(input.due_date),
            line_items=lines(input.line_items, company_id),
            purchase_order_refs=_purchase_orders(input.purchase_order_refs),
            **_document_extras(input),
        )
        outcome = await _records(info).update_bill(company_id, changes, input.idempotency_key)
        return UpdateBillPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Create a supplier.")
    async def create_supplier(
        self, info: Info, input: CreateSupplierInput
    ) -> CreateSupplierPayload:
        draft = draft_from(input, SupplierDraft, addresses=_addresses(input.addresses))
        outcome = await _records(info).create_supplier(
            company(info, input.company_id), draft, input.idempotency_key
        )
        return CreateSupplierPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Change a supplier.")
    async def update_supplier(
        self, info: Info, input: UpdateSupplierInput
    ) -> UpdateSupplierPayload:
        company_id = company(info, input.company_id)
        changes = draft_from(
            input,
            SupplierChanges,
            supplier_id=record_id_from_argument(input.supplier_id, company_id, *SUPPLIER),
            addresses=_addresses(input.addresses),
        )
        outcome = await _records(info).update_supplier(company_id, changes, input.idempotency_key)
        return UpdateSupplierPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Create a bill credit note; its totals follow from its lines.")
    async def create_bill_credit_note(
        self, info: Info, input: CreateBillCreditNoteInput
    ) -> CreateBillCreditNotePayload:
        company_id = company(info, input.company_id)
        draft = draft_from(
            input,
            CreditNoteDraft,
            supplier_id=record_id_from_argument(input.supplier_id, company_id, *SUPPLIER),
            line_items=lines(input.line_items, company_id),
            issue_date=_date(input.issue_date),
            **_document_extras(input),
        )
        outcome = await _records(info).create_bill_credit_note(
            company_id, draft, input.idempotency_key
        )
        return CreateBillCreditNotePayload(**payload_fields(outcome))

    @strawberry.mutation(description="Attach a file to a bill (a GraphQL multipart upload).")
    async def upload_bill_attachment(
        self, info: Info, input: UploadBillAttachmentInput
    ) -> UploadBillAttachmentPayload:
        records = _records(info)
        company_id = company(info, input.company_id)
        content = await _read_capped(input.file, records.writes.upload_max_bytes)
        upload = AttachmentUpload(
            bill_id=record_id_from_argument(input.bill_id, company_id, *BILL),
            filename=getattr(input.file, "filename", None) or "attachment",
            content_type=getattr(input.file, "content_type", None) or "application/octet-stream",
            content=content,
        )
        outcome = await records.upload_bill_attachment(company_id, upload, input.idempotency_key)
        return UploadBillAttachmentPayload(**payload_fields(outcome))

    @strawberry.mutation(description="Queue a fetch of all or some of a company's data types.")
    async def refresh_company_data(
        self, info: Info, input: RefreshCompanyDataInput
    ) -> RefreshCompanyDataPayload:
        outcome = await _records(info).refresh_company_data(
            company(info, input.company_id), input.data_types, input.idempotency_key
        )
        return RefreshCompanyDataPayload(**payload_fields(outcome), **_refresh_fields(outcome))
