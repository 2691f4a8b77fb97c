"""Where Codat's published OpenAPI specs are: `shared/codat/` beside the repository's folder."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _find() -> Path:
    candidates = [
        os.environ.get("CODAT_SPEC_DIR"),
        _ROOT.parent / "shared" / "codat",
        "/work/shared/codat",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "sync-for-payables-v1.json").is_file():
            return Path(candidate)
    raise RuntimeError(
        "Codat's specs were not found: put shared/codat beside the repository or set CODAT_SPEC_DIR"
    )


SPEC_DIR = _find()
