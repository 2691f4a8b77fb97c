# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""What a connection answers besides itself: its bank accounts (with Codat's bank fields) and
the create/update models ("mapping options") of its software, for building forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Self

import strawberry

from gateway.codat import models
from gateway.codat.types import CodatDateTime
from schema.enums import AccountStatus, BankAccountType, PullOperationStatus, PushOptionType
from schema.types.base import FromModel, ModelType


@strawberry.type(
    description="A bank account as the connection's software keeps it (Codat's BankAccount)."
)
class ConnectionBankAccount(FromModel):
    codat_id: str | None = strawberry.field(
        description="Codat's id; the chart-of-accounts entry paying from it has the same id."
    )
    account_name: str | None
    account_type: BankAccountType
    nominal_code: str | None
    sort_code: str | None
    account_number: str | None
    iban: str | None
    currency: str | None
    balance: Decimal | None
    institution: str | None
    available_balance: Decimal | None
    overdraft_limit: Decimal | None
    status: AccountStatus
    modified_date: CodatDateTime | None
    source_modified_date: CodatDateTime | None

    @classmethod
    def from_model(cls, model: models.BankAccount) -> Self:
        return cls.build(model, codat_id=model.id, iban=model.i_ban)


@strawberry.type(description="One value a field may take.")
class AllowedValue(FromModel):
    value: str | None
    display_name: str | None
    description: str | None


@strawberry.type(description="One field of a create/update model: what the software requires.")
class MappingField(ModelType):
    path: str = strawberry.field(
        description="The field's dotted path in Codat's record, e.g. lineItems.accountRef.id "
        "(an array's item fields follow the array's name)."
    )
    type: PushOptionType
    display_name: str
    description: str | None
    required: bool
    allowed_values: list[AllowedValue] = strawberry.field(
        description="When not empty, the only values the software accepts (e.g. account ids)."
    )

    @classmethod
    def flatten(cls, prefix: str, properties: dict[str, models.PushOption] | None) -> list[Self]:
        """Every field of the model, nested ones after their parent, as one flat list."""
        found: list[Self] = []
        for name, model in (properties or {}).items():
            path = f"{prefix}{name}"
            allowed = [AllowedValue.from_model(option) for option in model.options or ()]
            found.append(cls.build(model, path=path, allowed_values=allowed))
            found += cls.flatten(f"{path}.", model.properties)
        return found


@strawberry.type(description="What the connection's software needs to create or update a record.")
class MappingOptions(ModelType):
    data_type: str
    display_name: str
    description: str | None
    fields: list[MappingField] = strawberry.field(
        description="Every field, flat (nested ones by dotted path), in the model's order."
    )
    warnings: list[str] = strawberry.field(description="Codat's validation warnings, as text.")
    information: list[str]

    @classmethod
    def from_model(cls, data_type: str, model: models.PushOption) -> Self:
        validation = model.validation
        return cls.build(
            model,
            data_type=data_type,
            fields=MappingField.flatten("", model.properties),
            warnings=[_note(w) for w in (validation.warnings or ())] if validation else [],
            information=[_note(i) for i in (validation.information or ())] if validation else [],
        )


def _note(item: models.PushFieldValidation) -> str:
    return f"{item.field}: {item.details}" if item.field else item.details


@strawberry.type(description="One fetch of one data type into Codat's cache (a pull operation).")
class Dataset(FromModel):
    id: strawberry.ID
    connection_id: str
    data_type: str
    status: PullOperationStatus
    status_description: str | None
    error_message: str | None
    requested: CodatDateTime
    completed: CodatDateTime | None
    progress: int
    is_completed: bool
    is_errored: bool
