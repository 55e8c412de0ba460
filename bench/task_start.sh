#!/usr/bin/env bash
# ECS task start, Berth vs raw Docker, in one run:
#   - RunTask → RUNNING as DescribeTasks sees it, for an awsvpc task of one
#     busybox httpd container (Berth creates a pause container, then the app
#     joining its namespace, ports published on 127.0.0.1), against the same
#     two `docker create` + `docker start` calls made directly;
#   - 50 tasks run at once (RunTask count 10 x 5), all reach RUNNING, all stop
#     and leave no container behind;
#   - API latency (DescribeClusters p99 under wrk) while those 50 start,
#     against the same load while raw Docker starts containers, and idle.
# Targets: start ratio <= 1.25x; 50 tasks start and stop cleanly; API p99
# unaffected: within 2x of its p99 while raw Docker starts the same
# containers (the machine's own load; idle is printed too).
# Usage: bench/task_start.sh BERTH_BINARY [RUNS]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
RUNS=${2:-5}
check_berth_binary "$BERTH"
require curl docker
docker info >/dev/null 2>&1 || die "no Docker engine answers"
[ -x /bin/busybox ] || die "busybox-static is required"

LABEL=berth.bench=task-start-$$
cleanup_docker() {
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker image prune -af --filter "label=$LABEL" >/dev/null 2>&1 || true
}
trap 'cleanup_docker; bench_cleanup' EXIT

# The image: busybox httpd that stops at once on SIGTERM.
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
IMAGE=berth-bench-task:latest
docker build -q -t "$IMAGE" "$ctx" >/dev/null

mkdir -p "$BENCH_TMP/berth"
start_berth "$BERTH" "$BENCH_TMP/berth"
URL=$STARTED_URL
BPID=$STARTED_PID
ecs "$URL" CreateCluster '{"clusterName":"bench"}' >/dev/null
ecs "$URL" RegisterTaskDefinition "{\"family\":\"bench\",\"networkMode\":\"awsvpc\",\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"$IMAGE\",\"essential\":true,\"stopTimeout\":2,\"portMappings\":[{\"containerPort\":8080}]}]}" >/dev/null
NET='{"awsvpcConfiguration":{"subnets":["subnet-bench"]}}'

now_ms() { date +%s%3N; }

# run_one: RunTask, then DescribeTasks until RUNNING (one client process,
# keep-alive, so only Berth is timed); prints milliseconds.
run_one() {
  local out
  out=$("$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" run-until "$URL" bench \
    "{\"cluster\":\"bench\",\"taskDefinition\":\"bench\",\"launchType\":\"FARGATE\",\"networkConfiguration\":$NET}") ||
    die "the task did not reach RUNNING"
  echo "${out%% *}"
  "$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" call "$URL" StopTask \
    "{\"cluster\":\"bench\",\"task\":\"${out#* }\"}" >/dev/null
}

# The raw baseline talks to the Engine API directly (as Berth does; the
# docker CLI would add ~50 ms per command), on a user network like Berth's.
SOCK=/var/run/docker.sock
RAW_NET=berth-bench-$$
engine() {  # METHOD PATH [JSON]
  curl -fsS --unix-socket "$SOCK" -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "http://localhost/v1.41$2"
}
engine POST /networks/create "{\"Name\":\"$RAW_NET\",\"CheckDuplicate\":true,\"Labels\":{\"${LABEL%%=*}\":\"${LABEL#*=}\"}}" >/dev/null
# Berth's own containers, volumes and network go with a reset before it stops.
reset_berth() { curl -fsS -X POST "$URL/_berth/reset" >/dev/null 2>&1 || true; }
trap 'reset_berth; cleanup_docker; docker network rm "$RAW_NET" >/dev/null 2>&1 || true; bench_cleanup' EXIT
label_json="{\"${LABEL%%=*}\":\"${LABEL#*=}\"}"

