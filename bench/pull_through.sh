#!/usr/bin/env bash
# Pull-through cache first pull, Berth vs the upstream itself, in one run:
# a 64 MiB image (FROM scratch: busybox-static + 64 MiB of random bytes) is
# pushed to Debian's docker-registry on loopback; then, alternating,
#   - `docker pull` straight from docker-registry, and
#   - `docker pull` through a fresh Berth (new data dir, a pull-through cache
#     rule for quay.io redirected to that docker-registry), i.e. a first pull
#     that imports the manifest and streams the blobs while storing them,
# each after removing the image from the Docker engine. Prints the median
# seconds of each and the ratio Berth/direct. Target: <= 1.3.
# Usage: bench/pull_through.sh BERTH_BINARY [RUNS]
# Exit status: 0 target met, 1 missed, 3 an error.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
RUNS=${2:-3}
TARGET=1.3
check_berth_binary "$BERTH"
require docker docker-registry curl
docker info >/dev/null 2>&1 || die "no Docker engine answers"

# The upstream.
UP_PORT=$(free_port)
mkdir -p "$BENCH_TMP/upstream"
cat >"$BENCH_TMP/upstream/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $BENCH_TMP/upstream/data}}
http: {addr: 127.0.0.1:$UP_PORT}
YAML
docker-registry serve "$BENCH_TMP/upstream/config.yml" >>"$BENCH_TMP/distribution.log" 2>&1 &
BENCH_PIDS+=("$!")
UPSTREAM=127.0.0.1:$UP_PORT
wait_http "http://$UPSTREAM/v2/" || die "docker-registry did not start"

# The image, pushed once.
ID=berth-bench-$RANDOM$RANDOM
CTX=$BENCH_TMP/ctx
mkdir -p "$CTX"
cp /bin/busybox "$CTX/busybox"
head -c $((64 << 20)) /dev/urandom >"$CTX/payload"
printf 'FROM scratch\nLABEL berth.test=1 berth.bench=%s\nCOPY busybox /bin/busybox\nCOPY payload /payload\nENTRYPOINT ["/bin/busybox", "true"]\n' \
  "$ID" >"$CTX/Dockerfile"
IMAGE=$UPSTREAM/bench/big:1
docker build -q -t "$IMAGE" "$CTX" >/dev/null
docker push "$IMAGE" >/dev/null
forget_image() { docker rmi -f "$@" >/dev/null 2>&1 || true; }
forget_image "$IMAGE"
cleanup_images() { docker image prune -af --filter "label=berth.bench=$ID" >/dev/null 2>&1 || true; }
trap 'cleanup_images; bench_cleanup' EXIT

seconds_of() {  # command...: runs it, prints its wall time in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

direct=()
through=()
for run in $(seq "$RUNS"); do
  direct+=("$(seconds_of docker pull "$IMAGE")")
  forget_image "$IMAGE"

  # A fresh Berth whose quay.io is the upstream (start_berth passes no
  # environment).
  port=$(free_port)
  BERTH_UPSTREAM_ENDPOINTS="quay.io=http://$UPSTREAM" "$BERTH" --listen "127.0.0.1:$port" \
    --data-dir "$BENCH_TMP/berth-$run" --log-level warn >>"$BENCH_TMP/berth.log" 2>&1 &
  BERTH_PID=$!
  BENCH_PIDS+=("$BERTH_PID")
  wait_http "http://127.0.0.1:$port/_berth/health" || die "Berth did not start"
  curl -fsS -o /dev/null -X POST \
    -H "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.CreatePullThroughCacheRule" \
    -H "Content-Type: application/x-amz-json-1.1" \
    --data '{"ecrRepositoryPrefix":"quay","upstreamRegistryUrl":"quay.io"}' "http://127.0.0.1:$port/"
  through_image=localhost:$port/quay/bench/big:1
  through+=("$(seconds_of docker pull "$through_image")")
  forget_image "$through_image"
  stop_pid "$BERTH_PID"
  forget_pid "$BERTH_PID"
  log "run $run: direct ${direct[-1]} s, through Berth ${through[-1]} s"
done

D=$(median "${direct[@]}")
T=$(median "${through[@]}")
R=$(ratio "$T" "$D" 2)
printf '%-44s %10s\n' "docker pull, 64 MiB, from docker-registry" "$D s"
printf '%-44s %10s\n' "docker pull, 64 MiB, first through Berth" "$T s"
printf '%-44s %10s  %s (target <= %s)\n' "ratio Berth / direct" "$R" "$(pass_if "$R" le "$TARGET")" "$TARGET"
[ "$(pass_if "$R" le "$TARGET")" = PASS ]
