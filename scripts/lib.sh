# Shared by scripts/run.sh and scripts/test.sh: install what is missing, build the browser
# bundle and the server. Sourced, not run.
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
