#!/usr/bin/env bash
# Runs the portal: installs what is missing, builds in release, migrates the embedded SQLite
# database under ./data, loads the demo data, prints the URL and demo accounts, and serves.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# The browser bundle and the server build side by side: each has phases that use one core.
build_site &
site_pid=$!
say "building the server (release)"
cargo build --release -p server --bin nrmm
wait "$site_pid"

export NRMM_SITE_ROOT="${NRMM_SITE_ROOT:-$SITE_DIR}"
export NRMM_DATA_DIR="${NRMM_DATA_DIR:-$ROOT/data}"
./target/release/nrmm migrate
./target/release/nrmm seed-demo
exec ./target/release/nrmm serve
