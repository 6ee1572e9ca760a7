#!/usr/bin/env bash
# Installs whatever is missing, builds the release app and runs a benchmark:
#   ./bench/run.sh               the full run (N = 100,000, 3 repetitions;
#                                bench/run.mjs; writes BENCHMARKS.md from a
#                                clean tree only)
#   ./bench/run.sh --smoke       the quick CI mode (answers checked, no speed)
#   ./bench/run.sh --no-write    the full run, recording nothing (any tree)
#   ./bench/run.sh --scale [N]   the scale run (bench/scale.mjs; 1,000,000
#                                events unless N is given; not CI)
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"
need_everything
script=bench/run.mjs
if [ "${1:-}" = "--scale" ]; then
  shift
  script=bench/scale.mjs
fi
# A run that records refuses a dirty tree before the build, not after it.
node "$script" --preflight "$@"
build_app --release
node "$script" "$@"

