#!/usr/bin/env bash
# awslogs collection, Berth vs `docker logs`, in one run: an ECS task whose
# container writes 200,000 numbered lines (busybox sh, about two seconds) and
# exits, logging with awslogs to a Berth log group.
#   - time from the container's exit (Docker's FinishedAt) until its last line
#     is readable through GetLogEvents, against `docker logs` reading the same
#     container's 200,000 lines (from the command's start to its end);
#   - Berth's CPU per line over the whole run (from /proc/<pid>/stat, every
#     thread: the collector, SQLite, the API answering the polls), against
#     what dockerd plus the docker CLI spend per line serving `docker logs`;
#   - Berth's RSS before the task (after a warm-up task of 100 lines, so
#     that libcurl, the task workers and a collector thread have been
#     used; the RSS of the idle Berth before that is printed too) and after
#     its last line is stored.
# Every line is then read back (GetLogEvents, paged) and must be there once,
# in order, or the measurement is invalid.
# Targets: readable within 2x the time `docker logs` takes; CPU per line
# within 3x of Docker's; RSS grows by at most 16 MiB.
# Usage: bench/logs.sh BERTH_BINARY [LINES]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
LINES=${2:-200000}
check_berth_binary "$BERTH"
require curl docker
docker info >/dev/null 2>&1 || die "no Docker engine answers"
[ -x /bin/busybox ] || die "busybox-static is required"
DOCKERD_PID=$(pidof dockerd) || die "no dockerd process to measure (is Docker remote?)"

LABEL=berth.bench=logs-$$
cleanup_docker() {
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker image prune -af --filter "label=$LABEL" >/dev/null 2>&1 || true
}
reset_berth() { [ -z "${URL:-}" ] || curl -fsS -X POST "$URL/_berth/reset" >/dev/null 2>&1 || true; }
trap 'reset_berth; cleanup_docker; bench_cleanup' EXIT

# The image: busybox, FROM scratch, labelled (removed on exit).
ctx=$BENCH_TMP/image
mkdir -p "$ctx"
cp /bin/busybox "$ctx/busybox"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY busybox /bin/busybox
COPY busybox /bin/sh
ENV PATH=/bin
LABEL $LABEL
DOCKERFILE
IMAGE=berth-bench-logs:$$
docker build -q -t "$IMAGE" "$ctx" >/dev/null

# The CloudWatch Logs calls (JSON 1.1, Logs_20140328), on one keep-alive
# connection.
cat >"$BENCH_TMP/logs.py" <<'PYTHON'
import http.client, json, sys, time

def client(url):
    host, _, port = url[len("http://"):].rstrip("/").partition(":")
    return http.client.HTTPConnection(host, int(port), timeout=30)

def call(conn, operation, body):
    conn.request("POST", "/", body=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Logs_20140328." + operation,
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/logs/"
                         "aws4_request, SignedHeaders=host, Signature=0"})
    res = conn.getresponse()
    text = res.read().decode("utf-8", "replace")
    if res.status != 200:
        raise SystemExit(f"{operation}: HTTP {res.status}: {text}")
    return json.loads(text)

cmd, url = sys.argv[1], sys.argv[2]
conn = client(url)
if cmd == "create-group":
    call(conn, "CreateLogGroup", {"logGroupName": sys.argv[3]})
elif cmd == "wait-last":
    # Polls the newest event every 10 ms until it is LAST; prints the epoch
    # seconds (float) when it was first seen.
    group, stream, last, timeout = sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            page = call(conn, "GetLogEvents", {"logGroupName": group, "logStreamName": stream,
                                               "limit": 1, "startFromHead": False})
            if page["events"] and page["events"][-1]["message"] == last:
                print(f"{time.time():.6f}")
                sys.exit(0)
        except SystemExit as e:
            if "ResourceNotFoundException" not in str(e):
                raise
        time.sleep(0.01)
    raise SystemExit(f"the last line {last} was not readable within {timeout} s")
elif cmd == "check-all":
    # Every event from the head, page by page: must be line 1..N in order.
    group, stream, count = sys.argv[3], sys.argv[4], int(sys.argv[5])
    token, expected = None, 1
    while True:
        body = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            body["nextToken"] = token
        page = call(conn, "GetLogEvents", body)
        for event in page["events"]:
            if event["message"] != f"line {expected}":
                raise SystemExit(f"event #{expected}: {event['message']!r}")
            expected += 1
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    if expected - 1 != count:
        raise SystemExit(f"{expected - 1} events instead of {count}")
    print(count)
PYTHON
logs() { "$BENCH_PYTHON" "$BENCH_TMP/logs.py" "$@"; }