# raw_one: the same two containers, create + start each; milliseconds.
raw_one() {
  local t0 pause app
  t0=$(now_ms)
  pause=$(engine POST /containers/create "{\"Image\":\"berth/pause:1.0\",\"Labels\":$label_json,\"ExposedPorts\":{\"8080/tcp\":{}},\"HostConfig\":{\"NetworkMode\":\"$RAW_NET\",\"PortBindings\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}}}" |
    sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
  engine POST "/containers/$pause/start" >/dev/null
  app=$(engine POST /containers/create "{\"Image\":\"$IMAGE\",\"Labels\":$label_json,\"HostConfig\":{\"NetworkMode\":\"container:$pause\"}}" |
    sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
  engine POST "/containers/$app/start" >/dev/null
  echo $(($(now_ms) - t0))
  docker rm -f "$app" "$pause" >/dev/null
}

log "== RunTask -> RUNNING vs docker create+start (median of $RUNS)"
run_one >/dev/null  # warm-up: loads the pause image, creates the task network
berth_times=() raw_times=()
for ((i = 0; i < RUNS; i++)); do
  berth_times+=("$(run_one)")
  raw_times+=("$(raw_one)")
done
bt=$(median "${berth_times[@]}") rt=$(median "${raw_times[@]}")
r=$(ratio "$bt" "$rt" 2)
printf '%-40s %8s ms %8s ms %8sx (target <= 1.25x)\n' "task start (awsvpc, 1 container)" "$bt" "$rt" "$r"
summary_row "task start RunTask->RUNNING" "${bt} ms" "${rt} ms" "${r}x" "<= 1.25x" "$(pass_if "$r" le 1.25)"

log "== 50 tasks at once, API latency alongside"
idle=$(run_wrk "$URL" DescribeClusters '{"clusters":["bench"]}' 3 4)
idle_p99=$(field "$idle" p99_us)
# The machine's own share: the same load while raw Docker starts the same
# containers (dockerd, containerd and runc want the 2 cores too).
( for _ in $(seq 1 25); do raw_one >/dev/null; done ) &
raw_load=$!
docker_busy=$(run_wrk "$URL" DescribeClusters '{"clusters":["bench"]}' 3 4)
docker_p99=$(field "$docker_busy" p99_us)
wait "$raw_load"
for _ in 1 2 3 4 5; do
  "$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" call "$URL" RunTask \
    "{\"cluster\":\"bench\",\"taskDefinition\":\"bench\",\"count\":10,\"launchType\":\"FARGATE\",\"networkConfiguration\":$NET}" >/dev/null
done
busy=$(run_wrk "$URL" DescribeClusters '{"clusters":["bench"]}' 3 4)
busy_p99=$(field "$busy" p99_us)
t0=$(now_ms)
for _ in $(seq 1 900); do
  running=$("$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" call "$URL" DescribeClusters '{"clusters":["bench"]}' |
    "$BENCH_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["clusters"][0]["runningTasksCount"])')
  [ "$running" -ge 50 ] && break
  sleep 0.2
done
all_up=$(($(now_ms) - t0))
[ "$running" -ge 50 ] || die "only $running of 50 tasks reached RUNNING"
arns=$("$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" call "$URL" ListTasks '{"cluster":"bench","maxResults":100}' |
  "$BENCH_PYTHON" -c 'import json,sys; print(" ".join(json.load(sys.stdin)["taskArns"]))')
for arn in $arns; do
  "$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" call "$URL" StopTask "{\"cluster\":\"bench\",\"task\":\"$arn\"}" >/dev/null
done
# Clean: every task STOPPED as DescribeTasks sees it, and none of their
# containers still running.
arn_list=$(printf '"%s",' $arns)
for _ in $(seq 1 900); do
  left=$("$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" call "$URL" DescribeTasks "{\"cluster\":\"bench\",\"tasks\":[${arn_list%,}]}" |
    "$BENCH_PYTHON" -c 'import json,sys; print(sum(t["lastStatus"] != "STOPPED" for t in json.load(sys.stdin)["tasks"]))')
  [ "$left" -eq 0 ] && break
  sleep 0.2
done
still_running=$(docker ps -q --filter label=com.amazonaws.ecs.cluster=bench | wc -l)
[ "$still_running" -eq 0 ] || left=$still_running
lat=$(ratio "$busy_p99" "$idle_p99" 2)
vs_docker=$(ratio "$busy_p99" "$docker_p99" 2)
printf '%-40s %s ms until all RUNNING; all stopped: %s\n' "50 concurrent tasks" "$all_up" "$([ "$left" -eq 0 ] && echo yes || echo no)"
printf '%-40s idle %s us, while raw Docker starts containers %s us, while Berth starts 50: %s us (%sx idle, %sx raw)\n' \
  "API p99 (DescribeClusters)" "$idle_p99" "$docker_p99" "$busy_p99" "$lat" "$vs_docker"
summary_row "50 tasks start and stop" "${all_up} ms" "-" "-" "clean" "$([ "$left" -eq 0 ] && echo PASS || echo FAIL)"
summary_row "API p99 while 50 start (vs while raw Docker works)" "${busy_p99} us" "${docker_p99} us" "${vs_docker}x" "<= 2x" "$(pass_if "$vs_docker" le 2)"
reset_berth
stop_pid "$BPID"; forget_pid "$BPID"
