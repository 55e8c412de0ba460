#!/usr/bin/env bash
# The write path under sustained load: RegisterTaskDefinition, Berth vs
# moto_server side by side in one run, with p50 and p99.
#
#   bench/write_path.sh BERTH_BINARY [BASELINE_BERTH_BINARY]
#
# Starts each server on a free loopback port (Berth with a fresh temporary data
# dir), checks that RegisterTaskDefinition answers 200 with revision 1, then
# runs wrk (-t1 -c$BENCH_CONNECTIONS -d$BENCH_SECONDS) with that one write.
# Every request appends a revision, so the WAL crosses the checkpoint
# threshold many times per run. With a BASELINE binary (e.g. a build of an
# older commit) it is measured the same way in the same run.
# Targets: Berth >= 50x moto in requests/s, Berth's p99 <= 3x its p50.
#
# Environment: BENCH_SECONDS (20), BENCH_CONNECTIONS (8).
# Exit status: 0 targets met, 1 a target missed, 2 a measurement invalid, 3 an
# error.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
BASELINE=${2:-}
check_berth_binary "$BERTH"
[ -z "$BASELINE" ] || check_berth_binary "$BASELINE"
require wrk curl
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
BODY="{\"family\":\"bench-write\",${BENCH_TASK_DEFINITION#\{}"

declare -A LINE CHECKPOINTS
# A Berth's checkpointer figures (GET /_berth/stats) on one line.
checkpoint_figures() {  # URL
  curl -sf "$1/_berth/stats" | "$BENCH_PYTHON" -c '
import json, sys
w = json.load(sys.stdin)["walCheckpoints"]
print("%d checkpoints beside the writers (%d of them closing in on a catch-up); "
      "%d catch-ups, longest writer pause %.2f ms, at most %d WAL pages copied in one; "
      "%d failures" % (w["checkpoints"], w["closeIns"], w["catchUps"],
      w["longestCatchUpMicros"] / 1000, w["largestCatchUpCopyPages"], w["failures"]))' ||
    echo "(no /_berth/stats)"
}
measure() {  # NAME URL PID
  ecs "$2" RegisterTaskDefinition "$BODY" --expect taskDefinition.revision=1 >/dev/null
  log "$1: RegisterTaskDefinition for ${SECONDS_PER_RUN}s, $CONNECTIONS connections"
  LINE[$1]=$(run_wrk "$2" RegisterTaskDefinition "$BODY" "$SECONDS_PER_RUN" "$CONNECTIONS" "$3")
  [ "$1" = moto ] || CHECKPOINTS[$1]=$(checkpoint_figures "$2")
  stop_pid "$3"
  forget_pid "$3"
}

start_moto
measure moto "$STARTED_URL" "$STARTED_PID"
if [ -n "$BASELINE" ]; then
  start_berth "$BASELINE" "$BENCH_TMP/baseline-data"
  measure baseline "$STARTED_URL" "$STARTED_PID"
fi
start_berth "$BERTH" "$BENCH_TMP/berth-data"
measure berth "$STARTED_URL" "$STARTED_PID"

us_to_ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
echo
echo "RegisterTaskDefinition under sustained load (wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s)"
printf '%-9s %9s %8s %8s %8s %9s %10s %7s\n' server "req/s" "vs moto" p50 p99 p99/p50 "CPU/req" non-2xx
status=0
moto_rps=$(field "${LINE[moto]}" rps)
for server in moto baseline berth; do
  [ -n "${LINE[$server]:-}" ] || continue
  line=${LINE[$server]}
  rps=$(field "$line" rps)
  p50=$(field "$line" p50_us)
  p99=$(field "$line" p99_us)
  bad=0
  for f in non2xx connect_errors read_errors write_errors timeouts; do
    bad=$((bad + $(field "$line" "$f")))
  done
  [ "$bad" -eq 0 ] || status=2
  printf '%-9s %9.0f %7sx %6sms %6sms %8sx %8sus %7s\n' "$server" "$rps" \
    "$(ratio "$rps" "$moto_rps" 1)" "$(us_to_ms "$p50")" "$(us_to_ms "$p99")" \
    "$(ratio "$p99" "$p50" 1)" "$(field "$line" cpu_us_per_req)" "$bad"
done
for server in baseline berth; do
  [ -z "${CHECKPOINTS[$server]:-}" ] || echo "$server checkpointer: ${CHECKPOINTS[$server]}"
done
b_line=${LINE[berth]}
r=$(ratio "$(field "$b_line" rps)" "$moto_rps" 1)
tail_ratio=$(ratio "$(field "$b_line" p99_us)" "$(field "$b_line" p50_us)" 1)
summary_row "write RegisterTaskDefinition (req/s)" "$(printf '%.0f' "$(field "$b_line" rps)")" \
  "$(printf '%.0f' "$moto_rps")" "${r}x" ">= 50x" "$(pass_if "$r" ge 50)"
summary_row "write p99/p50" "$tail_ratio" "" "" "<= 3x" "$(pass_if "$tail_ratio" le 3)"
if [ "$status" -eq 0 ]; then
  [ "$(pass_if "$r" ge 50)" = PASS ] && [ "$(pass_if "$tail_ratio" le 3)" = PASS ] || status=1
fi
exit "$status"
