#!/usr/bin/env bash
# Lints the OpenAPI document the gateway serves with Redocly's recommended rules
# (redocly.yaml): starts the compiled all-in-one (`npm run build` first) on a free port and a
# throw-away data dir, fetches /openapi.json, stops it, lints. 0 errors or it fails.
# Offline: telemetry and the update check are off, and the document has no remote $ref.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f dist/services/all-in-one/src/main.js ] || { echo "lint-openapi: run npm run build first" >&2; exit 1; }
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null || true
  [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

PORT=$port ROTOR_DATA_DIR="$work/data" LOG_LEVEL=warn \
  setsid node dist/services/all-in-one/src/main.js >"$work/rotor.log" 2>&1 &
pid=$!
for ((n = 0; n < 600; n++)); do # 60 s at most
  curl -fs -o "$work/openapi.json" "http://127.0.0.1:$port/openapi.json" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/rotor.log" >&2; echo "lint-openapi: the all-in-one exited" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/openapi.json" ] || { cat "$work/rotor.log" >&2; echo "lint-openapi: no /openapi.json within 60 s" >&2; exit 1; }

REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1 \
  npx --no-install redocly lint --config redocly.yaml "$work/openapi.json"
