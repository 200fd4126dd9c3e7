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

command -v wrk >/dev/null 2>&1 || apt_install wrk
bench_prepare

start_bench_portal "$N" "$UNITS" "$COUNTIES" "$PORT"

# A random sample of the issued codes, read straight from the database (the server is up).
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
run_reference "$N" "$DATABASE_URL" "$CONNECTIONS" "$DURATION" "$WORK/ref.wrk" || exit 0
python3 scripts/wrk_summary.py portal="$WORK/portal.wrk" reference="$WORK/ref.wrk" "label page=$WORK/page.wrk" \
    --ratio portal/reference --ratio "label page/portal"
