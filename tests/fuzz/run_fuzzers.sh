#!/usr/bin/env bash
# Runs every libFuzzer target of a -DBERTH_FUZZ=ON build from its seed corpus
# (tests/fuzz/corpus/<target>, copied: the repository's corpus is only changed
# by make_seeds.py). Each target gets a million executions, or SECONDS each
# when given. A crash, leak, sanitizer report or hang (10 s per input) fails
# the run and leaves the input in the artifacts directory it names. The last
# line sums up the executions.
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$1
seconds=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/berth-fuzz-XXXXXX)
artifacts=${BERTH_FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"
total=0
failed=0
for target in fuzz_aws_request fuzz_registry fuzz_http fuzz_documents fuzz_sigv4; do
  corpus=$work/$target
  mkdir -p "$corpus"
  if [ -d "$here/corpus/$target" ]; then cp -r "$here/corpus/$target/." "$corpus/"; fi
  if [ -n "$seconds" ]; then limit=(-max_total_time="$seconds"); else limit=(-runs=1000000); fi
  log=$work/$target.log
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz/$target" "${limit[@]}" -timeout=10 -rss_limit_mb=2560 \
      -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    echo "$target: ${runs:-?} executions in ${secs:-?} s, corpus $(ls "$corpus" | wc -l) inputs, no crash"
    total=$((total + ${runs:-0}))
  else
    failed=$((failed + 1))
    echo "$target: FAILED; the last lines of its log ($log):"
    tail -40 "$log"
  fi
done
echo "fuzz: $total executions over 5 targets, $failed failed (artifacts: $artifacts)"
if [ "$failed" -ne 0 ]; then exit 1; fi
rm -rf "$work"
