#!/usr/bin/env bash
# The write path under sustained load: RegisterTaskDefinition, Berth vs
# moto_server side by side in one run, with p50 and p99.
#
#   bench/write_path.sh BERTH_BINARY [BASELINE_BERTH_BINARY]
#
# Starts each server on a free loopback port (Berth with a fresh temporary data
# dir), checks that RegisterTaskDefinition answers 200 with revision 1, then
# measures it:
# - at saturation: wrk (-t1 -c$BENCH_CONNECTIONS -d$BENCH_SECONDS), a closed
#   loop that sends the next request as soon as an answer is in. The targets
#   are judged here: Berth >= 50x moto in requests/s, Berth's p99 <= 3x its p50.
# - at a steady rate (Berth only, for information): bench/tools/rate_bench,
#   an open loop that sends BENCH_STEADY_PERCENT (50) % of the saturated rate,
#   evenly spaced, for as long, each latency counted from when its request
#   was due (a stall is charged to every request that waited behind it); and,
#   at the same rate, the floor: an unknown operation, which goes through
#   HTTP and the dispatcher but touches no storage. On this two-core VM the
#   floor's p99 is already several times its p50 (idle cores wake late), so
#   the write's line is read against the floor's, not against 3x. Its
#   CPU/req column is the server's CPU per request sent: spaced out, writes
#   seldom share a commit and cost more each than at saturation, so half the
#   saturated rate keeps a single event-loop thread mostly busy.
# - the same floor at saturation (wrk, for information), beside the write: the
#   p99/p50 of a request that touches no storage, under the same closed loop.
# Every request appends a revision, so the WAL crosses the checkpoint
# threshold many times per run. With a BASELINE binary (e.g. a build of an
# older commit) it is measured the same way in the same run.
#
# Environment: BENCH_SECONDS (20), BENCH_CONNECTIONS (8), BENCH_STEADY_PERCENT
# (50).
# Exit status: 0 targets met, 1 a target missed, 2 a measurement invalid, 3 an
# error.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
BASELINE=${2:-}
check_berth_binary "$BERTH"
[ -z "$BASELINE" ] || check_berth_binary "$BASELINE"
require wrk curl g++
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
STEADY_PERCENT=${BENCH_STEADY_PERCENT:-50}
RATE_BENCH=$BENCH_TMP/rate_bench
g++ -std=c++20 -O2 -o "$RATE_BENCH" "$BENCH_DIR/tools/rate_bench.cc" || die "cannot build rate_bench"
BODY="{\"family\":\"bench-write\",${BENCH_TASK_DEFINITION#\{}"

