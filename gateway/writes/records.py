"""Writes of records: bills, suppliers, bill credit notes, bill attachments and data refreshes.

Each runs through `Writes.execute` (idempotency key, pre-flight checks, push, watch), like paying
a bill: the pure checks run first and answer without any call; then the checks that read Codat
(connection linked, supplier or record exists); only then the push. A push is watched until it
ends, and its success evicts what it changed; an attachment (Codat answers it with no push
operation) and a refresh announce their change on the bus themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import asdict, fields
from decimal import Decimal
from typing import Any

from gateway.codat.models import (
    Bill,
    BillCreditNoteInput,
    BillInput,
    DataType,
    PullOperation,
    Supplier,
    SupplierInput,
)
from gateway.codat.models.bills import PurchaseOrderRef
from gateway.codat.models.common import SupplementalData, SupplierRef, WithholdingTax
from gateway.codat.types import CodatDateTime, CompanyId
from gateway.writes.drafts import (
    AddressDraft,
    AttachmentUpload,
    BillChanges,
    BillDraft,
    CreditNoteDraft,
    SupplementalContent,
    SupplierChanges,
    SupplierDraft,
    WithholdingTaxDraft,
)
from gateway.writes.executor import Performed, WriteFamily, WriteOutcome, echo_of, read_existing
from gateway.writes.payments import (
    UNEDITABLE,
    LineDraft,
    WriteErrorCode,
    WriteIssue,
    WriteRefusedError,
    bill_lines,
    check_lines,
    check_non_negative,
    check_positive,
    check_required,
    credit_note_lines,
    line_totals,
    parse_codat_date,
)

ATTACHMENT_SCOPES = ("bills", "attachments")
TOTAL_WITHOUT_LINES = WriteIssue(
    WriteErrorCode.TOTALS_INCONSISTENT,
    "totalAmount follows from the lines: give lineItems to change it",
    "totalAmount",
)
NO_DATA_TYPES = WriteIssue(
    WriteErrorCode.FIELD_REQUIRED,
    "give at least one data type, or leave dataTypes out to refresh all",
    "dataTypes",
)


def _dates(**fields: str | None) -> tuple[dict[str, CodatDateTime | None], list[WriteIssue]]:
    parsed: dict[str, CodatDateTime | None] = {}
    issues: list[WriteIssue] = []
    for name, value in fields.items():
        try:
            parsed[name] = None if value is None else parse_codat_date(value, name)
        except WriteRefusedError as refused:
            issues += refused.issues
    return parsed, issues


def _extras_issues(
    withholding_tax: Sequence[WithholdingTaxDraft] | None,
    supplemental_data: SupplementalContent | None,
) -> list[WriteIssue]:
    """Codat's rules for a document's withholding tax (a name, an amount) and supplemental data
    (an object of objects)."""
    issues: list[WriteIssue] = []
    for index, tax in enumerate(withholding_tax or ()):
        at = f"withholdingTax[{index}]"
        issues += check_required(tax.name, f"{at}.name")
        issues += check_non_negative(tax.amount, f"{at}.amount")
    for name, value in (supplemental_data or {}).items():
        if not isinstance(value, dict):
            issues.append(
                WriteIssue(
                    WriteErrorCode.INVALID_INPUT,
                    f"supplementalData.content.{name} must be an object (Codat's content is an "
                    "object of objects)",
                    f"supplementalData.content.{name}",
                )
            )
    return issues


def _withholding(drafts: Sequence[WithholdingTaxDraft] | None) -> tuple[WithholdingTax, ...] | None:
    return None if drafts is None else tuple(WithholdingTax(**asdict(d)) for d in drafts)


def _supplemental(content: SupplementalContent | None) -> SupplementalData | None:
    return None if content is None else SupplementalData(content=content)


def _purchase_orders(draft: BillDraft | BillChanges) -> tuple[PurchaseOrderRef, ...] | None:
    refs = draft.purchase_order_refs
    return None if refs is None else tuple(PurchaseOrderRef(**asdict(r)) for r in refs)


def _new_document(draft: BillDraft | CreditNoteDraft) -> dict[str, Any]:
    """What a new bill and a new credit note take alike from their draft."""
    return {
        "supplier_ref": SupplierRef(id=draft.supplier_id),
        "currency": draft.currency,
        "currency_rate": draft.currency_rate,
        "withholding_tax": _withholding(draft.withholding_tax),
        "note": draft.note,
        "supplemental_data": _supplemental(draft.supplemental_data),
    }


def _document_issues(
    lines: Sequence[LineDraft] | None,
    total_amount: Decimal | None,
    currency_rate: Decimal | None = None,
) -> list[WriteIssue]:
    issues = [] if lines is None else check_lines(lines)
    issues += check_non_negative(total_amount, "totalAmount")
    issues += check_positive(
        currency_rate, "currencyRate", WriteErrorCode.CURRENCY_RATE_NOT_POSITIVE
    )
    if lines is not None and not issues:
        try:
            line_totals(lines, total_amount)
        except WriteRefusedError as refused:
            issues += refused.issues
    return issues


class RecordWrites(WriteFamily):
    """Creating and changing bills, suppliers and credit notes; attachments; refreshes."""

    # -- bills --------------------------------------------------------------------------------

    async def create_bill(
        self, company_id: CompanyId, draft: BillDraft, key: str | None
    ) -> WriteOutcome:
        dates, issues = _dates(issueDate=draft.issue_date, dueDate=draft.due_date)
        issues = [
            *check_required(draft.supplier_id, "supplierId"),
            *issues,
            *_document_issues(draft.line_items, draft.total_amount, draft.currency_rate),
            *_extras_issues(draft.withholding_tax, draft.supplemental_data),
        ]

        async def perform(codat_key: str) -> Performed:
            issue_date = dates["issueDate"]
            assert issue_date is not None  # required by the type of draft.issue_date
            totals = line_totals(draft.line_items, draft.total_amount)
            connection = await self.writes.connection(company_id)
            await self.writes.supplier_exists(company_id, draft.supplier_id)
            body = BillInput(
                **_new_document(draft),
                issue_date=issue_date,
                due_date=dates["dueDate"],
                status=draft.status,
                sub_total=totals.sub_total,
                tax_amount=totals.tax_amount,
                total_amount=totals.total_amount,
                amount_due=totals.total_amount,
                reference=draft.reference,
                purchase_order_refs=_purchase_orders(draft),
                line_items=bill_lines(draft.line_items),
            )
            pushed = await self.client.create_bill(
                company_id, connection, body, idempotency_key=codat_key
            )
            return Performed(pushed, {"totalAmount": totals.total_amount})

        request = echo_of(draft)
        return await self.writes.execute("createBill", company_id, key, request, perform, issues)

    async def update_bill(
        self, company_id: CompanyId, changes: BillChanges, key: str | None
    ) -> WriteOutcome:
        dates, issues = _dates(issueDate=changes.issue_date, dueDate=changes.due_date)
        issues = [
            *check_required(changes.bill_id, "billId"),
            *issues,
            *_document_issues(changes.line_items, changes.total_amount),
            *_extras_issues(changes.withholding_tax, changes.supplemental_data),
        ]
        if changes.supplier_id is not None:
            issues += check_required(changes.supplier_id, "supplierId")
        if changes.line_items is None and changes.total_amount is not None:
            issues.append(TOTAL_WITHOUT_LINES)

        async def perform(codat_key: str) -> Performed:
            connection = await self.writes.connection(company_id)
            checks: list[Awaitable[Any]] = [
                self.writes.fresh_bill(company_id, changes.bill_id, "billId")
            ]
            if changes.supplier_id is not None:
                checks.append(self.writes.supplier_exists(company_id, changes.supplier_id))
            found = await asyncio.gather(*checks)
            bill: Bill = found[0]
            if bill.status in UNEDITABLE:
                raise WriteRefusedError(
                    [
                        WriteIssue(
                            WriteErrorCode.BILL_NOT_EDITABLE,
                            f"bill {bill.reference or bill.id!r} is {bill.status.value}: "
                            "a paid or void bill cannot be changed",
                            "billId",
                        )
                    ]
                )
            body = _updated_bill(bill, changes, dates)
            pushed = await self.client.update_bill(
                company_id, connection, bill.id, body, idempotency_key=codat_key
            )
            return Performed(pushed, {"totalAmount": body.total_amount})

        request = echo_of(changes)
        return await self.writes.execute("updateBill", company_id, key, request, perform, issues)

    # -- suppliers ----------------------------------------------------------------------------

    async def create_supplier(
        self, company_id: CompanyId, draft: SupplierDraft, key: str | None
    ) -> WriteOutcome:
        issues = check_required(draft.supplier_name, "supplierName")
        return await self.writes.create_as_drafted(
            "createSupplier",
            company_id,
            key,
            draft,
            issues,
            SupplierInput,
            self.client.create_supplier,
        )

    async def update_supplier(
        self, company_id: CompanyId, changes: SupplierChanges, key: str | None
    ) -> WriteOutcome:
        issues = check_required(changes.supplier_id, "supplierId")
        if changes.supplier_name is not None:
            issues += check_required(changes.supplier_name, "supplierName")

        async def perform(codat_key: str) -> Performed:
            connection = await self.writes.connection(company_id)
            supplier = await read_existing(
                self.client.get_supplier(company_id, changes.supplier_id),
                WriteIssue(
                    WriteErrorCode.SUPPLIER_NOT_FOUND,
                    f"company {company_id} has no supplier {changes.supplier_id!r}",
                    "supplierId",
                ),
            )
            body = SupplierInput(**asdict(_merged_supplier(supplier, changes)))
            pushed = await self.client.update_supplier(
                company_id, connection, supplier.id, body, idempotency_key=codat_key
            )
            return Performed(pushed)

        return await self.writes.execute(
            "updateSupplier", company_id, key, echo_of(changes), perform, issues
        )

    # -- bill credit notes --------------------------------------------------------------------

    async def create_bill_credit_note(
        self, company_id: CompanyId, draft: CreditNoteDraft, key: str | None
    ) -> WriteOutcome:
        dates, issues = _dates(issueDate=draft.issue_date)
        issues = [
            *check_required(draft.supplier_id, "supplierId"),
            *issues,
            *_document_issues(draft.line_items, draft.total_amount, draft.currency_rate),
            *_extras_issues(draft.withholding_tax, draft.supplemental_data),
        ]

        async def perform(codat_key: str) -> Performed:
            totals = line_totals(draft.line_items, draft.total_amount)
            connection = await self.writes.connection(company_id)
            await self.writes.supplier_exists(company_id, draft.supplier_id)
            body = BillCreditNoteInput(
                **_new_document(draft),
                status=draft.status,
                total_amount=totals.total_amount,
                total_discount=sum((line.discount for line in draft.line_items), Decimal(0)),
                sub_total=totals.sub_total,
                total_tax_amount=totals.tax_amount,
                discount_percentage=Decimal(0),
                bill_credit_note_number=draft.bill_credit_note_number,
                remaining_credit=totals.total_amount,
                issue_date=dates["issueDate"],
                line_items=credit_note_lines(draft.line_items),
            )
            pushed = await self.client.create_bill_credit_note(
                company_id, connection, body, idempotency_key=codat_key
            )
            return Performed(pushed, {"totalAmount": totals.total_amount})

        return await self.writes.execute(
            "createBillCreditNote", company_id, key, echo_of(draft), perform, issues
        )

    # -- attachments --------------------------------------------------------------------------

    async def upload_bill_attachment(
        self, company_id: CompanyId, upload: AttachmentUpload, key: str | None
    ) -> WriteOutcome:
        """Attach a file to a bill. Codat answers with no push operation, so the change is
        announced on the bus once Codat took the file."""
        limit = self.writes.upload_max_bytes
        issues = [
            *check_required(upload.bill_id, "billId"),
            *check_required(upload.filename, "file"),
        ]
        if not upload.content:
            issues.append(WriteIssue(WriteErrorCode.FILE_EMPTY, "the file is empty", "file"))
        if len(upload.content) > limit:
            issues.append(
                WriteIssue(
                    WriteErrorCode.FILE_TOO_LARGE,
                    f"the file has {len(upload.content)} bytes; the limit is {limit} "
                    "(UPLOAD_MAX_BYTES)",
                    "file",
                )
            )

        async def perform(_codat_key: str) -> Performed:
            # Codat takes an attachment without an Idempotency-Key.
            connection = await self.writes.connection(company_id)
            await self.writes.fresh_bill(company_id, upload.bill_id, "billId")
            await self.client.upload_bill_attachment(
                company_id,
                connection,
                upload.bill_id,
                filename=upload.filename,
                content=upload.content,
                content_type=upload.content_type,
            )
            await self.writes.publish_change(company_id, ATTACHMENT_SCOPES)
            return Performed(None)

        request = upload.fingerprinted()
        return await self.writes.execute(
            "uploadBillAttachment", company_id, key, request, perform, issues
        )

    # -- refreshing -----------------------------------------------------------------------------

    async def refresh_company_data(
        self, company_id: CompanyId, data_types: Sequence[DataType] | None, key: str | None
    ) -> WriteOutcome:
        """Queue a sync of every data type (None) or of some; the datasets are in `extra`."""
        wanted = None if data_types is None else tuple(dict.fromkeys(data_types))
        issues = [NO_DATA_TYPES] if wanted is not None and not wanted else []

        async def perform(_codat_key: str) -> Performed:
            # Codat queues a refresh without an Idempotency-Key.
            connection = await self.writes.connection(company_id)
            if wanted is None:
                await self.client.refresh_all(company_id)
                return Performed(None, extra={"pullOperations": []})
            queued: list[PullOperation] = list(
                await asyncio.gather(
                    *(self.client.refresh_data_type(company_id, t, connection) for t in wanted)
                )
            )
            dumped = [p.model_dump(mode="json", by_alias=True) for p in queued]
            return Performed(None, extra={"pullOperations": dumped})

        request = {"dataTypes": None if wanted is None else [t.value for t in wanted]}
        return await self.writes.execute(
            "refreshCompanyData", company_id, key, request, perform, issues
        )


def pull_operations(outcome: WriteOutcome) -> list[PullOperation]:
    """The datasets a refresh queued (replayed ones too)."""
    stored = outcome.extra.get("pullOperations") or []
    return [PullOperation.model_validate(body) for body in stored]


def _updated_bill(
    bill: Bill, changes: BillChanges, dates: dict[str, CodatDateTime | None]
) -> BillInput:
    """The whole bill for Codat's PUT: the current one with the changes applied."""
    lines = bill.line_items
    sub_total, tax, total = bill.sub_total, bill.tax_amount, bill.total_amount
    if changes.line_items is not None:
        totals = line_totals(changes.line_items, changes.total_amount)
        lines = bill_lines(changes.line_items)
        sub_total, tax, total = totals.sub_total, totals.tax_amount, totals.total_amount
    paid = bill.total_amount - (
        bill.amount_due if bill.amount_due is not None else bill.total_amount
    )
    supplier = (
        SupplierRef(id=changes.supplier_id)
        if changes.supplier_id is not None
        else bill.supplier_ref or SupplierRef(id="")
    )
    return BillInput(
        supplier_ref=supplier,
        issue_date=dates["issueDate"] or bill.issue_date,
        due_date=dates["dueDate"] or bill.due_date,
        status=changes.status or bill.status,
        sub_total=sub_total,
        tax_amount=tax,
        total_amount=total,
        amount_due=max(total - paid, Decimal(0)),
        reference=changes.reference if changes.reference is not None else bill.reference,
        purchase_order_refs=_purchase_orders(changes)
        if changes.purchase_order_refs is not None
        else bill.purchase_order_refs,
        currency=bill.currency,
        currency_rate=bill.currency_rate,
        line_items=lines,
        withholding_tax=_withholding(changes.withholding_tax)
        if changes.withholding_tax is not None
        else bill.withholding_tax,
        note=changes.note if changes.note is not None else bill.note,
        supplemental_data=_supplemental(changes.supplemental_data) or bill.supplemental_data,
    )


def _merged_supplier(supplier: Supplier, changes: SupplierChanges) -> SupplierDraft:
    """The supplier as it is (each draft field from the supplier's of the same name), with the
    fields `changes` gives."""
    current = {f.name: getattr(supplier, f.name) for f in fields(SupplierDraft)}
    current["supplier_name"] = supplier.supplier_name or ""
    current["addresses"] = (
        None
        if supplier.addresses is None
        else tuple(AddressDraft(**a.model_dump()) for a in supplier.addresses)
    )
    given = {
        f.name: getattr(changes, f.name)
        for f in fields(changes)
        if f.name != "supplier_id" and getattr(changes, f.name) is not None
    }
    return SupplierDraft(**(current | given))
