#!/usr/bin/env bash
# Installs whatever is missing, then serves the app on http://127.0.0.1:8080.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
check_trunk_wasm_bindgen
need_node_and_cc
need_wasm_target
need_trunk
need_wasm_bindgen
need_crates
need_node_modules editor
say "serving on http://127.0.0.1:8080"
exec trunk serve --release
