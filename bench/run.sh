#!/usr/bin/env bash
# Installs whatever is missing, builds the release app and runs the full
# benchmark (N = 100,000, 3 repetitions). Pass --smoke for the quick CI mode.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"
need_everything
build_app --release
node bench/run.mjs "$@"
