#!/usr/bin/env bash
# Installs everything and starts the gateway. With no CODAT_API_KEY it runs against the built-in
# Codat sandbox: GraphiQL on http://127.0.0.1:8000/graphql.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/gateway serve "$@"
