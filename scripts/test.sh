#!/usr/bin/env bash
# Installs everything (venv, packages, services) and runs the whole suite:
# ruff format check, ruff, mypy --strict, the schema drift check and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/services.sh

echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== ruff check";          .venv/bin/ruff check .
echo "== mypy --strict";       .venv/bin/mypy --strict gateway schema sandbox tests bench
# Coverage of gateway, schema and sandbox is measured on every run and its table printed at the
# end (files at 100% left out). The fast loop: .venv/bin/pytest -m unit (see CONTRIBUTING.md).
echo "== pytest";              .venv/bin/pytest --cov --cov-report=term "$@"
