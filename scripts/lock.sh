#!/usr/bin/env bash
# Regenerates the lock files from pyproject.toml (run after changing a dependency, then commit):
#   requirements/runtime.lock  what the gateway needs (the Dockerfile installs it)
#   requirements/dev.lock      that plus the dev tools (README's commands and CI install it)
# Exact versions with hashes for every platform, for Python 3.11, so an install is reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/uv ] || .venv/bin/python -m pip install --quiet --disable-pip-version-check 'uv==0.13.9'
common=(--python-version 3.11 --generate-hashes --no-header --quiet --universal)
.venv/bin/uv pip compile pyproject.toml "${common[@]}" --extra otlp -o requirements/runtime.lock
.venv/bin/uv pip compile pyproject.toml "${common[@]}" --extra dev --extra otlp -o requirements/dev.lock
echo "lock: requirements/runtime.lock and requirements/dev.lock written"
