"""The lock files pin every dependency pyproject.toml names (scripts/lock.sh writes them)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match is not None, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _pinned(lock: Path) -> set[str]:
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names}


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(
    ("lock", "groups"),
    [("runtime.lock", ("otlp",)), ("dev.lock", ("dev", "otlp"))],
)
def test_every_dependency_is_pinned_with_hashes(lock: str, groups: tuple[str, ...]) -> None:
    path = ROOT / "requirements" / lock
    wanted = {_name(r) for r in PROJECT["dependencies"]}
    for group in groups:
        wanted |= {_name(r) for r in PROJECT["optional-dependencies"][group]}
    missing = wanted - _pinned(path)
    assert not missing, f"not in {lock}: {sorted(missing)}; run scripts/lock.sh"
    assert "--hash=sha256:" in path.read_text()
