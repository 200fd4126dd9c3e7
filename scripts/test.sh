#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (server and WASM), the app's unit tests, and
# the integration suite on SQLite, on PostgreSQL and in headless Chromium.
# Under CI=true PostgreSQL and Chromium are mandatory: their absence fails the run.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

export NRMM_TEST_POSTGRES_URL="${NRMM_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if [ "${CI:-}" = "true" ]; then
  ensure_chromium
  ensure_schemathesis
  say "checking PostgreSQL at $NRMM_TEST_POSTGRES_URL"
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -d "$NRMM_TEST_POSTGRES_URL" -t 10 >/dev/null || { echo "CI=true: PostgreSQL is not reachable at $NRMM_TEST_POSTGRES_URL" >&2; exit 1; }
  fi
fi

say "cargo fmt --check"
cargo fmt --all -- --check

# The bundle first, on its own: built beside clippy and the tests' build on a 2-core machine it
# was slower here: the tests started after 1,337 s (the sequential run before reached them at
# 604 s, on a faster day).
build_site

say "checking that no server-only crate reaches the WASM build"
bash "$ROOT/scripts/check-wasm-deps.sh"

say "clippy (host and WASM)"
cargo clippy --all-targets -- -D warnings
cargo clippy -p frontend -p app --target wasm32-unknown-unknown --features app/hydrate -- -D warnings

# Stale schemas of interrupted PostgreSQL test runs.
if command -v psql >/dev/null 2>&1; then
  psql "$NRMM_TEST_POSTGRES_URL" -qAtc "select 'drop schema \"'||nspname||'\" cascade;' from pg_namespace where nspname like 't\_%'" 2>/dev/null \
    | psql "$NRMM_TEST_POSTGRES_URL" -q >/dev/null 2>&1 || true
fi

say "building the tests"
cargo test --no-run
say "tests"
export NRMM_SITE_ROOT="$SITE_DIR"
cargo test -- --test-threads "${NRMM_TEST_THREADS:-4}"
say "all checks passed"
