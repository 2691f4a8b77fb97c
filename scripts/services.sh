#!/usr/bin/env bash
# Provides what the tests need outside Python. Installs with apt-get only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Redis on 127.0.0.1:6379 (the tests read REDIS_URL, defaulting to redis://127.0.0.1:6379/0).
redis_answers() {
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG
  else
    (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null
  fi
}

if ! redis_answers; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "== installing redis-server"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server
  fi
  echo "== starting redis-server on 127.0.0.1:6379"
  # Its pid file tells scripts/test.sh that this run started it (and so stops it at the end).
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
    --protected-mode yes --logfile /tmp/gateway-tests-redis.log --dir /tmp \
    --pidfile /tmp/gateway-tests-redis.pid
  for _ in $(seq 1 100); do
    if redis_answers; then break; fi
    sleep 0.1
  done
  redis_answers || { echo "redis-server did not answer on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "== redis on 127.0.0.1:6379"

# Headless Chromium (Debian's package) for the browser tests, and npm (GraphiQL's assets, which
# scripts/bootstrap.sh installs into web/, and Prism below).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
echo "== chromium at /usr/bin/chromium"
if [ ! -f web/node_modules/.package-lock.json ]; then bash scripts/bootstrap.sh; fi

# Stoplight Prism serving Codat's v1 spec, for the contract test (tests/contract_prism): the
# version pinned by its package-lock.json, from the npm registry.
prism_dir=tests/contract_prism
if [ ! -x "$prism_dir/node_modules/.bin/prism" ] \
  || [ "$prism_dir/package-lock.json" -nt "$prism_dir/node_modules/.package-lock.json" ]; then
  echo "== npm ci in $prism_dir (Prism)"
  npm ci --prefix "$prism_dir" --no-audit --no-fund
fi
echo "== prism $("$prism_dir/node_modules/.bin/prism" --version)"