declare -A LINE SATURATED_FLOOR STEADY FLOOR CHECKPOINTS
# steady URL TARGET RATE PID: rate_bench's summary line for that X-Amz-Target,
# with cpu_us_per_req: the server's CPU time over the run (its warm-up second
# included) per request sent.
steady() {
  local before line
  before=$(cpu_us "$4")
  line=$(BENCH_TARGET="$2" BENCH_BODY="$BODY" BENCH_AUTH="$BENCH_AUTH" \
    timeout --kill-after=5 "$((SECONDS_PER_RUN + 30))" \
    "$RATE_BENCH" 127.0.0.1 "${1##*:}" "$3" "$SECONDS_PER_RUN" "$CONNECTIONS") ||
    die "rate_bench failed against $1"
  echo "$line cpu_us_per_req=$(awk -v c="$(($(cpu_us "$4") - before))" -v r="$3" \
    -v s="$SECONDS_PER_RUN" 'BEGIN { printf "%.1f", c / (r * (s + 1)) }')"
}
# A Berth's checkpointer figures (GET /_berth/stats) on one line.
checkpoint_figures() {  # URL
  curl -sf "$1/_berth/stats" | "$BENCH_PYTHON" -c '
import json, sys
w = json.load(sys.stdin)["walCheckpoints"]
print("%d checkpoints beside the writers (%d of them closing in on a catch-up); "
      "%d catch-ups, longest writer pause %.2f ms, at most %d WAL pages copied in one; "
      "%s WAL restarts; %s database syncs beside the writers; %d failures" % (w["checkpoints"],
      w["closeIns"], w["catchUps"], w["longestCatchUpMicros"] / 1000,
      w["largestCatchUpCopyPages"], w.get("walRestarts", "?"), w.get("databaseSyncs", "?"),
      w["failures"]))' ||
    echo "(no /_berth/stats)"
}
measure() {  # NAME URL PID
  ecs "$2" RegisterTaskDefinition "$BODY" --expect taskDefinition.revision=1 >/dev/null
  log "$1: RegisterTaskDefinition for ${SECONDS_PER_RUN}s, $CONNECTIONS connections"
  LINE[$1]=$(run_wrk "$2" RegisterTaskDefinition "$BODY" "$SECONDS_PER_RUN" "$CONNECTIONS" "$3")
  if [ "$1" != moto ]; then
    log "$1: the floor (an unknown operation) for ${SECONDS_PER_RUN}s, $CONNECTIONS connections"
    SATURATED_FLOOR[$1]=$(run_wrk "$2" NoSuchOperation "$BODY" "$SECONDS_PER_RUN" "$CONNECTIONS" "$3")
    local rate
    rate=$(awk -v r="$(field "${LINE[$1]}" rps)" -v p="$STEADY_PERCENT" 'BEGIN { printf "%.0f", r * p / 100 }')
    log "$1: RegisterTaskDefinition at a steady $rate req/s for ${SECONDS_PER_RUN}s"
    STEADY[$1]=$(steady "$2" "$ECS_TARGET_PREFIX.RegisterTaskDefinition" "$rate" "$3")
    log "$1: the floor (an unknown operation) at a steady $rate req/s for ${SECONDS_PER_RUN}s"
    FLOOR[$1]=$(steady "$2" "$ECS_TARGET_PREFIX.NoSuchOperation" "$rate" "$3")
    CHECKPOINTS[$1]=$(checkpoint_figures "$2")
  fi
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
echo "RegisterTaskDefinition at saturation (wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, closed loop)"
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
echo
echo "The floor at saturation (an unknown operation: HTTP and dispatch, no storage; same wrk; for information)"
printf '%-9s %9s %8s %8s %8s %9s %10s\n' server "req/s" "" p50 p99 p99/p50 "CPU/req"
for server in baseline berth; do
  line=${SATURATED_FLOOR[$server]:-}
  [ -n "$line" ] || continue
  # Its answers are 400s by design (the operation is unknown).
  printf '%-9s %9.0f %8s %6sms %6sms %8sx %8sus\n' "$server" "$(field "$line" rps)" "" \
    "$(us_to_ms "$(field "$line" p50_us)")" "$(us_to_ms "$(field "$line" p99_us)")" \
    "$(ratio "$(field "$line" p99_us)" "$(field "$line" p50_us)" 1)" "$(field "$line" cpu_us_per_req)"
done
echo
echo "At a steady rate (${STEADY_PERCENT}% of the saturated rate; open loop, latency from when due; for information)"
printf '%-20s %9s %9s %8s %8s %9s %8s %7s %7s %10s\n' "server: request" "target/s" "req/s" p50 p99 p99/p50 max late bad "CPU/req"
for server in baseline berth; do
  for kind in write floor; do
    if [ "$kind" = write ]; then line=${STEADY[$server]:-}; else line=${FLOOR[$server]:-}; fi
    [ -n "$line" ] || continue
    bad=0
    for f in connect_errors read_errors write_errors timeouts; do
      bad=$((bad + $(field "$line" "$f")))
    done
    # The floor's answers are 400s by design; the write's must all be 2xx.
    [ "$kind" = floor ] || bad=$((bad + $(field "$line" non2xx)))
    [ "$bad" -eq 0 ] || status=2
    printf '%-20s %9s %9.0f %6sms %6sms %8sx %6sms %7s %7s %8sus\n' "$server: $kind" \
      "$(field "$line" target_rps)" "$(field "$line" rps)" "$(us_to_ms "$(field "$line" p50_us)")" \
      "$(us_to_ms "$(field "$line" p99_us)")" "$(ratio "$(field "$line" p99_us)" "$(field "$line" p50_us)" 1)" \
      "$(us_to_ms "$(field "$line" max_us)")" "$(field "$line" late)" "$bad" \
      "$(field "$line" cpu_us_per_req)"
  done
done
for server in baseline berth; do
  [ -z "${CHECKPOINTS[$server]:-}" ] || echo "$server checkpointer, over its runs: ${CHECKPOINTS[$server]}"
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
