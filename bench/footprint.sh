#!/usr/bin/env bash
# Footprint: idle memory and start-to-first-answer, Berth vs moto_server.
#
#   bench/footprint.sh BERTH_BINARY
#
# (a) Resident memory (VmRSS from /proc/PID/status, with its anonymous/file
#     split) of Berth right after start (first 200 from /_berth/health, then
#     1 s of rest) and after a load has run and settled (a few seconds each of
#     DescribeClusters, RegisterTaskDefinition, DescribeTaskDefinition and
#     ListTaskDefinitions with wrk, then 2 s of rest). moto_server gets the
#     same treatment for comparison. Target: Berth <= 8 MiB idle.
# (b) Start-to-first-answer: exec -> first HTTP 200 to GET /_berth/health,
#     each start with a fresh data dir (so it includes creating and migrating
#     the database), median of $BENCH_STARTS (20) starts, measured by
#     bench_util.py first-answer (already running, polling with a tight connect
#     loop). moto_server's exec -> first 200 to GET / over $BENCH_MOTO_STARTS
#     (5) starts, for contrast. Target: Berth <= 15 ms.
#
# Environment: BENCH_SECONDS (3, per load step), BENCH_STARTS (20),
# BENCH_MOTO_STARTS (5).
# Exit status: 0 all targets met, 1 a target missed, 3 an error.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
check_berth_binary "$BERTH"
BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")
require wrk curl
LOAD_SECONDS=${BENCH_SECONDS:-3}
STARTS=${BENCH_STARTS:-20}
MOTO_STARTS=${BENCH_MOTO_STARTS:-5}
TARGET_RSS_MIB=8
TARGET_START_MS=15

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
status_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
# memory_line PID: "VmRSS anon file" in KiB.
memory_line() { echo "$(status_kib "$1" VmRSS) $(status_kib "$1" RssAnon) $(status_kib "$1" RssFile)"; }

FAMILY_BODY="{\"family\":\"bench-fp\",${BENCH_TASK_DEFINITION#\{}"
# load_and_settle URL: the same load for either server.
load_and_settle() {
  local url=$1 line
  ecs "$url" CreateCluster '{"clusterName":"bench"}' >/dev/null
  ecs "$url" RegisterTaskDefinition "$FAMILY_BODY" >/dev/null
  for step in "DescribeClusters|{\"clusters\":[\"bench\"]}" "RegisterTaskDefinition|$FAMILY_BODY" \
    "DescribeTaskDefinition|{\"taskDefinition\":\"bench-fp\"}" \
    "ListTaskDefinitions|{\"familyPrefix\":\"bench-fp\"}"; do
    line=$(run_wrk "$url" "${step%%|*}" "${step#*|}" "$LOAD_SECONDS" 8)
    [ "$(field "$line" non2xx)" = 0 ] || die "${step%%|*} against $url answered non-2xx: $line"
    log "  ${step%%|*}: $(field "$line" requests) requests"
  done
  sleep 2
}

# --- (a) memory --------------------------------------------------------------
log "memory: starting Berth"
start_berth "$BERTH" "$BENCH_TMP/berth-data"
BERTH_PID=$STARTED_PID
BERTH_URL=$STARTED_URL
sleep 1
read -r b_idle b_idle_anon b_idle_file <<<"$(memory_line "$BERTH_PID")"
cp "/proc/$BERTH_PID/smaps_rollup" "$BENCH_TMP/berth-idle.smaps_rollup"
log "memory: loading Berth"
load_and_settle "$BERTH_URL"
read -r b_load b_load_anon b_load_file <<<"$(memory_line "$BERTH_PID")"
stop_pid "$BERTH_PID"
forget_pid "$BERTH_PID"

log "memory: starting moto_server"
start_moto
MOTO_PID=$STARTED_PID
MOTO_URL=$STARTED_URL
sleep 1
read -r m_idle m_idle_anon m_idle_file <<<"$(memory_line "$MOTO_PID")"
log "memory: loading moto_server"
load_and_settle "$MOTO_URL"
read -r m_load m_load_anon m_load_file <<<"$(memory_line "$MOTO_PID")"
stop_pid "$MOTO_PID"
forget_pid "$MOTO_PID"

