"""The committed schema.graphql is exactly what the code builds."""

from __future__ import annotations

from pathlib import Path

from schema import build_schema

SDL_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_sdl_matches_the_schema() -> None:
    # given
    committed = SDL_PATH.read_text(encoding="utf-8")

    # when
    built = build_schema().as_str()

    # then
    assert committed.rstrip("\n") == built.rstrip("\n"), (
        "schema.graphql is out of date; regenerate it with `gateway print-schema -o schema.graphql`"
    )
