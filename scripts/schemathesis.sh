#!/usr/bin/env bash
# Fuzz every operation of the OpenAPI document against a live demo service, anonymously and as the demo
# admin, grid worker and a resident (bound by the demo invitation code), failing on any 5xx response. The database is a fresh SQLite file, or the PostgreSQL
# database named by SCHEMATHESIS_DATABASE_URL (dropped and re-created).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
port=${SCHEMATHESIS_PORT:-8765}
export APP_DATABASE_URL="${SCHEMATHESIS_DATABASE_URL:-sqlite+aiosqlite:///$work/st.db}" APP_STORAGE_DIR="$work/files" APP_LOG_LEVEL=WARNING
if [[ $APP_DATABASE_URL == postgresql* ]]; then
  db=${APP_DATABASE_URL##*/}
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
fi
.venv/bin/python -m app migrate
.venv/bin/python -m app seed-demo >/dev/null
.venv/bin/python -m app serve --port "$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
# Up to a minute: CI starts several services at once on two cores.
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "the service did not start:"; cat "$work/server.log"; exit 1; }

access_token() { .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
staff_token() {
  curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"phone\": \"$1\", \"password\": \"Demo@2026\"}" | access_token
}
admin=$(staff_token 13900000001)
grid_worker=$(staff_token 13900000004)
resident=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/wechat/login" -H 'Content-Type: application/json' \
  -d '{"code": "schemathesis-resident"}' | access_token)
notice=$(curl -sf "http://127.0.0.1:$port/api/v1/privacy" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["version"])')
curl -sf -X POST "http://127.0.0.1:$port/api/v1/me/consents" -H "Authorization: Bearer $resident" \
  -H 'Content-Type: application/json' -d "{\"notice_version\": \"$notice\", \"purposes\": [\"service\"]}" >/dev/null
curl -sf -X POST "http://127.0.0.1:$port/api/v1/me/unit-bindings" -H "Authorization: Bearer $resident" \
  -H 'Content-Type: application/json' -d '{"invite_code": "DEMO2026"}' >/dev/null

run() {
  .venv/bin/schemathesis run "http://127.0.0.1:$port/openapi.json" --checks not_a_server_error \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --request-timeout 10 --generation-deterministic "$@"
}
# SCHEMATHESIS_CALLERS: who calls, each as caller[:phases] (schemathesis's examples, coverage, fuzzing,
# stateful; all by default). By default all four callers with every phase.
for entry in ${SCHEMATHESIS_CALLERS:-anonymous admin grid_worker resident}; do
  who=${entry%%:*}
  phases=()
  [[ $entry == *:* ]] && phases=(--phases "${entry#*:}")
  echo "-- as $who ${phases[*]}"
  # Closing the account (POST /me/deletion) would end the caller's login for every operation after it:
  # only the anonymous caller reaches it (401); the tests close accounts.
  if [[ $who == anonymous ]]; then run "${phases[@]}"
  else run "${phases[@]}" --exclude-path /api/v1/me/deletion -H "Authorization: Bearer ${!who}"; fi
done
