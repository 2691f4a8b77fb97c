#!/usr/bin/env bash
# Creates the project venv (.venv) and installs the gateway with its dev tools from the lock file.
# Idempotent: reinstalls only when requirements/dev.lock or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python_bin="$candidate"; break; fi
  done
fi
[ -n "$python_bin" ] || { echo "bootstrap: Python 3.11+ is required" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $python_bin"
  "$python_bin" -m venv .venv
fi

# Exact versions with hashes from the lock (scripts/lock.sh writes it from pyproject.toml), then
# the project itself without resolving anything again.
stamp=.venv/.installed-$(cat requirements/dev.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing packages into .venv from requirements/dev.lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check 'pip==26.3'
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r requirements/dev.lock
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# GraphiQL's scripts and styles, served by the gateway from its own origin (gateway/edge/static.py):
# the versions pinned in web/package-lock.json, from the npm registry, integrity checked by npm ci.
# Without npm the GraphiQL page loads them from the CDN instead.
if [ ! -f web/node_modules/.package-lock.json ] \
  || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "bootstrap: npm ci in web/ (GraphiQL's assets)"
    npm ci --prefix web --no-audit --no-fund --loglevel=error
  else
    echo "bootstrap: npm not found: GraphiQL will load its scripts from a CDN (unpkg.com)" >&2
  fi
fi
