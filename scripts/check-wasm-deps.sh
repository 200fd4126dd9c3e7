#!/usr/bin/env bash
# Fails if a server-only crate is part of the WASM build (the `ssr` feature must keep them out).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tree="$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none --format '{p}')"
forbidden='^(sea-orm|sea-query|sqlx|sqlx-[a-z]+|tokio|axum|hyper|tower-sessions|argon2|libsqlite3-sys|mio|rustls|ring|leptos_axum|image|zune-jpeg|png|image-webp|multer) '
if bad="$(grep -E "$forbidden" <<<"$tree" | sort -u)" && [ -n "$bad" ]; then
  echo "server-only crates in the WASM build:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "WASM dependency tree: $(sort -u <<<"$tree" | wc -l) crates, none server-only"
