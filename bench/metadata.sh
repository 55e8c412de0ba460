#!/usr/bin/env bash
# The task metadata endpoint, from inside a task's network namespace: a
# static load generator (bench/tools/httpbench.c, built here) runs in a
# FROM-scratch container that joins the namespace of a running awsvpc task
# and GETs ${ECS_CONTAINER_METADATA_URI_V4}/task at 169.254.170.2 (through
# the pause container's relay) on keep-alive connections, then with a new
# connection per request (as SDK credential fetchers do), then the
# credentials endpoint. Baseline in the same run: the same requests sent
# straight to Berth on the network's gateway (no relay), so the ratio is
# the relay's cost.
# Targets (issue 9): >= 5,000 requests/s and p99 <= 5 ms on keep-alive
# connections.
# Usage: bench/metadata.sh BERTH_BINARY [SECONDS]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
SECONDS_EACH=${2:-5}
check_berth_binary "$BERTH"
require curl docker gcc
docker info >/dev/null 2>&1 || die "no Docker engine answers"
[ -x /bin/busybox ] || die "busybox-static is required"

LABEL=berth.bench=metadata-$$
cleanup_docker() {
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker image prune -af --filter "label=$LABEL" >/dev/null 2>&1 || true
}
reset_berth() { curl -fsS -X POST "$URL/_berth/reset" >/dev/null 2>&1 || true; }
trap 'reset_berth; cleanup_docker; bench_cleanup' EXIT

# The task's image (busybox sleeping) and the load generator's.
ctx=$BENCH_TMP/app
mkdir -p "$ctx"
cp /bin/busybox "$ctx/busybox"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY busybox /bin/busybox
LABEL $LABEL
ENTRYPOINT ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox sleep 3600 & wait"]
DOCKERFILE
docker build -q -t berth-bench-metadata-app:latest "$ctx" >/dev/null
gen=$BENCH_TMP/httpbench
mkdir -p "$gen"
gcc -static -O2 -pthread -o "$gen/httpbench" "$BENCH_DIR/tools/httpbench.c"
printf 'FROM scratch\nCOPY httpbench /httpbench\nLABEL %s\nENTRYPOINT ["/httpbench"]\n' "$LABEL" >"$gen/Dockerfile"
docker build -q -t berth-bench-httpbench:latest "$gen" >/dev/null

mkdir -p "$BENCH_TMP/berth"
start_berth "$BERTH" "$BENCH_TMP/berth"
URL=$STARTED_URL
PORT=${URL##*:}
ecs "$URL" CreateCluster '{"clusterName":"bench"}' >/dev/null
ecs "$URL" RegisterTaskDefinition '{"family":"meta","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512","taskRoleArn":"arn:aws:iam::000000000000:role/bench","containerDefinitions":[{"name":"app","image":"berth-bench-metadata-app:latest","essential":true,"stopTimeout":2}]}' >/dev/null
out=$("$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" run-until "$URL" bench \
  '{"cluster":"bench","taskDefinition":"meta","launchType":"FARGATE","networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-bench"]}}}') ||
  die "the task did not reach RUNNING"
TASK=${out#* }
app=$(ecs "$URL" DescribeTasks "{\"cluster\":\"bench\",\"tasks\":[\"$TASK\"]}" |
  "$BENCH_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["containers"][0]["runtimeId"])')
pause=$(docker ps -q --no-trunc --filter "label=com.amazonaws.ecs.task-arn=$TASK" --filter label=berth.role=pause)
v4=$(docker exec "$app" /bin/busybox sh -c 'echo $ECS_CONTAINER_METADATA_URI_V4')
creds=$(docker exec "$app" /bin/busybox sh -c 'echo $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI')
gateway=$(docker exec "$app" /bin/busybox sh -c 'echo $AWS_ENDPOINT_URL' | sed 's|http://||; s|:.*||')
route=$(docker exec "$app" /bin/busybox ip route get 169.254.170.2)
case "$route" in local*) ;; *) die "169.254.170.2 is not local in the task: $route" ;; esac
path=${v4#http://169.254.170.2}

# load NAME HOST PORT PATH CONNECTIONS [new]: one httpbench run in the task's
# namespace; prints its JSON line.
load() {
  local name=$1
  shift
  local result
  result=$(docker run --rm --label "$LABEL" --network "container:$pause" berth-bench-httpbench:latest \
    "$1" "$2" "$3" "$4" "$SECONDS_EACH" ${5:+new})
  log "$name: $result"
  echo "$result"
}
num() { "$BENCH_PYTHON" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

relay=$(load "task, keep-alive, via 169.254.170.2" 169.254.170.2 80 "$path/task" 4)
direct=$(load "task, keep-alive, Berth on the gateway" "$gateway" "$PORT" "$path/task" 4)
relay_new=$(load "task, new connections, via 169.254.170.2" 169.254.170.2 80 "$path/task" 4 new)
direct_new=$(load "task, new connections, Berth on the gateway" "$gateway" "$PORT" "$path/task" 4 new)
cred=$(load "credentials, keep-alive" 169.254.170.2 80 "$creds" 4)

rps=$(num "$relay" rps)
p99=$(num "$relay" p99_ms)
echo
echo "BENCH metadata rps=$rps p99_ms=$p99 direct_rps=$(num "$direct" rps) relay_ratio=$(ratio "$(num "$direct" rps)" "$rps" 2)" \
  "new_conn_rps=$(num "$relay_new" rps) new_conn_p99_ms=$(num "$relay_new" p99_ms) direct_new_conn_rps=$(num "$direct_new" rps)" \
  "credentials_rps=$(num "$cred" rps) credentials_p99_ms=$(num "$cred" p99_ms)"
summary_row "metadata /task rps (keep-alive)" "$rps" "$(num "$direct" rps)" "$(ratio "$(num "$direct" rps)" "$rps" 2)" ">= 5000" "$(pass_if "$rps" ge 5000)"
summary_row "metadata /task p99 ms" "$p99" "$(num "$direct" p99_ms)" "n/a" "<= 5" "$(pass_if "$p99" le 5)"
