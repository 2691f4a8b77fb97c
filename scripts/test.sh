#!/usr/bin/env bash
# Installs everything (venv, packages, services) and runs the whole suite:
# ruff format check, ruff, mypy --strict, the schema drift check and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

# A Redis server scripts/services.sh starts for this run is stopped when the run ends (one that
# was already running is left alone: services.sh writes the pid file only when it starts one).
redis_pidfile=/tmp/gateway-tests-redis.pid
rm -f "$redis_pidfile"
stop_redis() {
  if [ -s "$redis_pidfile" ]; then
    kill "$(cat "$redis_pidfile")" 2>/dev/null || true
    rm -f "$redis_pidfile"
    echo "== stopped the redis-server this run started"
  fi
}
trap stop_redis EXIT
bash scripts/services.sh

echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== ruff check";          .venv/bin/ruff check .
echo "== import contracts";    .venv/bin/lint-imports --no-cache
echo "== mypy --strict";       .venv/bin/mypy --strict gateway schema sandbox tests bench
# Coverage of gateway, schema and sandbox is measured on every run and its table printed at the
# end (files at 100% left out). The fast loop: .venv/bin/pytest -m unit (see CONTRIBUTING.md).
echo "== pytest";              .venv/bin/pytest --cov --cov-report=term "$@"
