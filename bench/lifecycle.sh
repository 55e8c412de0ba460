#!/usr/bin/env bash
# ECR lifecycle evaluation at scale: one repository of 10,000 images (a third
# tagged prod-*, a third dev-*-x, a third untagged; one pushed every 15
# minutes) and a three-rule policy (count, pattern + transition, age). Prints
# the time to read the candidates, to evaluate the rules, and of the full pass
# that also expires and archives the images (batches of 100, each under its
# own database lease). Target: the full pass under one second.
# Usage: bench/lifecycle.sh [BUILD_DIR] [IMAGES]
set -euo pipefail
BUILD=${1:-build}
IMAGES=${2:-10000}
cmake --build "$BUILD" -j2 --target lifecycle_bench >/dev/null
"$BUILD/tests/lifecycle_bench" "$IMAGES"
