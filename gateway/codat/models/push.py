"""Push (write) operations and the per-integration "options" that describe what a push accepts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, WrapValidator

from gateway.codat.models.base import CodatModel
from gateway.codat.models.bills import Bill, BillCreditNote
from gateway.codat.models.enums import DataType, PushChangeType, PushOperationStatus, PushOptionType
from gateway.codat.models.payments import BillPayment
from gateway.codat.models.suppliers import Supplier
from gateway.codat.types import CodatDateTime, CompanyId, ConnectionId


class PushOperationRecordRef(CodatModel):
    id: str | None = None
    data_type: DataType | None = None


class PushOperationChange(CodatModel):
    type: PushChangeType = PushChangeType.Unknown
    record_ref: PushOperationRecordRef | None = None
    attachment_id: str | None = None


class ValidationItem(CodatModel):
    item_id: str | None = None
    message: str | None = None
    validator_name: str | None = None


class PushValidation(CodatModel):
    errors: tuple[ValidationItem, ...] | None = None
    warnings: tuple[ValidationItem, ...] | None = None


class PushOperation(CodatModel):
    """An asynchronous write: `Pending` until Codat reports `Success`, `Failed` or `TimedOut`."""

    changes: tuple[PushOperationChange, ...] | None = None
    data_type: DataType | None = None
    company_id: CompanyId
    push_operation_key: str
    data_connection_key: ConnectionId
    requested_on_utc: CodatDateTime
    completed_on_utc: CodatDateTime | None = None
    timeout_in_minutes: int | None = None
    timeout_in_seconds: int | None = None
    status: PushOperationStatus
    error_message: str | None = None
    validation: PushValidation | None = None
    status_code: int


def _none_if_incomplete(
    value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
) -> Any:
    # Codat deprecated `data` and echoes whatever was pushed (often without an id), so it is kept
    # only when it is a complete record; the push operation itself must still parse.
    try:
        return handler(value)
    except ValidationError:
        return None


class BillPushOperation(PushOperation):
    """A push of a bill; `data` is Codat's (deprecated) echo of the record, when complete."""

    data: Annotated[Bill | None, WrapValidator(_none_if_incomplete)] = None


class BillPaymentPushOperation(PushOperation):
    data: Annotated[BillPayment | None, WrapValidator(_none_if_incomplete)] = None


class BillCreditNotePushOperation(PushOperation):
    data: Annotated[BillCreditNote | None, WrapValidator(_none_if_incomplete)] = None


class SupplierPushOperation(PushOperation):
    data: Annotated[Supplier | None, WrapValidator(_none_if_incomplete)] = None


class PushFieldValidation(CodatModel):
    field: str | None = None
    details: str
    ref: str | None = None


class PushValidationInfo(CodatModel):
    warnings: tuple[PushFieldValidation, ...] | None = None
    information: tuple[PushFieldValidation, ...] | None = None


class PushOptionChoice(CodatModel):
    value: str | None = None
    type: PushOptionType | None = None
    display_name: str | None = None
    description: str | None = None
    required: bool | None = None


class PushOption(CodatModel):
    """What an integration accepts for a push: a tree of properties, each with its own rules."""

    type: PushOptionType
    display_name: str
    description: str | None = None
    required: bool
    properties: dict[str, PushOption] | None = None
    options: tuple[PushOptionChoice, ...] | None = None
    validation: PushValidationInfo | None = None
