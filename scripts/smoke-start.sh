#!/usr/bin/env bash
# Starts the product as a new user would (`npm start` on a fresh data directory),
# checks /health, checks that a second start on the same directory is refused,
# stops it with SIGINT, and checks that a restart keeps the data.
set -euo pipefail
cd "$(dirname "$0")/.."
# Exactly the command of package.json's "start" script (without npm in between, so $pid is the server).
read -r -a start_cmd <<<"$(node -p "require('./package.json').scripts.start")"
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
log="$dir/start.log"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

start() { DATA_DIR="$dir/data" PORT=$port SMTP_PORT=0 OMNIDESK_ADMIN_TOKEN=smoke-admin-token-0123456789 "${start_cmd[@]}" >"$log" 2>&1 & pid=$!; }
wait_health() {
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "server exited"; return 1; }
    sleep 0.5
  done
  cat "$log"; echo "health never answered"; return 1
}

start; wait_health
grep -q "Omnidesk is running at" "$log" || { cat "$log"; echo "no start banner"; exit 1; }
auth=(-H "Authorization: Bearer smoke-admin-token-0123456789" -H 'content-type: application/json')
ws=$(curl -fsS "${auth[@]}" -d '{"name":"Smoke"}' "http://127.0.0.1:$port/api/v1/workspaces")
echo "$ws" | grep -q '"token"' || { echo "workspace creation failed: $ws"; exit 1; }

# A second process on the same data directory must refuse to start.
set +e
DATA_DIR="$dir/data" PORT=$((port + 1)) SMTP_PORT=0 "${start_cmd[@]}" >"$dir/second.log" 2>&1
code=$?
set -e
[ "$code" -ne 0 ] && grep -q "in use by another Omnidesk process" "$dir/second.log" || { cat "$dir/second.log"; echo "second start was not refused"; exit 1; }

kill -INT "$pid"; wait "$pid" || true; pid=
[ ! -f "$dir/data/omnidesk.lock" ] || { echo "lock file left behind after a clean stop"; exit 1; }

start; wait_health
curl -fsS "${auth[@]}" "http://127.0.0.1:$port/api/v1/auth/me" >/dev/null
token=$(echo "$ws" | sed -E 's/.*"token":"([^"]+)".*/\1/')
name=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/workspace")
echo "$name" | grep -q '"name":"Smoke"' || { echo "data lost across restart: $name"; exit 1; }
kill -INT "$pid"; wait "$pid" || true; pid=
echo "smoke: start, refuse second start, clean stop, restart with data kept: ok"
