#!/usr/bin/env bash
# Task starts over a fleet: the same 40 tasks on one Docker engine, then
# spread over two (each an extra dockerd in a network namespace of its own),
# by one Berth, rounds alternating which goes first. Prints the median time to
# all RUNNING for each, the CPU the engines and Berth used, and the ratio
# two/one (target <= 0.67). Needs root and the host's dockerd.
# Usage: bench/fleet.sh [BUILD_DIR] [TASKS] [ROUNDS]
set -euo pipefail
BUILD=${1:-build}
TASKS=${2:-40}
ROUNDS=${3:-2}
cmake --build "$BUILD" -j2 --target fleet_bench berth >/dev/null
"$BUILD/tests/fleet_bench" "$TASKS" "$ROUNDS"
