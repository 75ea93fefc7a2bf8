#!/usr/bin/env bash
# Time from launch to the first 200 from /health of a Rotor process, in milliseconds, once per
# run, in a fresh data dir each time (so every run pays the first-start work: KEK ring, key).
#   scripts/startup-time.sh RUNS -- node dist/services/all-in-one/src/main.js
# Polls every 10 ms for at most 60 s; kills only the process group it started.
set -euo pipefail
runs=${1:-5}; shift; [ "${1:-}" = "--" ] && shift
port=${PORT:-3917}
for ((i = 1; i <= runs; i++)); do
  dir=$(mktemp -d)
  start=$(date +%s%N)
  PORT=$port ROTOR_DATA_DIR=$dir LOG_LEVEL=error setsid "$@" >"$dir/out.log" 2>&1 &
  pid=$!
  ok=0
  for ((n = 0; n < 6000; n++)); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/health"; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  end=$(date +%s%N)
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$ok" = 1 ]; then echo "run $i: $(((end - start) / 1000000)) ms"; else echo "run $i: not healthy"; cat "$dir/out.log"; fi
  rm -rf "$dir"
done