mkdir -p "$BENCH_TMP/berth"
start_berth "$BERTH" "$BENCH_TMP/berth"
URL=$STARTED_URL
BPID=$STARTED_PID
GROUP=/bench/logs
logs create-group "$URL" "$GROUP"
ecs "$URL" CreateCluster '{"clusterName":"bench"}' >/dev/null
# task_definition FAMILY LINES: a container writing LINES numbered lines.
task_definition() {
  # shellcheck disable=SC2016  # the $i are the container shell's
  "$BENCH_PYTHON" -c '
import json, sys
family, image, group, lines = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
script = f"i=1; while [ $i -le {lines} ]; do echo \"line $i\"; i=$((i+1)); done"
print(json.dumps({"family": family, "networkMode": "bridge", "containerDefinitions": [{
    "name": "writer", "image": image, "memory": 64, "essential": True,
    "command": ["sh", "-c", script],
    "logConfiguration": {"logDriver": "awslogs", "options": {
        "awslogs-group": group, "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": "bench"}}}]}))' "$1" "$IMAGE" "$GROUP" "$2"
}
ecs "$URL" RegisterTaskDefinition "$(task_definition warmup 100)" >/dev/null
ecs "$URL" RegisterTaskDefinition "$(task_definition logs "$LINES")" >/dev/null
rss_idle=$(rss_kib "$BPID")
warmup=$(ecs "$URL" RunTask '{"cluster":"bench","taskDefinition":"warmup"}' |
  "$BENCH_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["taskArn"])')
logs wait-last "$URL" "$GROUP" "bench/writer/${warmup##*/}" "line 100" 120 >/dev/null
sleep 1
rss_before=$(rss_kib "$BPID")
cpu_before=$(cpu_us "$BPID")

log "== $LINES lines through awslogs"
arn=$(ecs "$URL" RunTask '{"cluster":"bench","taskDefinition":"logs"}' |
  "$BENCH_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["taskArn"])')
task_id=${arn##*/}
STREAM=bench/writer/$task_id
readable_at=$(logs wait-last "$URL" "$GROUP" "$STREAM" "line $LINES" 300)
cpu_after=$(cpu_us "$BPID")
rss_after=$(rss_kib "$BPID")
container=$(docker ps -aq --no-trunc --filter "label=com.amazonaws.ecs.task-arn=$arn")
[ -n "$container" ] || die "no container for $arn"
finished=$(docker inspect --format '{{.State.FinishedAt}}' "$container")
started=$(docker inspect --format '{{.State.StartedAt}}' "$container")
# epoch TIME: an RFC 3339 time of Docker's in epoch seconds.
epoch() {
  "$BENCH_PYTHON" -c '
import datetime, sys
t = sys.argv[1].rstrip("Z")
base, _, frac = t.partition(".")
print(datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(
    tzinfo=datetime.timezone.utc).timestamp() + float("0." + (frac or "0")))' "$1"
}
finished_at=$(epoch "$finished")
ran_ms=$(awk -v a="$finished_at" -v b="$(epoch "$started")" 'BEGIN { printf "%.0f", (a - b) * 1000 }')
berth_ms=$(awk -v a="$readable_at" -v b="$finished_at" 'BEGIN { printf "%.0f", (a - b) * 1000 }')
logs check-all "$URL" "$GROUP" "$STREAM" "$LINES" >/dev/null ||
  { log "INVALID: the stream does not hold every line once, in order"; exit 2; }

# Baseline: `docker logs` reading the same container's lines, dockerd's and
# the CLI's CPU counted (the CLI's from its rusage).
dockerd_before=$(cpu_us "$DOCKERD_PID")
read -r docker_ms cli_us < <("$BENCH_PYTHON" -c '
import resource, subprocess, sys, time
t0 = time.time()
out = subprocess.run(["docker", "logs", sys.argv[1]], capture_output=True, check=True).stdout
ms = (time.time() - t0) * 1000
if out.splitlines()[-1].decode() != sys.argv[2]:
    raise SystemExit("docker logs did not end with the last line")
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{ms:.0f} {(r.ru_utime + r.ru_stime) * 1e6:.0f}")' "$container" "line $LINES")
dockerd_after=$(cpu_us "$DOCKERD_PID")

berth_cpu=$(awk -v c=$((cpu_after - cpu_before)) -v n="$LINES" 'BEGIN { printf "%.2f", c / n }')
docker_cpu=$(awk -v c=$((dockerd_after - dockerd_before + cli_us)) -v n="$LINES" 'BEGIN { printf "%.2f", c / n }')
t_ratio=$(ratio "$berth_ms" "$docker_ms" 2)
c_ratio=$(ratio "$berth_cpu" "$docker_cpu" 2)
growth=$(((rss_after - rss_before) / 1024))
printf '%-44s %8s ms %8s ms %8sx (target <= 2x)\n' "last line readable after exit vs docker logs" \
  "$berth_ms" "$docker_ms" "$t_ratio"
printf '%-44s %8s us %8s us %8sx (target <= 3x)\n' "CPU per line (Berth vs dockerd+CLI)" \
  "$berth_cpu" "$docker_cpu" "$c_ratio"
printf '%-44s %8s ms\n' "(the container wrote its lines for)" "$ran_ms"
printf '%-44s %8s KiB -> %s KiB (+%s MiB, target <= 16 MiB; idle at start %s KiB)\n' \
  "Berth RSS before/after" "$rss_before" "$rss_after" "$growth" "$rss_idle"
summary_row "awslogs: last line readable after exit" "${berth_ms} ms" "${docker_ms} ms" \
  "${t_ratio}x" "<= 2x" "$(pass_if "$t_ratio" le 2)"
summary_row "awslogs: CPU per line" "${berth_cpu} us" "${docker_cpu} us" "${c_ratio}x" "<= 3x" \
  "$(pass_if "$c_ratio" le 3)"
summary_row "awslogs: RSS growth" "+${growth} MiB" "-" "-" "<= 16 MiB" "$(pass_if "$growth" le 16)"
reset_berth
stop_pid "$BPID"
forget_pid "$BPID"
[ "$(pass_if "$t_ratio" le 2)" = PASS ] && [ "$(pass_if "$c_ratio" le 3)" = PASS ] &&
  [ "$growth" -le 16 ] || exit 1
