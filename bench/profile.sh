#!/usr/bin/env bash
# Where Berth's CPU time goes for one operation under load (a diagnosis aid,
# not a benchmark: run_all.sh does not call it).
#
#   bench/profile.sh BERTH_BINARY [OPERATION [JSON]]
#
# Starts Berth on a fresh data dir, prepares the state api_vs_moto.sh uses
# (cluster "bench", four revisions of family "bench-td"), runs wrk with
# OPERATION (DescribeClusters by default) for BENCH_SECONDS (8) and records
# Berth with `perf record -e cpu-clock --call-graph dwarf` for the middle of
# the run. Prints the top shared objects and symbols (self time), the samples
# split by step of the request path (bench_util.py perf-categories), and leaves
# perf.data in BENCH_PROFILE_DIR (default: a temporary dir that is removed).
# Needs perf (Debian: linux-perf). Software clock sampling works in VMs
# without hardware counters.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
check_berth_binary "$BERTH"
OPERATION=${2:-DescribeClusters}
require wrk curl perf
LOAD_SECONDS=${BENCH_SECONDS:-8}
OUT_DIR=${BENCH_PROFILE_DIR:-$BENCH_TMP}
mkdir -p "$OUT_DIR"
FAMILY_BODY="{\"family\":\"bench-td\",${BENCH_TASK_DEFINITION#\{}"
declare -A DEFAULT_BODY=(
  [DescribeClusters]='{"clusters":["bench"]}'
  [RegisterTaskDefinition]=$FAMILY_BODY
  [DescribeTaskDefinition]='{"taskDefinition":"bench-td"}'
  [ListTaskDefinitions]='{}'
)
BODY=${3:-${DEFAULT_BODY[$OPERATION]:-"{}"}}

start_berth "$BERTH" "$BENCH_TMP/data"
PID=$STARTED_PID
URL=$STARTED_URL
ecs "$URL" CreateCluster '{"clusterName":"bench"}' >/dev/null
for _ in 1 2 3 4; do ecs "$URL" RegisterTaskDefinition "$FAMILY_BODY" >/dev/null; done
ecs "$URL" "$OPERATION" "$BODY" >/dev/null

run_wrk "$URL" "$OPERATION" "$BODY" "$LOAD_SECONDS" 8 "$PID" >"$BENCH_TMP/wrk.out" &
WRK_PID=$!
BENCH_PIDS+=("$WRK_PID")
sleep 1
perf record -q -e cpu-clock -F 2000 --call-graph dwarf,16384 -p "$PID" -o "$OUT_DIR/perf.data" \
  -- sleep $((LOAD_SECONDS - 2)) 2>/dev/null
wait "$WRK_PID"
forget_pid "$WRK_PID"
echo "load: $(cat "$BENCH_TMP/wrk.out")"
echo
echo "== by shared object (self)"
perf report -i "$OUT_DIR/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
  grep '%' | head -15 || true  # head closes the pipe early
echo
echo "== by symbol (self)"
perf report -i "$OUT_DIR/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
  grep '%' | head -"${BENCH_PROFILE_TOP:-30}" | cut -c1-160 || true
echo
echo "== by step of the request path (exclusive; us from the run's CPU time per request)"
perf script -i "$OUT_DIR/perf.data" 2>/dev/null >"$BENCH_TMP/perf.script"
"$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" perf-categories "$BENCH_TMP/perf.script" \
  --cpu-us "$(field "$(cat "$BENCH_TMP/wrk.out")" cpu_us_per_req)"
