#!/usr/bin/env bash
# Provides what the tests need outside Python. Installs with apt-get only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
true
