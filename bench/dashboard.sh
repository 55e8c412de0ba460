#!/usr/bin/env bash
# The dashboard (/_berth/ui) with 1,000 tasks and 200 images:
#   - first paint in headless Chromium: navigation start → the first frame
#     painted with data (the page draws a screenful of task rows at once and
#     the rest, and the sections below, in the following frames), each round
#     after a state change so that the snapshot is built afresh, not served
#     from the cache; also the first contentful paint (the empty page) and
#     the frame by which all 1,000 rows and 200 images are in the DOM;
#   - DescribeTasks p99 (wrk, one connection) with the page open and polling
#     every second (after it has loaded and settled) against the same Berth
#     without it, in turns: once while nothing changes (the page's polls
#     answer 304), and once while something the page does not show changes
#     every second (a tag: each poll rebuilds the snapshot, whose content
#     hash is unchanged, so the page still gets 304; the baseline gets the
#     same writes), and once while what the page shows changes every second
#     (a new task each second: the page is sent only the changed rows and
#     members, a delta from the snapshot it holds).
# The tasks are seeded cheaply: Berth runs against a Docker socket that does
# not exist, so each RunTask records a task that fails after 15 s
# (ResourceInitializationError) and stays STOPPED: 1,000 real task records,
# no containers. The images are pushed through the registry API (20
# repositories × 10 tiny OCI images).
# Targets (issue 10): first paint < 1 s; DescribeTasks p99 with the page
# open ≤ 1.2× without it.
# Usage: bench/dashboard.sh BERTH_BINARY [ROUNDS]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
ROUNDS=${2:-${BENCH_ROUNDS:-3}}
SECONDS_EACH=${BENCH_SECONDS:-5}
check_berth_binary "$BERTH"
require curl wrk
CHROMIUM=${BERTH_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || die "chromium is required (Debian package: chromium)"
DB() { "$BENCH_PYTHON" "$BENCH_DIR/dashboard_bench.py" "$@"; }

mkdir -p "$BENCH_TMP/berth"
DOCKER_HOST=unix://$BENCH_TMP/no-docker.sock start_berth "$BERTH" "$BENCH_TMP/berth"
URL=$STARTED_URL
UI=$URL/_berth/ui/

log "== seeding 1,000 tasks and 200 images"
ecs "$URL" CreateCluster '{"clusterName":"bench"}' >/dev/null
# Fargate tasks: nothing is placed on the local container instance, so no
# RunTask runs out of (pretend) host memory.
ecs "$URL" RegisterTaskDefinition "{\"family\":\"bench\",\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"256\",\"memory\":\"512\",${BENCH_TASK_DEFINITION:1}" >/dev/null
for _ in $(seq 1 100); do
  ecs "$URL" RunTask '{"cluster":"bench","taskDefinition":"bench","count":10,"launchType":"FARGATE","networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-bench"]}}}' \
    --expect-len tasks=10 >/dev/null
done
images=$(DB seed-images "$URL" 20 10)
[ "$images" = 200 ] || die "seeded $images images, not 200"
# Every task fails after 15 s without Docker; wait until all have stopped.
for _ in $(seq 1 600); do
  left=$(ecs "$URL" DescribeClusters '{"clusters":["bench"]}' |
    "$BENCH_PYTHON" -c 'import json,sys; c=json.load(sys.stdin)["clusters"][0]; print(c["runningTasksCount"]+c["pendingTasksCount"])')
  [ "$left" = 0 ] && break
  sleep 0.2
done
[ "$left" = 0 ] || die "$left tasks did not stop"

log "== first paint, $ROUNDS rounds"
paint=$(DB paint "$UI" "$ROUNDS" bench) || die "the page did not paint"
read -r paint_ms fcp_ms complete_ms rows shown_images < <("$BENCH_PYTHON" -c '
import json, statistics, sys
r = json.loads(sys.argv[1])
m = lambda k: round(statistics.median(x[k] for x in r))
print(m("painted"), m("fcp"), m("complete"), min(x["rows"] for x in r), min(x["images"] for x in r))' "$paint")
[ "$rows" = 1000 ] || die "the page showed $rows task rows, not 1000"
[ "$shown_images" = 200 ] || die "the page showed $shown_images images, not 200"
printf '%-44s %6s ms (first contentful paint %s ms; all %s task rows and %s images drawn at %s ms)\n' \
  "first paint with data (median)" "$paint_ms" "$fcp_ms" "$rows" "$shown_images" "$complete_ms"

# DescribeTasks of 10 of those tasks, as a client polling them would.
arns=$(ecs "$URL" ListTasks '{"cluster":"bench","desiredStatus":"STOPPED","maxResults":10}' |
  "$BENCH_PYTHON" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["taskArns"]))')
body="{\"cluster\":\"bench\",\"tasks\":$arns}"
ARN=$(ecs "$URL" DescribeClusters '{"clusters":["bench"]}' |
  "$BENCH_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["clusters"][0]["clusterArn"])')
# churn_on OPERATION BODY / churn_off: that ECS call every second (@N@ in
# BODY becomes a new number each time).
CHURN_PID=
churn_on() {
  (while :; do
    curl -fsS -o /dev/null -X POST "$URL/" -H "X-Amz-Target: $ECS_TARGET_PREFIX.$1" \
      -H 'Content-Type: application/x-amz-json-1.1' -H "Authorization: $BENCH_AUTH" \
      --data-binary "${2//@N@/$RANDOM}" || true
    sleep 1
  done) &
  CHURN_PID=$!
  BENCH_PIDS+=("$CHURN_PID")
}
churn_off() { stop_pid "$CHURN_PID"; forget_pid "$CHURN_PID"; }
# p99 with the page open: the browser holds it for the wrk run.
with_page() {
  local hold_out=$BENCH_TMP/hold.$RANDOM pid line
  DB hold "$UI" $((SECONDS_EACH + 2)) >"$hold_out" 2>&1 &
  pid=$!
  BENCH_PIDS+=("$pid")
  for _ in $(seq 1 600); do
    grep -q '^ready' "$hold_out" 2>/dev/null && break
    sleep 0.1
  done
  grep -q '^ready' "$hold_out" || die "the page did not open: $(cat "$hold_out")"
  line=$(run_wrk "$URL" DescribeTasks "$body" "$SECONDS_EACH" 1)
  wait "$pid" || true
  forget_pid "$pid"
  log "   page: $(tail -1 "$hold_out")"
  field "$line" p99_us
}
without_page() { field "$(run_wrk "$URL" DescribeTasks "$body" "$SECONDS_EACH" 1)" p99_us; }

measure() {  # label: alternating rounds, medians, one summary row
  local label=$1 off=() on=() i
  for ((i = 0; i < ROUNDS; i++)); do
    if ((i % 2 == 0)); then
      off+=("$(without_page)")
      on+=("$(with_page)")
    else
      on+=("$(with_page)")
      off+=("$(without_page)")
    fi
  done
  local p_off p_on r
  log "   p99 us without the page: ${off[*]}; with it: ${on[*]}"
  p_off=$(median "${off[@]}") p_on=$(median "${on[@]}")
  r=$(ratio "$p_on" "$p_off" 2)
  printf '%-44s without %s us, page open %s us: %sx (target <= 1.2x)\n' "DescribeTasks p99, $label" "$p_off" "$p_on" "$r"
  summary_row "DescribeTasks p99, dashboard open ($label)" "${p_on} us" "${p_off} us" "${r}x" "<= 1.2x" "$(pass_if "$r" le 1.2)"
  [ "$(pass_if "$r" le 1.2)" = PASS ]
}

log "== DescribeTasks p99 with and without the page, nothing changing"
ok=0
measure "state unchanged" || ok=1
log "== the same while the state changes every second"
# A tag on the cluster: the page does not show it.
churn_on TagResource "{\"resourceArn\":\"$ARN\",\"tags\":[{\"key\":\"churn\",\"value\":\"@N@\"}]}"
measure "state changing every 1 s" || ok=1
churn_off
log "== the same while a new task appears every second (the page gets deltas)"
churn_on RunTask '{"cluster":"bench","taskDefinition":"bench","launchType":"FARGATE","networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-bench"]}}}'
measure "a new task every 1 s" || ok=1
# What the page itself costs per poll (Chromium's main thread), with deltas
# and with whole snapshots (#full), in turns: a figure the noise of a busy
# machine does not blur.
cost() { # URL: the page held open SECONDS_EACH seconds; prints "ms_per_poll bytes_per_poll"
  "$BENCH_PYTHON" "$BENCH_DIR/dashboard_bench.py" hold "$1" "$SECONDS_EACH" | tail -1 |
    "$BENCH_PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print(r["ms_per_poll"], r["bytes"] // max(r["polls"], 1))'
}
d_ms=() f_ms=() d_b=() f_b=()
for ((i = 0; i < ROUNDS; i++)); do
  read -r m b < <(cost "$UI")
  d_ms+=("$m") d_b+=("$b")
  read -r m b < <(cost "$UI#full")
  f_ms+=("$m") f_b+=("$b")
done
log "   page ms per poll with deltas: ${d_ms[*]}; whole snapshots: ${f_ms[*]}"
dm=$(median "${d_ms[@]}") fm=$(median "${f_ms[@]}") db=$(median "${d_b[@]}") fb=$(median "${f_b[@]}")
printf '%-44s deltas %s ms (%s B), whole snapshots %s ms (%s B): %sx\n' "page main thread per poll, a new task every 1 s" \
  "$dm" "$db" "$fm" "$fb" "$(ratio "$dm" "$fm" 2)"
summary_row "dashboard page work per poll (new task every 1 s)" "${dm} ms, ${db} B" "whole snapshots ${fm} ms, ${fb} B" "$(ratio "$dm" "$fm" 2)x" "" ""
churn_off

summary_row "dashboard first paint, 1,000 tasks + 200 images" "${paint_ms} ms" "all drawn ${complete_ms} ms" "" "< 1000 ms" "$(pass_if "$paint_ms" le 999)"
[ "$(pass_if "$paint_ms" le 999)" = PASS ] || ok=1
echo "BENCH dashboard paint_ms=$paint_ms fcp_ms=$fcp_ms complete_ms=$complete_ms"
exit $ok
