#!/usr/bin/env bash
# ECS services, Berth vs raw Docker, in one run (awsvpc tasks of one busybox
# httpd container: a pause container and the app joining it, as Berth makes
# them; the raw side makes the same pairs through the Engine API from 8
# concurrent clients):
#   - a 10-task service: CreateService → steady state (one deployment, 10
#     RUNNING), against 10 pairs created and started;
#   - a rolling update of it (new revision → steady again), against 10 new
#     pairs made while the 10 old ones stop and go;
#   - 50 RunTask → all RUNNING, against 50 pairs;
#   - replacement: one app container killed → a new task RUNNING, against
#     the time of one raw pair + 1 s;
#   - 20 services × 2 tasks running: DescribeServices p99 under wrk, against
#     the same 20 services with no tasks (an idle Berth).
# Targets: <= 1.3x for the first three; replacement <= raw + 1 s; p99 <= 1.5x.
# Usage: bench/services.sh BERTH_BINARY [RUNS]
# BENCH_SERVICE_PARTS (default "service tasks replace p99") picks parts.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
RUNS=${2:-3}
PARTS=" ${BENCH_SERVICE_PARTS:-service tasks replace p99} "
part() { [[ $PARTS == *" $1 "* ]]; }
check_berth_binary "$BERTH"
require curl docker wrk
docker info >/dev/null 2>&1 || die "no Docker engine answers"
[ -x /bin/busybox ] || die "busybox-static is required"

LABEL=berth.bench=services-$$
SB() { "$BENCH_PYTHON" "$BENCH_DIR/service_bench.py" "$@"; }
cleanup_docker() {
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker image prune -af --filter "label=$LABEL" >/dev/null 2>&1 || true
}
trap 'cleanup_docker; bench_cleanup' EXIT

ctx=$BENCH_TMP/image
mkdir -p "$ctx/www"
cp /bin/busybox "$ctx/busybox"
echo '<h1>bench</h1>' >"$ctx/www/index.html"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY busybox /bin/busybox
COPY www /www
LABEL $LABEL
ENTRYPOINT ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox httpd -f -p 8080 -h /www & wait"]
DOCKERFILE
IMAGE=berth-bench-services:latest
docker build -q -t "$IMAGE" "$ctx" >/dev/null

mkdir -p "$BENCH_TMP/berth"
start_berth "$BERTH" "$BENCH_TMP/berth"
URL=$STARTED_URL
BPID=$STARTED_PID
reset_berth() { curl -fsS -X POST "$URL/_berth/reset" >/dev/null 2>&1 || true; }
RAW_NET=berth-bench-$$
trap 'reset_berth; remove_raw; cleanup_docker; docker network rm "$RAW_NET" >/dev/null 2>&1 || true; bench_cleanup' EXIT
docker network create --label "$LABEL" "$RAW_NET" >/dev/null

td() {  # FAMILY VALUE: a Fargate definition of the bench image (VALUE in its environment)
  echo "{\"family\":\"$1\",\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"$IMAGE\",\"stopTimeout\":2,\"portMappings\":[{\"containerPort\":8080}],\"environment\":[{\"name\":\"V\",\"value\":\"$2\"}]}]}"
}
NET='{"awsvpcConfiguration":{"subnets":["subnet-bench"]}}'
ecs "$URL" CreateCluster '{"clusterName":"bench"}' >/dev/null
ecs "$URL" RegisterTaskDefinition "$(td svc 1)" >/dev/null
ecs "$URL" RegisterTaskDefinition "$(td svc 2)" >/dev/null
ecs "$URL" RegisterTaskDefinition "$(td one 1)" >/dev/null
# Warm-up: loads the pause image and makes the cluster's network.
SB berth-until "$URL" CreateService "{\"cluster\":\"bench\",\"serviceName\":\"warm\",\"taskDefinition\":\"one\",\"desiredCount\":1,\"launchType\":\"FARGATE\",\"networkConfiguration\":$NET}" bench warm 1 >/dev/null
PAUSE=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^berth/pause:' | head -1)
[ -n "$PAUSE" ] || die "Berth's pause image is not loaded"

