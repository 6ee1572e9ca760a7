# Sourced by serve.sh, test.sh and bench/run.sh: installs whatever is missing,
# unattended and idempotent. Every check runs first; only what is missing is
# installed, and nothing is downloaded from GitHub (only crates.io, npm and
# Debian's packages are reachable here).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# trunk 0.22 needs rustc >= 1.96.1; 0.21.14 is the newest that builds on 1.95.
TRUNK_VERSION=0.21.14
# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)"

# editor/node_modules/.bin holds esbuild and wasm-opt (npm binaryen, which
# runs under node; Debian's binaryen is too old for current rustc output).
export PATH="$ROOT/editor/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
export CARGO_TERM_COLOR=never
export TRUNK_SKIP_VERSION_CHECK=true

say() { printf '== %s\n' "$*"; }

# Trunk.toml names the wasm-bindgen version a second time, by hand; a
# mismatch with Cargo.lock would make trunk want a CLI nothing installed.
check_trunk_wasm_bindgen() {
  local in_trunk
  in_trunk="$(sed -n 's/^wasm_bindgen *= *"\([^"]*\)".*/\1/p' Trunk.toml)"
  if [ -z "$WASM_BINDGEN_VERSION" ] || [ "$in_trunk" != "$WASM_BINDGEN_VERSION" ]; then
    echo "Trunk.toml [tools] wasm_bindgen is \"$in_trunk\" but Cargo.lock has wasm-bindgen \"$WASM_BINDGEN_VERSION\": make them equal." >&2
    exit 1
  fi
}

# apt-get update runs at most once per script run, and only when something
# is missing.
APT_UPDATED=
apt_install() {  # apt_install PACKAGE...
  if [ -z "$APT_UPDATED" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  apt-get install -y -qq "$@"
}

# node and npm (the e2e tests, the editor bundle) and a C linker (cargo links
# with cc) are not on a fresh Debian machine.
need_node_and_cc() {
  local missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  command -v cc >/dev/null 2>&1 || missing+=(build-essential)
  [ "${#missing[@]}" -eq 0 ] && return
  say "installing Debian's ${missing[*]}"
  apt_install "${missing[@]}"
}

need_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return; fi
  say "installing Debian's chromium and chromium-driver"
  apt_install chromium chromium-driver
}

need_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown ||
    rustup target add wasm32-unknown-unknown
}

need_trunk() {
  [ "$(trunk --version 2>/dev/null || true)" = "trunk $TRUNK_VERSION" ] && return
  say "building trunk $TRUNK_VERSION (about 8 minutes, once)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
}

need_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ] &&
     [ "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" = "wasm-bindgen-test-runner $WASM_BINDGEN_VERSION" ]; then
    return
  fi
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
  # --locked can fail when the CLI's lockfile names a crate version the
  # registry no longer serves; a fresh resolution works then.
  cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" ||
    cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
}

need_node_modules() {  # need_node_modules DIR
  local dir="$1"
  if [ -d "$dir/node_modules" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

need_crates() {
  # Trunk runs cargo --offline (Trunk.toml), so every crate must be local.
  cargo fetch --locked --quiet
}

# Everything the tests, the benchmark and the served app need.
need_everything() {
  check_trunk_wasm_bindgen
  need_node_and_cc
  need_chromium
  need_wasm_target
  need_trunk
  need_wasm_bindgen
  need_crates
  need_node_modules tests/e2e
  need_node_modules editor
  # @kurrent/kurrentdb-client, for push-to-kurrentdb.mjs; its tests check
  # the client's API names against it.
  need_node_modules scripts
}

build_app() {  # build_app [--release]
  trunk build "$@"
}
