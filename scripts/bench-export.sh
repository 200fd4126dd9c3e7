#!/usr/bin/env bash
# The export benchmark: generates N machines (default 1,000,000) and their filings into a fresh
# database, starts the release server, downloads the machine and filing exports as CSV and
# XLSX with curl, checks each file's row count, and reports the time of each download and the
# server's peak resident memory (VmHWM of /proc/PID/status; target: below 200 MB).
#
#   scripts/bench-export.sh                       # SQLite in a temporary directory
#   N=100000 scripts/bench-export.sh              # a smaller run
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrmm_bench scripts/bench-export.sh
#                                                 # PostgreSQL: an EMPTY database (it is migrated)
#   AS=sysadmin scripts/bench-export.sh           # download as a system administrator (default:
#                                                 # the county inspector of the generated county)
#
# Builds target/release/nrmm when it is missing (or with BUILD=1). Linux only (/proc).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."

N="${N:-1000000}"
PORT="${PORT:-3917}"
AS="${AS:-county_inspector}"
BIN="${BIN:-target/release/nrmm}"
PASSWORD="bench-export-$$-pass"

bench_prepare

export NRMM_DATA_DIR="$WORK/data"
export NRMM_LISTEN="127.0.0.1:$PORT"
export NRMM_LOG="${NRMM_LOG:-warn}"
export DATABASE_URL="${BENCH_DATABASE_URL:-sqlite://$WORK/data/nrmm.sqlite?mode=rwc}"
mkdir -p "$NRMM_DATA_DIR"
BASE="http://$NRMM_LISTEN"

echo "== database: ${DATABASE_URL%%\?*}"
"$BIN" migrate >/dev/null
start=$(date +%s.%N)
"$BIN" generate --machines "$N" --county 140105
echo "   generated in $(echo "$(date +%s.%N) - $start" | bc) s"

case "$AS" in
    sysadmin) printf '%s\n' "$PASSWORD" | "$BIN" create-user --username bench.admin --role sysadmin --password-stdin >/dev/null
              USER=bench.admin ;;
    *)        printf '%s\n' "$PASSWORD" | "$BIN" create-user --username bench.inspector --role county_inspector --division 140105 --password-stdin >/dev/null
              USER=bench.inspector ;;
esac

bench_serve
curl -fsS -c "$WORK/cookies" -H 'content-type: application/json' \
    -d "{\"username\":\"$USER\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/login" >/dev/null

hwm_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"; }

# Data rows of an XLSX file: the <row> elements of every sheet, less one header per sheet.
xlsx_rows() {
    python3 - "$1" <<'PY'
import re, sys, zipfile
rows = sheets = 0
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
            sheets += 1
            tail = b""
            with z.open(name) as f:
                while chunk := f.read(1 << 20):
                    data = tail + chunk
                    rows += data.count(b"<row ")
                    tail = data[-4:]
                    rows -= tail.count(b"<row ")
            rows += tail.count(b"<row ")
print(rows - sheets, sheets)
PY
}

echo "== server pid $SERVER_PID, resident after start: $(rss_mb) MB"
printf '%-18s %10s %8s %10s %12s\n' export rows seconds "size MB" "peak RSS MB"
for file in machines.csv filings.csv machines.xlsx filings.xlsx; do
    out="$WORK/$file"
    start=$(date +%s.%N)
    curl -fsS -b "$WORK/cookies" -o "$out" "$BASE/api/v1/exports/$file"
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    case "$file" in
        *.csv)  rows=$(( $(wc -l <"$out") - 1 )) ;;
        *.xlsx) read -r rows sheets < <(xlsx_rows "$out") ;;
    esac
    expected=$N
    [[ "$file" == filings.* ]] && expected=$(( (N + 499) / 500 ))
    status=ok
    [[ "$rows" == "$expected" ]] || status="WRONG (expected $expected)"
    printf '%-18s %10s %8.1f %10.1f %12s  %s\n' "$file" "$rows" "$secs" \
        "$(echo "$(stat -c %s "$out") / 1048576" | bc -l)" "$(hwm_mb)" "$status"
    rm -f "$out"
done
echo "== peak resident memory of the server over the run: $(hwm_mb) MB (target < 200 MB)"
