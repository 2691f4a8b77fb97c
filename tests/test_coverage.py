"""The README's coverage table is exactly what scripts/coverage.py generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coverage_table", ROOT / "scripts/coverage.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_coverage_table_matches_the_spec_client_and_schema() -> None:
    script = _script()
    readme = (ROOT / "README.md").read_text()
    assert script.section(readme) == script.render(), (
        "README.md's coverage table is out of date: run `python scripts/coverage.py --write`"
    )


def test_every_v1_operation_is_accounted_for() -> None:
    script = _script()
    assert {op for _, _, op in script.operations()} == set(script.REACHED)
