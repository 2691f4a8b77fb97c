"""The two model bases: frozen read models of Codat payloads, and strict write bodies."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from gateway.codat import _json


class CodatModel(BaseModel):
    """A payload read from Codat: frozen, camelCase on the wire, snake_case in Python.

    `extra="ignore"`: Codat adds fields over time and a new field must not break parsing; keeping
    unknown fields (`"allow"`) would carry unvalidated raw JSON out of the client, which the
    gateway's layering forbids, so they are dropped.
    """

    model_config = ConfigDict(
        frozen=True, populate_by_name=True, alias_generator=to_camel, extra="ignore"
    )

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        """Parse a body with money as Decimal (pydantic's own JSON parser goes through float)."""
        return cls.model_validate(_json.loads(data))


class WriteModel(BaseModel):
    """A body we push to Codat: frozen, and `extra="forbid"` so a misspelt field fails here."""

    model_config = ConfigDict(
        frozen=True, populate_by_name=True, alias_generator=to_camel, extra="forbid"
    )

    def to_json(self) -> bytes:
        """camelCase keys, no nulls (Codat reads a null as "clear this"), Decimals as numbers."""
        return _json.dumps(self.model_dump(mode="python", by_alias=True, exclude_none=True))
