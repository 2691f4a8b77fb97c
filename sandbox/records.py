"""Record-level helpers shared by the seed and the API: Codat's date formats, ids, attachments."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

Record = dict[str, Any]


def codat_date(day: date) -> str:
    """A calendar date as Codat writes it, without a zone: 2026-11-03T00:00:00."""
    return f"{day.isoformat()}T00:00:00"


def codat_utc(moment: datetime) -> str:
    """A UTC instant as Codat writes modifiedDate: 2026-11-20T10:15:30Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def supplier_ref(supplier: Record) -> Record:
    """How a bill, credit note or payment points at its supplier."""
    return {"id": supplier["id"], "supplierName": supplier["supplierName"]}


@dataclass
class Attachment:
    """A bill attachment: its Attachment record and its bytes."""

    record: Record
    content: bytes


class Ids:
    """Deterministic UUIDs from a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def pdf_bytes(title: str, size: int) -> bytes:
    """A small, valid-looking PDF document padded to `size` bytes."""
    head = f"%PDF-1.4\n% {title}\n1 0 obj << /Type /Catalog >> endobj\n".encode()
    tail = b"\n%%EOF\n"
    return head + b"0" * max(0, size - len(head) - len(tail)) + tail