# The raw side's containers carry RAW_LABEL (Berth's carry the image's
# LABEL too, so that one cannot tell them apart).
RAW_LABEL=berth.bench.raw=$$
raw_start() {  # COUNT: prints milliseconds; removes what it made
  local out
  out=$(SB raw-start "$RAW_NET" "$PAUSE" "$IMAGE" "$RAW_LABEL" "$1" 8)
  echo "${out%%$'\n'*}"
  remove_raw
}
raw_roll() {
  local out
  out=$(SB raw-roll "$RAW_NET" "$PAUSE" "$IMAGE" "$RAW_LABEL" "$1" 8)
  echo "${out%%$'\n'*}"
  remove_raw
}
remove_raw() {
  docker ps -aq --filter "label=$RAW_LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
}
stop_standalone_tasks() {  # the cluster's tasks started by RunTask, until none runs
  local arns arn
  arns=$(ecs "$URL" ListTasks '{"cluster":"bench","startedBy":"bench"}' |
    "$BENCH_PYTHON" -c 'import json,sys; print(" ".join(json.load(sys.stdin)["taskArns"]))')
  for arn in $arns; do
    ecs "$URL" StopTask "{\"cluster\":\"bench\",\"task\":\"$arn\"}" >/dev/null
  done
  for _ in $(seq 1 600); do
    [ "$(docker ps -q --filter label=com.amazonaws.ecs.cluster=bench | wc -l)" -le 2 ] && return 0
    sleep 0.1
  done
}
delete_service() {  # NAME REMAINING: until REMAINING containers of the cluster run
  ecs "$URL" UpdateService "{\"cluster\":\"bench\",\"service\":\"$1\",\"desiredCount\":0}" >/dev/null
  ecs "$URL" DeleteService "{\"cluster\":\"bench\",\"service\":\"$1\"}" >/dev/null
  for _ in $(seq 1 600); do
    [ "$(docker ps -q --filter label=com.amazonaws.ecs.cluster=bench | wc -l)" -le "$2" ] && return 0
    sleep 0.1
  done
}

