# shellcheck shell=bash
# Shared helpers for the bench/*.sh scripts (sourced, not run).
#
# Every server a script starts is recorded in BENCH_PIDS and stopped by the
# EXIT trap installed here; every temporary file lives under BENCH_TMP, which
# the same trap removes. Servers listen on 127.0.0.1 only.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ECS_TARGET_PREFIX=AmazonEC2ContainerServiceV20141113
# auth_for REGION: an Authorization header whose SigV4 scope names REGION (Berth
# and moto both keep state per region; signatures are not checked).
auth_for() {
  printf 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/%s/ecs/aws4_request, SignedHeaders=host, Signature=0' "$1"
}
BENCH_AUTH=$(auth_for us-east-1)
# The small task definition every script registers (used by the sourcing scripts).
# shellcheck disable=SC2034
BENCH_TASK_DEFINITION='{"containerDefinitions":[{"name":"app","image":"busybox:latest","memory":128,"essential":true,"command":["sleep","3600"],"portMappings":[{"containerPort":8080,"protocol":"tcp"}],"environment":[{"name":"MODE","value":"bench"}]}]}'

# The Python that has moto (the pyenv shim costs ~50 ms per start; resolve it
# once). Override with BENCH_PYTHON.
BENCH_PYTHON=${BENCH_PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
BENCH_PIDS=()
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench.XXXXXX")

log() { printf '%s\n' "$*" >&2; }
# die MESSAGE: exit 3 (the scripts exit 1 for a missed target, 2 for an invalid
# measurement, 3 when they could not measure at all).
die() {
  log "error: $*"
  exit 3
}

# stop_pid PID: SIGTERM, up to 5 s of grace, then SIGKILL; reaps the child.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || {
    wait "$pid" 2>/dev/null || true
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# forget_pid PID: drop PID from BENCH_PIDS once it has been stopped.
forget_pid() {
  local keep=() p
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
}

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
  BENCH_PIDS=()
  rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (Debian package: $tool)"
  done
}

check_berth_binary() {
  [ -n "${1:-}" ] || die "usage: $0 BERTH_BINARY"
  [ -x "$1" ] || die "$1 is not an executable"
}

free_port() {
  "$BENCH_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_http URL [TRIES]: until GET URL answers 200 (50 ms apart).
wait_http() {
  local url=$1 tries=${2:-200} i
  for ((i = 0; i < tries; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# start_berth BINARY DATA_DIR: sets STARTED_PID and STARTED_URL. Clusters get
# the local Docker host as a container instance (EC2 tasks need one).
start_berth() {
  local binary=$1 data_dir=$2 port
  port=$(free_port)
  "$binary" --listen "127.0.0.1:$port" --data-dir "$data_dir" --log-level warn --register-local-instance \
    >>"$BENCH_TMP/berth.log" 2>&1 &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  STARTED_URL="http://127.0.0.1:$port"
  wait_http "$STARTED_URL/_berth/health" || die "Berth did not start (see $BENCH_TMP/berth.log)"
}

# start_moto: sets STARTED_PID and STARTED_URL. moto logs every request to
# stderr (its default); that goes to /dev/null.
start_moto() {
  local port
  "$BENCH_PYTHON" -c 'import moto.server' 2>/dev/null ||
    die "moto is not installed for $BENCH_PYTHON (pip install 'moto[server]')"
  port=$(free_port)
  "$BENCH_PYTHON" -m moto.server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  STARTED_URL="http://127.0.0.1:$port"
  wait_http "$STARTED_URL/" 400 || die "moto_server did not start"
}

# ecs URL OPERATION JSON [--expect PATH=VALUE | --expect-len PATH=N]...: one
# ECS call; prints the body; fails unless HTTP 200 and the expectations hold.
ecs() {
  "$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" call "$@"
}

# cpu_us PID: user + system CPU time PID (all its threads) has used, in µs.
cpu_us() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }  # fields from 3 (state) on; the command name may hold spaces
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($12 + $13) * 1e6 / hz }' <<<"$stat"
}

# rss_kib PID: VmRSS of PID in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# run_wrk URL OPERATION JSON SECONDS CONNECTIONS [SERVER_PID]: one bounded wrk
# run with bench/wrk_ecs.lua; prints wrk's summary line ("BENCH rps=...
# non2xx=..."), with cpu_us_per_req=N appended when SERVER_PID is given (the
# server's CPU time over the run / requests: steadier than requests/s on a
# busy machine, but with 10 ms clock-tick granularity). WRK_AUTH overrides the
# Authorization header (see auth_for).
run_wrk() {
  local url=$1 operation=$2 body=$3 seconds=$4 connections=${5:-8} pid=${6:-}
  local out cpu_before=0 cpu_after
  [ -z "$pid" ] || cpu_before=$(cpu_us "$pid")
  out=$(BENCH_TARGET="$ECS_TARGET_PREFIX.$operation" BENCH_BODY="$body" BENCH_AUTH="${WRK_AUTH:-$BENCH_AUTH}" \
    timeout --kill-after=5 "$((seconds + 20))" \
    wrk -t1 -c"$connections" -d"${seconds}s" --timeout 5s -s "$BENCH_DIR/wrk_ecs.lua" "$url/") ||
    die "wrk failed against $url ($operation)"
  out=$(grep '^BENCH ' <<<"$out") || die "wrk printed no summary: $out"
  if [ -n "$pid" ]; then
    cpu_after=$(cpu_us "$pid")
    out+=" cpu_us_per_req=$(awk -v c=$((cpu_after - cpu_before)) -v n="$(field "$out" requests)" \
      'BEGIN { printf "%.1f", (n > 0) ? c / n : 0 }')"
  fi
  echo "$out"
}

# field LINE NAME: the value of NAME=value in a BENCH summary line.
field() { sed -n "s/.*[[:space:]]$2=\\([^[:space:]]*\\).*/\\1/p" <<<" $1"; }

# ratio A B [DIGITS]: A/B, or "n/a" when B is 0 or empty.
ratio() {
  awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.*f\n", d, a / b }'
}

# median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Lines for run_all.sh's summary table go to BENCH_SUMMARY when it is set:
# scenario|berth|baseline|ratio|target|pass
summary_row() {
  if [ -n "${BENCH_SUMMARY:-}" ]; then printf '%s|%s|%s|%s|%s|%s\n' "$@" >>"$BENCH_SUMMARY"; fi
}

# pass_if VALUE OP LIMIT -> PASS or FAIL (OP: le or ge).
pass_if() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "n/a" || v == "") { print "FAIL"; exit }
    ok = (op == "le") ? (v + 0 <= l + 0) : (v + 0 >= l + 0)
    print (ok ? "PASS" : "FAIL") }'
}
