"""Push operations: Codat's asynchronous writes, with their validation messages and changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

import strawberry
from strawberry import relay

from gateway.codat import models
from gateway.codat.types import CodatDateTime, CompanyId
from schema.context import Info
from schema.enums import DataType, PushChangeType, PushOperationStatus, SyncState
from schema.errors import NotFoundError
from schema.ids import format_node_id, parse_node_id


@strawberry.type(description="The record a push operation changed.")
class PushOperationRecordRef:
    id: str | None
    data_type: DataType | None

    @classmethod
    def from_model(cls, model: models.PushOperationRecordRef) -> Self:
        return cls(id=model.id, data_type=model.data_type)


@strawberry.type(description="One change a push operation made.")
class PushOperationChange:
    type: PushChangeType
    record_ref: PushOperationRecordRef | None
    attachment_id: str | None

    @classmethod
    def from_model(cls, model: models.PushOperationChange) -> Self:
        return cls(
            type=model.type,
            record_ref=None
            if model.record_ref is None
            else PushOperationRecordRef.from_model(model.record_ref),
            attachment_id=model.attachment_id,
        )


@strawberry.type(description="A validation message from the accounting software or Codat.")
class ValidationItem:
    item_id: str | None
    message: str | None
    validator_name: str | None

    @classmethod
    def from_model(cls, model: models.ValidationItem) -> Self:
        return cls(
            item_id=model.item_id, message=model.message, validator_name=model.validator_name
        )


@strawberry.type(description="Why a push failed (errors) or what to look at (warnings).")
class PushValidation:
    errors: list[ValidationItem]
    warnings: list[ValidationItem]

    @classmethod
    def from_model(cls, model: models.PushValidation) -> Self:
        return cls(
            errors=[ValidationItem.from_model(item) for item in model.errors or ()],
            warnings=[ValidationItem.from_model(item) for item in model.warnings or ()],
        )


@strawberry.type(
    description="An asynchronous write: Pending until Codat reports Success, Failed or TimedOut."
)
class PushOperation(relay.Node):
    node_id: relay.NodeID[str]
    model: strawberry.Private[models.PushOperation]
    push_operation_key: str
    company_id: str
    data_connection_key: str
    data_type: DataType | None
    requested_on_utc: CodatDateTime
    completed_on_utc: CodatDateTime | None
    timeout_in_minutes: int | None
    timeout_in_seconds: int | None = strawberry.field(
        deprecation_reason="Codat deprecated it: use timeoutInMinutes."
    )
    status: PushOperationStatus
    error_message: str | None
    validation: PushValidation | None
    status_code: int = strawberry.field(description="The status the accounting software answered.")
    changes: list[PushOperationChange] | None
    sync_state: SyncState | None = strawberry.field(
        default=None,
        description=(
            "After Success: whether what the push changed can be read back yet. Codat does not "
            "put pushed records in its cache; the gateway refreshes the data types the push "
            "changed, and this turns UP_TO_DATE once Codat pulled them (REFRESH_FAILED if that "
            "pull failed). Set on pushOperation subscription updates; null elsewhere."
        ),
    )

    @classmethod
    def from_model(cls, model: models.PushOperation, sync: SyncState | None = None) -> Self:
        return cls(
            sync_state=sync,
            node_id=format_node_id(model.company_id, model.push_operation_key),
            model=model,
            push_operation_key=model.push_operation_key,
            company_id=model.company_id,
            data_connection_key=model.data_connection_key,
            data_type=model.data_type,
            requested_on_utc=model.requested_on_utc,
            completed_on_utc=model.completed_on_utc,
            timeout_in_minutes=model.timeout_in_minutes,
            timeout_in_seconds=model.timeout_in_seconds,
            status=model.status,
            error_message=model.error_message,
            validation=None
            if model.validation is None
            else PushValidation.from_model(model.validation),
            status_code=model.status_code,
            changes=None
            if model.changes is None
            else [PushOperationChange.from_model(change) for change in model.changes],
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        keys = [parse_node_id(node_id) for node_id in node_ids]
        loader = info.context.loaders.push_operations
        found = await loader.load_many([key.as_loader_key() for key in keys])
        nodes = [None if model is None else cls.from_model(model) for model in found]
        if required and None in nodes:
            raise NotFoundError("no such push operation")
        return nodes


async def load_push_operation(info: Info, company_id: CompanyId, key: str) -> PushOperation:
    """One push operation by key, or NotFoundError."""
    model = await info.context.loaders.push_operations.load((company_id, key))
    if model is None:
        raise NotFoundError(f"company {company_id} has no push operation {key}")
    return PushOperation.from_model(model)