if part service; then
log "== a 10-task service and a rolling update of it (median of $RUNS)"
create_t=() roll_t=() raw_create_t=() raw_roll_t=()
for ((i = 0; i < RUNS; i++)); do
  name=svc$i
  create_t+=("$(SB berth-until "$URL" CreateService "{\"cluster\":\"bench\",\"serviceName\":\"$name\",\"taskDefinition\":\"svc:1\",\"desiredCount\":10,\"launchType\":\"FARGATE\",\"networkConfiguration\":$NET}" bench "$name" 10)")
  roll_t+=("$(SB berth-until "$URL" UpdateService "{\"cluster\":\"bench\",\"service\":\"$name\",\"taskDefinition\":\"svc:2\"}" bench "$name" 10 --task-definition svc:2)")
  delete_service "$name" 2
  raw_create_t+=("$(raw_start 10)")
  raw_roll_t+=("$(raw_roll 10)")
done
bc=$(median "${create_t[@]}") rc=$(median "${raw_create_t[@]}")
br=$(median "${roll_t[@]}") rr=$(median "${raw_roll_t[@]}")
r1=$(ratio "$bc" "$rc" 2) r2=$(ratio "$br" "$rr" 2)
printf '%-44s %8s ms %8s ms %6sx (target <= 1.3x)\n' "10-task service: create -> steady" "$bc" "$rc" "$r1"
printf '%-44s %8s ms %8s ms %6sx (target <= 1.3x)\n' "10-task service: rolling update -> steady" "$br" "$rr" "$r2"
summary_row "service of 10: create -> steady" "${bc} ms" "${rc} ms" "${r1}x" "<= 1.3x" "$(pass_if "$r1" le 1.3)"
summary_row "service of 10: rolling update" "${br} ms" "${rr} ms" "${r2}x" "<= 1.3x" "$(pass_if "$r2" le 1.3)"
fi

if part tasks; then
log "== 50 RunTask -> all RUNNING"
bt=$(SB run-tasks-until "$URL" bench "{\"cluster\":\"bench\",\"taskDefinition\":\"one\",\"launchType\":\"FARGATE\",\"startedBy\":\"bench\",\"networkConfiguration\":$NET}" 50)
stop_standalone_tasks
rt=$(raw_start 50)
r3=$(ratio "$bt" "$rt" 2)
printf '%-44s %8s ms %8s ms %6sx (target <= 1.3x)\n' "50 RunTask -> all RUNNING" "$bt" "$rt" "$r3"
summary_row "50 RunTask -> all RUNNING" "${bt} ms" "${rt} ms" "${r3}x" "<= 1.3x" "$(pass_if "$r3" le 1.3)"
fi

if part replace; then
log "== replacement of a killed container (median of $RUNS)"
SB berth-until "$URL" UpdateService '{"cluster":"bench","service":"warm","desiredCount":2}' bench warm 2 >/dev/null
replace_t=() one_t=()
for ((i = 0; i < RUNS; i++)); do
  replace_t+=("$(SB replace "$URL" bench warm)")
  sleep 1
  one_t+=("$(raw_start 1)")
done
bp=$(median "${replace_t[@]}") op=$(median "${one_t[@]}")
limit=$((op + 1000))
printf '%-44s %8s ms %8s ms (target <= raw + 1000 ms = %s ms)\n' "kill -> replacement RUNNING" "$bp" "$op" "$limit"
summary_row "kill -> replacement RUNNING" "${bp} ms" "${op} ms" "+$((bp - op)) ms" "<= +1000 ms" "$(pass_if "$bp" le "$limit")"
fi
delete_service warm 0

if part p99; then
log "== DescribeServices p99: 20 services x 2 tasks against an idle Berth with the same 20"
# The idle Berth runs beside the busy one, and the two are measured in turns,
# so both see the same machine (and the busy one's containers).
mkdir -p "$BENCH_TMP/idle"
start_berth "$BERTH" "$BENCH_TMP/idle"
IDLE_URL=$STARTED_URL
IDLE_PID=$STARTED_PID
for u in "$URL" "$IDLE_URL"; do
  [ "$u" = "$URL" ] || {
    ecs "$u" CreateCluster '{"clusterName":"bench"}' >/dev/null
    ecs "$u" RegisterTaskDefinition "$(td one 1)" >/dev/null
  }
  for i in $(seq 1 20); do
    ecs "$u" CreateService "{\"cluster\":\"bench\",\"serviceName\":\"s$i\",\"taskDefinition\":\"one\",\"desiredCount\":$([ "$u" = "$URL" ] && echo 2 || echo 0),\"launchType\":\"FARGATE\",\"networkConfiguration\":$NET}" >/dev/null
  done
done
for _ in $(seq 1 1200); do
  running=$(ecs "$URL" DescribeClusters '{"clusters":["bench"]}' |
    "$BENCH_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["clusters"][0]["runningTasksCount"])')
  [ "$running" -ge 40 ] && break
  sleep 0.1
done
[ "$running" -ge 40 ] || die "only $running of 40 tasks reached RUNNING"
sleep 3  # steady: the scheduler has nothing left to do
body='{"cluster":"bench","services":["s1","s2","s3","s4","s5","s6","s7","s8","s9","s10"]}'
# One connection: the latency a client sees, not the server's saturation
# throughput (which would compare the sizes of the two answers instead).
idle_p99=() busy_p99=()
for ((i = 0; i < RUNS; i++)); do
  idle_p99+=("$(field "$(run_wrk "$IDLE_URL" DescribeServices "$body" 5 1)" p99_us)")
  busy_p99+=("$(field "$(run_wrk "$URL" DescribeServices "$body" 5 1)" p99_us)")
done
ip=$(median "${idle_p99[@]}") bp99=$(median "${busy_p99[@]}")
r5=$(ratio "$bp99" "$ip" 2)
printf '%-44s idle %s us, 20 services x 2 tasks %s us: %sx (target <= 1.5x)\n' "DescribeServices p99 (10 services)" "$ip" "$bp99" "$r5"
summary_row "DescribeServices p99, 20x2 running" "${bp99} us" "${ip} us" "${r5}x" "<= 1.5x" "$(pass_if "$r5" le 1.5)"
stop_pid "$IDLE_PID"; forget_pid "$IDLE_PID"
fi
reset_berth
stop_pid "$BPID"; forget_pid "$BPID"
