#!/usr/bin/env bash
# The inspector's phone benchmark (issue 13): builds the release server and the site when
# missing (or with BUILD=1), starts the portal on a fresh SQLite database with the demo data and
# chromedriver, then scripts/bench_phone.py drives headless Chromium at 360 x 740 on emulated
# Fast 3G (1.6 Mbit/s down, 150 ms latency) with a 4x slower CPU: /login signed out and /field
# signed in as xiaodian.inspector, each RUNS times (default 5) with an empty cache. Prints each
# page's WASM on its first load (gzip and Brotli, per split point) and, per page, the median
# time until it is hydrated (usable) and the bytes transferred.
#
#   scripts/bench-phone.sh
#   RUNS=9 scripts/bench-phone.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

PORT="${PORT:-3917}"
BIN="${BIN:-target/release/nrmm}"
ensure_chromium
if [[ ! -f "$SITE_DIR/pkg/assets.json" || "${BUILD:-0}" == 1 ]]; then build_site; fi
if [[ ! -x "$BIN" || "${BUILD:-0}" == 1 ]]; then cargo build --release -p server --bin nrmm; fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

export NRMM_DATA_DIR="$WORK/data" NRMM_SITE_ROOT="$SITE_DIR" NRMM_LISTEN="127.0.0.1:$PORT" NRMM_LOG="${NRMM_LOG:-warn}"
unset DATABASE_URL
"$BIN" migrate >/dev/null
"$BIN" seed-demo >/dev/null
"$BIN" serve >"$WORK/server.log" 2>&1 &
PIDS+=($!)
DRIVER_PORT=$((PORT + 1))
chromedriver --port="$DRIVER_PORT" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && curl -fs "http://127.0.0.1:$DRIVER_PORT/status" >/dev/null && break
    sleep 0.2
done
say "release server at http://127.0.0.1:$PORT, Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')"
BASE="http://127.0.0.1:$PORT" DRIVER="http://127.0.0.1:$DRIVER_PORT" PKG="$SITE_DIR/pkg" python3 "$ROOT/scripts/bench_phone.py"
