"""Codat bodies that break Codat's spec, as typed errors naming the data type, record and field.

Pydantic's `ValidationError` never leaves the client: a record without a required field (Prism's
example bill payment has no `id` and no `date`) is a `CodatInvalidRecord`, which the schema maps
to `UPSTREAM_INVALID_RESPONSE` on the field that read it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.codat.errors import CodatInvalidRecord

M = TypeVar("M", bound=BaseModel)

_FIELDS_SHOWN = 5


def record_label(data: Any, *, index: int | None = None, record_id: str | None = None) -> str:
    """How an error names a record: its id when it has one, else its position in the page."""
    if record_id:
        return record_id
    if isinstance(data, dict):
        value = data.get("id")
        if isinstance(value, str) and value:
            return value
    return f"#{index}" if index is not None else "(the record)"


def failing_fields(error: ValidationError) -> list[str]:
    """The dotted paths of the fields that failed, in Codat's camelCase, first failure first."""
    paths: list[str] = []
    for detail in error.errors():
        path = ".".join(str(part) for part in detail["loc"]) or "(the record itself)"
        if path not in paths:
            paths.append(path)
    return paths


def validate_record(
    model: type[M],
    data: Any,
    *,
    data_type: str | None,
    company_id: str | None = None,
    index: int | None = None,
    record_id: str | None = None,
) -> M:
    """`model.model_validate(data)`, or a `CodatInvalidRecord` saying which record and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        label = record_label(data, index=index, record_id=record_id)
        raise invalid_record(exc, label, data_type=data_type, company_id=company_id) from exc


def invalid_record(
    error: ValidationError, label: str, *, data_type: str | None, company_id: str | None
) -> CodatInvalidRecord:
    """The error for a record (named `label`) that failed its model's validation."""
    fields = failing_fields(error)
    first = error.errors()[0] if error.errors() else None
    problem = first["msg"] if first is not None else "invalid"
    shown = ", ".join(fields[:_FIELDS_SHOWN]) + (" ..." if len(fields) > _FIELDS_SHOWN else "")
    what = data_type or "a"
    return CodatInvalidRecord(
        f"Codat sent {what} record {label} that breaks Codat's spec: "
        f"field {fields[0] if fields else '?'}: {problem} (failing fields: {shown})",
        data_type=data_type,
        record=label,
        field=fields[0] if fields else None,
        company_id=company_id,
    )
