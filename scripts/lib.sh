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

# Builds the browser bundle into target/site: WASM (size-optimised profile), its JS glue, CSS.
build_site() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_wasm_opt
  say "building the browser bundle (WASM)"
  (cd "$ROOT" && cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release)
  local pkg="$SITE_DIR/pkg" wasm="$ROOT/target/wasm32-unknown-unknown/wasm-release/frontend.wasm"
  rm -rf "$pkg.tmp" && mkdir -p "$pkg.tmp"
  wasm-bindgen --target web --no-typescript --out-dir "$pkg.tmp" --out-name nrmm "$wasm"
  mv "$pkg.tmp/nrmm_bg.wasm" "$pkg.tmp/nrmm.wasm"
  if [ -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
    say "optimising the bundle with wasm-opt"
    "$TOOLS_DIR/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
      -o "$pkg.tmp/nrmm.opt.wasm" "$pkg.tmp/nrmm.wasm"
    mv "$pkg.tmp/nrmm.opt.wasm" "$pkg.tmp/nrmm.wasm"
  fi
  cp "$ROOT/style/main.css" "$pkg.tmp/nrmm.css"
  rm -rf "$pkg" && mv "$pkg.tmp" "$pkg"
  cp -r "$ROOT/public/." "$SITE_DIR/"
  local raw gz
  raw=$(stat -c %s "$pkg/nrmm.wasm"); gz=$(gzip -9 -c "$pkg/nrmm.wasm" | wc -c)
  say "bundle: nrmm.wasm $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzip"
}
