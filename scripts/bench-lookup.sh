#!/usr/bin/env bash
# The field look-up benchmark: generates N registered machines (default 1,000,000, shared by
# UNITS=100 construction units) into a fresh database, starts the release server, and drives
# `GET /api/v1/machines/lookup?code=…` with wrk (32 connections, 2 threads, a different
# registered code on every request, an inspector's API token) for DURATION seconds; prints
# wrk's requests/s and latency percentiles (target: p99 ≤ 20 ms).
#
#   scripts/bench-lookup.sh                       # SQLite in a temporary directory
#   N=100000 DURATION=10 scripts/bench-lookup.sh  # a smaller run
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrmm_bench scripts/bench-lookup.sh
#                                                 # PostgreSQL: an EMPTY database (it is migrated)
#
# Builds target/release/nrmm when it is missing (or with BUILD=1); installs Debian's wrk when it
# is missing. Linux only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

N="${N:-1000000}"
UNITS="${UNITS:-100}"
PORT="${PORT:-3918}"
DURATION="${DURATION:-30}"
CONNECTIONS="${CONNECTIONS:-32}"
SAMPLE="${SAMPLE:-20000}"
BIN="${BIN:-target/release/nrmm}"
PASSWORD="bench-lookup-$$-pass"

command -v wrk >/dev/null 2>&1 || apt_install wrk
if [[ ! -x "$BIN" || "${BUILD:-0}" == 1 ]]; then
    cargo build --release -p server --bin nrmm
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

export NRMM_DATA_DIR="$WORK/data"
export NRMM_LISTEN="127.0.0.1:$PORT"
export NRMM_LOG="${NRMM_LOG:-warn}"
export DATABASE_URL="${BENCH_DATABASE_URL:-sqlite://$WORK/data/nrmm.sqlite?mode=rwc}"
mkdir -p "$NRMM_DATA_DIR"
BASE="http://$NRMM_LISTEN"

say "database: ${DATABASE_URL%%\?*}"
"$BIN" migrate >/dev/null
"$BIN" generate --machines "$N" --units "$UNITS" --county 140105 --registered
printf '%s\n' "$PASSWORD" | "$BIN" create-user --username bench.inspector --role county_inspector \
    --division 140105 --password-stdin >/dev/null

# A random sample of the issued codes, read straight from the database.
case "$DATABASE_URL" in
    postgres*) psql "$DATABASE_URL" -qAtc \
        "select registration_code from machines where registration_code is not null order by random() limit $SAMPLE" \
        >"$WORK/codes" ;;
    *) python3 - "$WORK/data/nrmm.sqlite" "$SAMPLE" >"$WORK/codes" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (code,) in db.execute("select registration_code from machines where registration_code is not null order by random() limit ?", (int(sys.argv[2]),)):
    print(code)
PY
    ;;
esac
say "sampled $(wc -l <"$WORK/codes") registered codes"

"$BIN" serve &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS -c "$WORK/cookies" -H 'content-type: application/json' \
    -d "{\"username\":\"bench.inspector\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/login" >/dev/null
TOKEN=$(curl -fsS -b "$WORK/cookies" -H 'content-type: application/json' -H "origin: $BASE" \
    -d '{"name":"bench"}' "$BASE/api/v1/auth/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# One check by hand: a sampled code is found.
first=$(head -n1 "$WORK/codes")
curl -fsS -H "authorization: Bearer $TOKEN" "$BASE/api/v1/machines/lookup?code=$first" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["machine"]["registration_code"]=="'"$first"'", d; print("   look-up of", "'"$first"'", "->", d["status"])'

cat >"$WORK/lookup.lua" <<LUA
local codes = {}
for line in io.lines("$WORK/codes") do codes[#codes + 1] = line end
local i = 0
request = function()
  i = i + 1
  local code = codes[(i % #codes) + 1]
  return wrk.format("GET", "/api/v1/machines/lookup?code=" .. code, { ["authorization"] = "Bearer $TOKEN" })
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors (status, timeout) %d, %d\n",
    summary.requests, summary.errors.status, summary.errors.timeout))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("p%-5s %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
LUA

say "wrk: $CONNECTIONS connections, 2 threads, ${DURATION}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/lookup.lua" "$BASE"
awk '/VmHWM/ {printf "   server peak resident memory: %.1f MB\n", $2 / 1024}' "/proc/$SERVER_PID/status"
