# Shared by scripts/run.sh, scripts/test.sh and the benchmark scripts: install what is missing,
# build the browser bundle and the server, start a benchmark. Sourced, not run.
# Tools land in cargo's bin directory and ${NRMM_TOOLS_DIR:-~/.cache/nrmm-tools}, so a second
# checkout (or CI in a fresh clone) reuses them.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${NRMM_TOOLS_DIR:-$HOME/.cache/nrmm-tools}"
SITE_DIR="$ROOT/target/site"
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"
# binaryen from npm: the version whose wasm-opt produces a bundle that hydrates (Debian's 108 does not).
BINARYEN_VERSION="${NRMM_BINARYEN_VERSION:-132.0.0}"

# Each step is stamped with the seconds since the script started (the cold build's phases).
say() { printf '\033[1;32m==>\033[0m [%ss] %s\n' "$SECONDS" "$*" >&2; }
warn() { printf '\033[1;33m==>\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $* from Debian"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null
  }
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
ensure_wasm_bindgen() {
  local want have
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want from crates.io (a few minutes, once)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

# wasm-opt shrinks the bundle; it comes from npm's binaryen (never a download from elsewhere).
# Without Node.js it is skipped with a warning: the bundle is larger but works.
ensure_wasm_opt() {
  if [ -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then return 0; fi
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm || true
  fi
  if command -v npm >/dev/null 2>&1; then
    say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
    mkdir -p "$TOOLS_DIR"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR" "binaryen@$BINARYEN_VERSION" >/dev/null || warn "could not install binaryen; building without wasm-opt"
  else
    warn "no npm: building without wasm-opt"
  fi
}

# schemathesis (PyPI) fuzzes the REST API against its OpenAPI document in the test suite; it
# lives in a virtual environment of its own in the tools folder, at a pinned version.
SCHEMATHESIS_VERSION="${NRMM_SCHEMATHESIS_VERSION:-4.32.5}"
ensure_schemathesis() {
  local venv="$TOOLS_DIR/schemathesis-$SCHEMATHESIS_VERSION"
  if [ ! -x "$venv/bin/st" ]; then
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv --help >/dev/null 2>&1; then
      apt_install python3 python3-venv || true
    fi
    say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI (once)"
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
      || { warn "could not install schemathesis"; return 1; }
  fi
  export NRMM_SCHEMATHESIS="$venv/bin/st"
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return 0; fi
  apt_install chromium chromium-driver || warn "could not install chromium and chromium-driver"
}

# nrmm-site (tools/site) splits the WASM at its lazy routes (wasm_split_cli_support, the library
# cargo-leptos uses), names the files by content and precompresses them. Built from crates.io
# with its own lock file, rebuilt when its sources change.
ensure_site_tool() {
  local stamp want
  want="$(cat "$ROOT/tools/site/Cargo.toml" "$ROOT/tools/site/Cargo.lock" "$ROOT/tools/site/src/main.rs" | sha256sum | cut -c1-16)"
  stamp="$TOOLS_DIR/nrmm-site.stamp"
  if [ ! -x "$TOOLS_DIR/bin/nrmm-site" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "building nrmm-site (tools/site: WASM split, content names, precompression; once)"
    cargo install --quiet --locked --path "$ROOT/tools/site" --root "$TOOLS_DIR" --target-dir "$ROOT/target/nrmm-site" --force
    echo "$want" >"$stamp"
  fi
}

# Builds the browser bundle into target/site/pkg: the WASM (size-optimised profile) split into
# a main module and one chunk per page, its JS glue and chunk loader, the CSS; every file
# named by its content with a Brotli and a gzip copy, and assets.json listing them.
build_site() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_wasm_opt
  ensure_site_tool
  say "building the browser bundle (WASM)"
  (cd "$ROOT" && cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release)
  local pkg="$SITE_DIR/pkg" wasm="$ROOT/target/wasm32-unknown-unknown/wasm-release/frontend.wasm"
  rm -rf "$pkg.tmp" && mkdir -p "$pkg.tmp"
  say "splitting the bundle by page"
  "$TOOLS_DIR/bin/nrmm-site" split "$wasm" "$pkg.tmp"
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-dir "$pkg.tmp" --out-name nrmm "$pkg.tmp/nrmm_split.wasm"
  rm "$pkg.tmp/nrmm_split.wasm"
  mv "$pkg.tmp/nrmm_bg.wasm" "$pkg.tmp/nrmm.wasm"
  if [ -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
    say "optimising the main module and the chunks with wasm-opt"
    find "$pkg.tmp" -name '*.wasm' -print0 | xargs -0 -P "$(nproc)" -I{} sh -c '"$0" -Oz --strip-debug --strip-producers \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
      --enable-reference-types --enable-multivalue -o "$1.opt" "$1" 2>/dev/null && mv "$1.opt" "$1"' \
      "$TOOLS_DIR/node_modules/.bin/wasm-opt" {}
  fi
  cp "$ROOT/style/main.css" "$pkg.tmp/nrmm.css"
  say "naming the files by content and precompressing them"
  "$TOOLS_DIR/bin/nrmm-site" pack "$pkg.tmp"
  rm -rf "$pkg" && mv "$pkg.tmp" "$pkg"
  cp -r "$ROOT/public/." "$SITE_DIR/"
  local main raw gz
  main="$(sed -n 's/.*"wasm": "\([^"]*\)".*/\1/p' "$pkg/assets.json")"
  raw=$(stat -c %s "$pkg/$main"); gz=$(stat -c %s "$pkg/$main.gz")
  say "bundle: main module $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzip; $(ls "$pkg"/*.wasm | wc -l) WASM files in all"
}

# The bare reference of the benchmarks (../shared/tools/ref-lookup, or REF_DIR): built, filled
# with $1 rows in the same kind of database as the portal's ($2, its URL; PostgreSQL gets a
# database of its own beside it), served, and driven by wrk with the portal's settings ($3
# connections, $4 seconds); wrk's output is written to $5 (whose folder also takes a SQLite
# reference). The server's pid is kept in SERVER_PID while it runs, for the caller's clean-up.
# Returns 1, saying so, when the reference is not there.
run_reference() {
    local n="$1" db_url="$2" connections="$3" duration="$4" out="$5"
    local dir="${REF_DIR:-$ROOT/../shared/tools/ref-lookup}" port="${REF_PORT:-3919}"
    if [[ ! -f "$dir/Cargo.toml" ]]; then
        warn "no reference at $dir: portal figures only"
        return 1
    fi
    cargo build --release --manifest-path "$dir/Cargo.toml" --target-dir "$ROOT/target/ref-lookup"
    local ref="$ROOT/target/ref-lookup/release/ref-lookup" url serve
    case "$db_url" in
        postgres*)
            url="${REF_DATABASE_URL:-${db_url%/*}/nrmm_ref_bench}"
            psql "${db_url%/*}/postgres" -qc "drop database if exists ${url##*/}" -c "create database ${url##*/}" >/dev/null
            serve="$url" ;;
        *)
            url="sqlite://$(dirname "$out")/ref.sqlite?mode=rwc"
            serve="${url%%\?*}" ;;
    esac
    say "reference: filling $n rows into ${url%%\?*}"
    local start=$SECONDS
    "$ref" fill "$url" "$n"
    say "reference: filled in $((SECONDS - start)) s"
    "$ref" serve "$serve" "127.0.0.1:$port" &
    SERVER_PID=$!
    local code
    code="$("$ref" code "$serve" 0)"
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/lookup?code=$code" 2>/dev/null && break
        sleep 0.2
    done
    say "reference: wrk, $connections connections, 2 threads, ${duration}s"
    N="$n" wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$dir/lookup.lua" "http://127.0.0.1:$port" | tee "$out"
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# The portal of a benchmark, up: a fresh database (BENCH_DATABASE_URL, an empty PostgreSQL
# database, else SQLite in $WORK/data) migrated and filled by `nrmm generate --registered`
# with $1 machines shared by $2 units in counties $3, an inspector of 140105
# (`bench.inspector`), and $BIN serving it on 127.0.0.1:$4. Sets DATABASE_URL, BASE,
# SERVER_PID (for the caller's clean-up) and TOKEN (the inspector's API token); WORK and BIN
# are the caller's.
start_bench_portal() {
    local n="$1" units="$2" counties="$3" port="$4" password="bench-$$-pass"
    export NRMM_DATA_DIR="$WORK/data"
    export NRMM_LISTEN="127.0.0.1:$port"
    export NRMM_LOG="${NRMM_LOG:-warn}"
    export DATABASE_URL="${BENCH_DATABASE_URL:-sqlite://$WORK/data/nrmm.sqlite?mode=rwc}"
    mkdir -p "$NRMM_DATA_DIR"
    BASE="http://$NRMM_LISTEN"
    say "database: ${DATABASE_URL%%\?*}"
    "$BIN" migrate >/dev/null
    "$BIN" generate --machines "$n" --units "$units" --county "$counties" --registered
    printf '%s\n' "$password" | "$BIN" create-user --username bench.inspector --role county_inspector \
        --division 140105 --password-stdin >/dev/null
    bench_serve
    curl -fsS -c "$WORK/cookies" -H 'content-type: application/json' \
        -d "{\"username\":\"bench.inspector\",\"password\":\"$password\"}" "$BASE/api/v1/auth/login" >/dev/null
    TOKEN=$(curl -fsS -b "$WORK/cookies" -H 'content-type: application/json' -H "origin: $BASE" \
        -d '{"name":"bench"}' "$BASE/api/v1/auth/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}

# The start of every benchmark: the release server ($BIN) built when it is missing (or with
# BUILD=1), a temporary folder WORK, and on exit a clean-up that stops SERVER_PID and removes it.
bench_prepare() {
    if [[ ! -x "$BIN" || "${BUILD:-0}" == 1 ]]; then
        cargo build --release -p server --bin nrmm
    fi
    WORK="$(mktemp -d)"
    SERVER_PID=""
    trap bench_cleanup EXIT
}

bench_cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}

# $BIN serving the benchmark's database at $BASE, once it answers; its pid in SERVER_PID.
bench_serve() {
    "$BIN" serve &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
}