# --- (b) start-to-first-answer -------------------------------------------------
log "start-to-first-answer: Berth, $STARTS starts"
b_start=$("$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" first-answer --runs "$STARTS" \
  --path /_berth/health -- "$BERTH" --listen '127.0.0.1:{port}' --data-dir '{dir}/data' \
  --log-level warn)
log "start-to-first-answer: moto_server, $MOTO_STARTS starts"
m_start=$("$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" first-answer --runs "$MOTO_STARTS" --path / \
  -- "$BENCH_PYTHON" -m moto.server -H 127.0.0.1 -p '{port}')

# --- report ----------------------------------------------------------------------
b_start_ms=$(field " $b_start" median_ms)
m_start_ms=$(field " $m_start" median_ms)
rss_idle_verdict=$(pass_if "$(mib "$b_idle")" le "$TARGET_RSS_MIB")
rss_load_verdict=$(pass_if "$(mib "$b_load")" le "$TARGET_RSS_MIB")
start_verdict=$(pass_if "$b_start_ms" le "$TARGET_START_MS")

echo
echo "Footprint, Berth vs moto_server (RSS from /proc/PID/status; MiB)"
printf '%-34s %10s %10s %9s %8s %s\n' measure Berth moto ratio target verdict
printf '%-34s %10s %10s %8sx %8s %s\n' "RSS idle after start" "$(mib "$b_idle")" "$(mib "$m_idle")" \
  "$(ratio "$m_idle" "$b_idle" 0)" "<= ${TARGET_RSS_MIB}" "$rss_idle_verdict"
printf '%-34s %10s %10s %9s\n' "  of which anonymous / file" "$(mib "$b_idle_anon")/$(mib "$b_idle_file")" \
  "$(mib "$m_idle_anon")/$(mib "$m_idle_file")" ""
printf '%-34s %10s %10s %8sx %8s %s\n' "RSS idle after load settled" "$(mib "$b_load")" \
  "$(mib "$m_load")" "$(ratio "$m_load" "$b_load" 0)" "<= ${TARGET_RSS_MIB}" "$rss_load_verdict"
printf '%-34s %10s %10s %9s\n' "  of which anonymous / file" "$(mib "$b_load_anon")/$(mib "$b_load_file")" \
  "$(mib "$m_load_anon")/$(mib "$m_load_file")" ""
printf '%-34s %10s %10s %8sx %8s %s\n' "exec -> first 200, median (ms)" "$b_start_ms" "$m_start_ms" \
  "$(ratio "$m_start_ms" "$b_start_ms" 0)" "<= ${TARGET_START_MS}" "$start_verdict"
printf '%-34s %10s %10s\n' "  min / max (ms)" \
  "$(field " $b_start" min_ms)/$(field " $b_start" max_ms)" "$(field " $m_start" min_ms)/$(field " $m_start" max_ms)"
echo "(ratio = moto / Berth: how many times smaller or faster Berth is; starts: Berth $STARTS, moto $MOTO_STARTS;"
echo " Berth's data dirs are fresh under ${TMPDIR:-/tmp}, so a start includes creating the database)"
echo
echo "Berth idle smaps_rollup:"
sed -n '2,$p' "$BENCH_TMP/berth-idle.smaps_rollup" | grep -E '^(Rss|Pss|Shared_Clean|Private_Clean|Private_Dirty|Anonymous):' |
  sed 's/^/  /'

summary_row "footprint RSS idle after start (MiB)" "$(mib "$b_idle")" "$(mib "$m_idle")" \
  "$(ratio "$m_idle" "$b_idle" 0)x smaller" "<= ${TARGET_RSS_MIB} MiB" "$rss_idle_verdict"
summary_row "footprint RSS idle after load (MiB)" "$(mib "$b_load")" "$(mib "$m_load")" \
  "$(ratio "$m_load" "$b_load" 0)x smaller" "<= ${TARGET_RSS_MIB} MiB" "$rss_load_verdict"
summary_row "footprint exec->first 200 (ms, median)" "$b_start_ms" "$m_start_ms" \
  "$(ratio "$m_start_ms" "$b_start_ms" 0)x faster" "<= ${TARGET_START_MS} ms" "$start_verdict"

for v in "$rss_idle_verdict" "$rss_load_verdict" "$start_verdict"; do
  [ "$v" = PASS ] || exit 1
done
exit 0
