#!/usr/bin/env bash
# Installs whatever is missing, then runs every test layer:
#   1. native cargo test (core rules, the in-memory store's conformance suite,
#      the worker protocol, scheduling and projection outputs), and the
#      reducer worker's dialect in node's vm (tests/worker/), and the
#      push-to-kurrentdb script's planner and CLI (tests/scripts/)
#   2. wasm-bindgen-test in headless Chromium (IndexedDB conformance, schema
#      upgrade, two connections racing)
#   3. end-to-end journeys: node --test + playwright-core + Debian's chromium
#   4. the benchmark harness in smoke mode (every scenario once, N = 1,000)
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

need_everything

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT=120

say "layer 1: native cargo test"
cargo test --locked

say "layer 1: the reducer worker in node's vm"
node --test tests/worker/

say "layer 1: push-to-kurrentdb.mjs without a server"
node --test tests/scripts/

say "layer 2: wasm-bindgen-test in headless Chromium"
cargo test --locked --target wasm32-unknown-unknown --test store_indexeddb

say "release build"
build_app --release
wasm=$(ls dist/*_bg.wasm)
say "release wasm: $(stat -c %s "$wasm") bytes raw, $(gzip -9 -c "$wasm" | wc -c) bytes gzip -9"

say "layer 3: end-to-end journeys"
(cd tests/e2e && DIST="$ROOT/dist" node --test)

say "benchmark harness, smoke mode (completes every scenario; asserts no speed)"
node bench/run.mjs --smoke
