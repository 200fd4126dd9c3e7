#!/usr/bin/env bash
# The other hot paths an inspector waits on (issue 14), each beside the bare reference look-up
# measured in the same run with the same load (scripts/bench-lookup.sh has the look-up itself):
#   1. the filing list at its largest page, `GET /api/v1/filings?limit=500` as a county
#      inspector (500 filings with all their machines): RUNS requests one after the other, their
#      median time and the page's size;
#   2. the machine list page, `GET /machines` rendered on the server for the inspector: wrk;
#   3. the field inspection, `POST /api/v1/inspections` of a machine at the site it is filed
#      for (Ringelmann 1 and the label fitted: a pass, so no case), a different machine on each
#      request: wrk.
# The fleet: N=100000 registered machines shared by UNITS=1000 units (one filing of 100 each).
#
#   scripts/bench-hot.sh                          # SQLite in a temporary directory
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrmm_bench scripts/bench-hot.sh
#                                                 # PostgreSQL: an EMPTY database
#   BIN=/path/to/an/older/nrmm scripts/bench-hot.sh   # a before-and-after
#
# Builds target/release/nrmm when it is missing (or with BUILD=1); installs Debian's wrk when it
# is missing. Linux only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

N="${N:-100000}"
UNITS="${UNITS:-1000}"
COUNTIES="${COUNTIES:-140105}"
PORT="${PORT:-3920}"
DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-32}"
RUNS="${RUNS:-5}"
BIN="${BIN:-target/release/nrmm}"

command -v wrk >/dev/null 2>&1 || apt_install wrk
bench_prepare

start_bench_portal "$N" "$UNITS" "$COUNTIES" "$PORT"

# 1. The filing list; its machines, with the site each is filed for, are what the inspections
# of step 3 are made of.
say "filing list: GET /api/v1/filings?limit=500, $RUNS requests"
python3 - "$BASE" "$TOKEN" "$RUNS" "$WORK/filed" <<'PY' | tee "$WORK/filings.txt"
import json, statistics, sys, time, urllib.request
base, token, runs, filed = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
times = []
for _ in range(runs):
    req = urllib.request.Request(base + "/api/v1/filings?limit=500", headers={"authorization": "Bearer " + token})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as resp:
        body = resp.read()
    times.append((time.perf_counter() - start) * 1000)
page = json.loads(body)
machines = sum(len(f["machines"]) for f in page["items"])
print(f"filing list: {len(page['items'])} filings, {machines} machines, {len(body) / 1e6:.1f} MB; "
      f"median {statistics.median(times):.0f} ms (min {min(times):.0f}, max {max(times):.0f}) of {runs}")
with open(filed, "w") as out:
    for f in page["items"]:
        for m in f["machines"]:
            if m.get("registration_code"):
                out.write(f'{m["registration_code"]} {f["site_id"]}\n')
PY
[[ -s "$WORK/filed" ]] || { warn "the filing list named no registered machine"; exit 1; }

# 2. The machine list page.
curl -fsS -H "authorization: Bearer $TOKEN" "$BASE/machines" | grep -q 'data-testid="machine-list"' \
    || { warn "the machine list page did not render its list"; exit 1; }
cat >"$WORK/machines.lua" <<LUA
request = function()
  return wrk.format("GET", "/machines", { ["authorization"] = "Bearer $TOKEN" })
end
LUA
say "machine list page: wrk, $CONNECTIONS connections, 2 threads, ${DURATION}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/machines.lua" "$BASE" | tee "$WORK/machines.wrk"

# 3. The inspection: a pass of a filed machine at its site, now.
NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
cat >"$WORK/inspect.lua" <<LUA
local filed = {}
for line in io.lines("$WORK/filed") do
  local code, site = line:match("(%S+) (%S+)")
  filed[#filed + 1] = { code, site }
end
local i = 0
request = function()
  i = i + 1
  local m = filed[(i % #filed) + 1]
  local body = string.format(
    '{"registration_code":"%s","site_id":"%s","inspected_at":"$NOW","ringelmann_level":1,"label_present":true}',
    m[1], m[2])
  return wrk.format("POST", "/api/v1/inspections",
    { ["authorization"] = "Bearer $TOKEN", ["content-type"] = "application/json" }, body)
end
LUA
first_code="$(head -n1 "$WORK/filed" | cut -d' ' -f1)"
first_site="$(head -n1 "$WORK/filed" | cut -d' ' -f2)"
curl -fsS -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"registration_code\":\"$first_code\",\"site_id\":\"$first_site\",\"inspected_at\":\"$NOW\",\"ringelmann_level\":1,\"label_present\":true}" \
    "$BASE/api/v1/inspections" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   inspection of", d["machine"]["registration_code"], "->", d["verdict"])'
say "inspection POST: wrk, $CONNECTIONS connections, 2 threads, ${DURATION}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/inspect.lua" "$BASE" | tee "$WORK/inspect.wrk"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

run_reference "$N" "$DATABASE_URL" "$CONNECTIONS" "$DURATION" "$WORK/ref.wrk" || exit 0
cat "$WORK/filings.txt"
python3 scripts/wrk_summary.py "machine list page=$WORK/machines.wrk" "inspection POST=$WORK/inspect.wrk" \
    "reference look-up=$WORK/ref.wrk" --ratio "machine list page/reference look-up" \
    --ratio "inspection POST/reference look-up"
