#!/usr/bin/env bash
# The field look-up benchmark: generates N registered machines (default 1,000,000, shared by
# UNITS=100 construction units) into a fresh database, starts the release server, and drives
# `GET /api/v1/machines/lookup?code=…` with wrk (32 connections, 2 threads, a different
# registered code on every request, an inspector's API token) for DURATION seconds, then the
# same look-up as the page the label opens (`GET /v/{code}`, rendered on the server); prints
# wrk's requests/s and latency percentiles. Then, when ../shared/tools/ref-lookup exists (or
# REF_DIR), builds the bare reference server, fills it with as many rows in the same kind of
# database, loads it the same way and prints both results and the ratio of requests/s.
#
#   scripts/bench-lookup.sh                       # SQLite in a temporary directory
#   N=100000 DURATION=10 scripts/bench-lookup.sh  # a smaller run
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrmm_bench scripts/bench-lookup.sh
#                                                 # PostgreSQL: an EMPTY database (it is migrated;
#                                                 # rows go in with COPY: N=10000000 is minutes)
#
# Builds target/release/nrmm when it is missing (or with BUILD=1); installs Debian's wrk when it
# is missing. Linux only. PERF_OUT=FILE also records a CPU profile of the portal's JSON run (PERF_RUN=page: of the label page's).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

N="${N:-1000000}"
UNITS="${UNITS:-100}"
# A county issues at most 9,999,999 registration codes: beyond that the units alternate between
# two counties (the inspector, of the first, looks up every machine: the look-up spans counties).
if (( N > 9999999 )); then COUNTIES="${COUNTIES:-140105,140106}"; else COUNTIES="${COUNTIES:-140105}"; fi
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
"$BIN" generate --machines "$N" --units "$UNITS" --county "$COUNTIES" --registered
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

say "portal: wrk, $CONNECTIONS connections, 2 threads, ${DURATION}s"
# PERF_OUT=FILE: a CPU profile of the server during this run (perf, from Debian), for
# `perf report -i FILE --no-children --sort dso,symbol` (PERF_ARGS="--call-graph dwarf" for
# callers); PERF_RUN=page profiles the label page's run instead. It slows the server: not for
# figures.
PERF_PID=""
start_perf() {
    if [[ -n "${PERF_OUT:-}" && "${PERF_RUN:-json}" == "$1" ]]; then
        command -v perf >/dev/null 2>&1 || apt_install linux-perf
        perf record -F 999 ${PERF_ARGS:-} -p "$SERVER_PID" -o "$PERF_OUT" -- sleep "$DURATION" >/dev/null 2>&1 &
        PERF_PID=$!
    fi
}
start_perf json
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/lookup.lua" "$BASE" | tee "$WORK/portal.wrk"
if [[ -n "$PERF_PID" ]]; then wait "$PERF_PID" || true; PERF_PID=""; fi
# The same look-up as the page an official's phone opens from a label (`/v/{code}`, rendered
# on the server), with the same load.
sed -e 's|"/api/v1/machines/lookup?code=" .. code|"/v/" .. code|' "$WORK/lookup.lua" >"$WORK/page.lua"
grep -q '"/v/" .. code' "$WORK/page.lua"
curl -fsS -H "authorization: Bearer $TOKEN" "$BASE/v/$first" | grep -q 'data-testid="lookup-status"'
say "portal, the label's page: wrk, $CONNECTIONS connections, 2 threads, ${DURATION}s"
start_perf page
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/page.lua" "$BASE" | tee "$WORK/page.wrk"
if [[ -n "$PERF_PID" ]]; then wait "$PERF_PID" || true; fi
awk '/VmHWM/ {printf "   server peak resident memory: %.1f MB\n", $2 / 1024}' "/proc/$SERVER_PID/status"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

# The reference (../shared/tools/ref-lookup, a bare axum + sqlx server answering the same
# look-up from one indexed table), on as many rows and the same kind of database, measured
# right after with the same load; the ratio of requests/s is what travels between machines.
REF_DIR="${REF_DIR:-$ROOT/../shared/tools/ref-lookup}"
if [[ ! -f "$REF_DIR/Cargo.toml" ]]; then
    warn "no reference at $REF_DIR: portal figures only"
    exit 0
fi
cargo build --release --manifest-path "$REF_DIR/Cargo.toml" --target-dir "$ROOT/target/ref-lookup"
REF="$ROOT/target/ref-lookup/release/ref-lookup"
REF_PORT="${REF_PORT:-3919}"
case "$DATABASE_URL" in
    postgres*)
        REF_URL="${REF_DATABASE_URL:-${DATABASE_URL%/*}/nrmm_ref_bench}"
        ADMIN_URL="${DATABASE_URL%/*}/postgres"
        psql "$ADMIN_URL" -qc "drop database if exists ${REF_URL##*/}" -c "create database ${REF_URL##*/}" >/dev/null
        REF_SERVE_URL="$REF_URL" ;;
    *)
        REF_URL="sqlite://$WORK/ref.sqlite?mode=rwc"
        REF_SERVE_URL="sqlite://$WORK/ref.sqlite" ;;
esac
say "reference: filling $N rows into ${REF_URL%%\?*}"
start=$SECONDS
"$REF" fill "$REF_URL" "$N"
say "reference: filled in $((SECONDS - start)) s"
"$REF" serve "$REF_SERVE_URL" "127.0.0.1:$REF_PORT" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$REF_PORT/lookup?code=$("$REF" code "$REF_SERVE_URL" 0)" 2>/dev/null && break
    sleep 0.2
done
say "reference: wrk, $CONNECTIONS connections, 2 threads, ${DURATION}s"
N="$N" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$REF_DIR/lookup.lua" "http://127.0.0.1:$REF_PORT" \
    | tee "$WORK/ref.wrk"
python3 - "$WORK/portal.wrk" "$WORK/ref.wrk" "$WORK/page.wrk" <<'PY'
import re, sys
def read(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, p99
(p_rps, p_p99), (r_rps, r_p99) = read(sys.argv[1]), read(sys.argv[2])
print(f"portal    {p_rps:10.0f} requests/s  p99 {p_p99:6.2f} ms")
print(f"reference {r_rps:10.0f} requests/s  p99 {r_p99:6.2f} ms")
print(f"ratio (portal / reference requests/s): {p_rps / r_rps:.3f}")
g_rps, g_p99 = read(sys.argv[3])
print(f"label page {g_rps:9.0f} requests/s  p99 {g_p99:6.2f} ms")
print(f"ratio (label page / JSON look-up requests/s): {g_rps / p_rps:.3f}")
PY
