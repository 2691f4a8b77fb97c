"""Where Codat's published OpenAPI specs are: vendored in `specs/codat/` (provenance there)."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _find() -> Path:
    override = os.environ.get("CODAT_SPEC_DIR")
    found = Path(override) if override else _ROOT / "specs" / "codat"
    if not (found / "sync-for-payables-v1.json").is_file():
        raise RuntimeError(f"Codat's specs were not found in {found} (see specs/codat/README.md)")
    return found


SPEC_DIR = _find()
