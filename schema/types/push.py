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
from schema.types.base import FromModel, converted, nested


@strawberry.type(description="The record a push operation changed.")
class PushOperationRecordRef(FromModel):
    id: str | None
    data_type: DataType | None


@strawberry.type(description="One change a push operation made.")
class PushOperationChange(FromModel):
    type: PushChangeType
    record_ref: PushOperationRecordRef | None = nested(PushOperationRecordRef)
    attachment_id: str | None


@strawberry.type(description="A validation message from the accounting software or Codat.")
class ValidationItem(FromModel):
    item_id: str | None
    message: str | None
    validator_name: str | None


def _items(items: Iterable[models.ValidationItem] | None) -> list[ValidationItem]:
    return [ValidationItem.from_model(item) for item in items or ()]


@strawberry.type(description="Why a push failed (errors) or what to look at (warnings).")
class PushValidation(FromModel):
    errors: list[ValidationItem] = converted(_items)
    warnings: list[ValidationItem] = converted(_items)


@strawberry.type(
    description="An asynchronous write: Pending until Codat reports Success, Failed or TimedOut."
)
class PushOperation(FromModel, relay.Node):
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
    validation: PushValidation | None = nested(PushValidation)
    status_code: int = strawberry.field(description="The status the accounting software answered.")
    changes: list[PushOperationChange] | None = nested(PushOperationChange)
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
        node_id = format_node_id(model.company_id, model.push_operation_key)
        return cls.build(model, node_id=node_id, sync_state=sync)

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
