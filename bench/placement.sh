#!/usr/bin/env bash
# Placement at scale: a cluster of 10,000 container instances (fake engines,
# registered through the API handlers into a temporary SQLite database; no
# Docker), with varied resources and attributes and 300 unfinished tasks.
# Times RunTask placement decisions (binpack; spread on an attribute;
# memberOf), each with the cluster's kept fleet view and, as the baseline,
# with a view built afresh (what every placement cost before), then RunTask
# through its handler, ListContainerInstances pages of 100 and
# DescribeContainerInstances of 100 ARNs. Target: placement p99 <= 1 ms.
# Usage: bench/placement.sh [BERTH_BINARY | BUILD_DIR] [INSTANCES] [PLACEMENTS]
# (given the berth binary, as run_all.sh does, the build dir is the one it
# was built in: BUILD/server/berth).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

TARGET=${1:-build}
if [ -d "$TARGET" ]; then BUILD=$TARGET; else BUILD=$(dirname "$(dirname "$TARGET")"); fi
INSTANCES=${2:-10000}
PLACEMENTS=${3:-2000}
[ -f "$BUILD/build.ninja" ] || [ -f "$BUILD/Makefile" ] || die "$BUILD is not a build directory"
cmake --build "$BUILD" -j2 --target placement_bench >/dev/null || die "cannot build placement_bench"

rc=0
"$BUILD/bench/placement_bench" "$INSTANCES" "$PLACEMENTS" >"$BENCH_TMP/placement.out" || rc=$?
grep -v '^summary|' "$BENCH_TMP/placement.out" || true
[ "$rc" -le 1 ] || die "placement_bench could not measure (exit $rc)"
while IFS='|' read -r _ scenario berth baseline ratio target verdict; do
  summary_row "$scenario" "$berth" "$baseline" "$ratio" "$target" "$verdict"
done < <(grep '^summary|' "$BENCH_TMP/placement.out")
exit "$rc"
