#!/usr/bin/env bash
# Registry throughput, Berth vs Debian's docker-registry (distribution 2.8), in
# one run on loopback with temp dirs:
#   - push of a 256 MiB blob (POST + one PUT carrying the whole body), timed by curl
#   - pull of the same blob (GET), timed by curl
#   - Berth's push throughput against what `openssl speed sha256` says one
#     core hashes (the floor of any registry that verifies digests)
#   - memory: Berth's RSS sampled while a 1 GiB blob streams in and out
#   - `docker push` of a 4-layer image to each (when a Docker engine answers)
# Targets: push >= 3x docker-registry and >= 80% of sha256 speed; pull >=
# 1.3x docker-registry; RSS growth while streaming 1 GiB < 16 MiB.
# Usage: bench/registry_vs_distribution.sh BERTH_BINARY [RUNS]
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
RUNS=${2:-3}
check_berth_binary "$BERTH"
require curl openssl docker-registry sha256sum

BLOB="$BENCH_TMP/blob-256m"
head -c $((256 << 20)) /dev/urandom >"$BLOB"
BLOB_DIGEST="sha256:$(sha256sum "$BLOB" | cut -d' ' -f1)"

start_distribution() {
  local port dir=$BENCH_TMP/distribution-$RANDOM
  port=$(free_port)
  mkdir -p "$dir"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YAML
  docker-registry serve "$dir/config.yml" >>"$BENCH_TMP/distribution.log" 2>&1 &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  STARTED_URL="http://127.0.0.1:$port"
  wait_http "$STARTED_URL/v2/" || die "docker-registry did not start"
}

create_repository() {  # URL NAME (Berth only: ECR does not create repositories on push)
  curl -fsS -o /dev/null -X POST -H "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.CreateRepository" \
    -H "Content-Type: application/x-amz-json-1.1" --data "{\"repositoryName\":\"$2\"}" "$1/"
}

# push_seconds URL REPO FILE DIGEST: POST a session, PUT the whole file; prints seconds.
push_seconds() {
  local url=$1 repo=$2 file=$3 digest=$4 location
  location=$(curl -fsS -o /dev/null -D - -X POST "$url/v2/$repo/blobs/uploads/" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "location" {print $2}')
  [ -n "$location" ] || die "no upload location from $url"
  case "$location" in http*) ;; *) location="$url$location" ;; esac
  case "$location" in *\?*) location="$location&digest=$digest" ;; *) location="$location?digest=$digest" ;; esac
  # -T streams the file (curl never holds it in memory) with a Content-Length.
  curl -fsS -o /dev/null -w '%{time_total}\n' -H "Content-Type: application/octet-stream" \
    -T "$file" "$location"
}

pull_seconds() {  # URL REPO DIGEST
  curl -fsS -o /dev/null -w '%{time_total}\n' "$1/v2/$2/blobs/$3"
}

mib_per_s() { awk -v s="$1" -v b=$((256 << 20)) 'BEGIN { printf "%.0f", b / 1048576 / s }'; }

log "== registry: 256 MiB blob push and pull (median of $RUNS runs each)"
berth_push=() berth_pull=() dist_push=() dist_pull=()
for ((run = 0; run < RUNS; run++)); do
  mkdir -p "$BENCH_TMP/berth-$run"
  start_berth "$BERTH" "$BENCH_TMP/berth-$run"
  bpid=$STARTED_PID burl=$STARTED_URL
  create_repository "$burl" bench
  start_distribution
  dpid=$STARTED_PID durl=$STARTED_URL
  berth_push+=("$(push_seconds "$burl" bench "$BLOB" "$BLOB_DIGEST")")
  dist_push+=("$(push_seconds "$durl" bench "$BLOB" "$BLOB_DIGEST")")
  # Correctness before speed: both serve back exactly the pushed bytes.
  [ "$(curl -fsS "$burl/v2/bench/blobs/$BLOB_DIGEST" | sha256sum | cut -d' ' -f1)" = "${BLOB_DIGEST#sha256:}" ] ||
    die "Berth served different bytes"
  berth_pull+=("$(pull_seconds "$burl" bench "$BLOB_DIGEST")")
  dist_pull+=("$(pull_seconds "$durl" bench "$BLOB_DIGEST")")
  stop_pid "$bpid"; forget_pid "$bpid"; stop_pid "$dpid"; forget_pid "$dpid"
  rm -rf "$BENCH_TMP/berth-$run" "$BENCH_TMP"/distribution-*
done
bp=$(median "${berth_push[@]}") dp=$(median "${dist_push[@]}")
bl=$(median "${berth_pull[@]}") dl=$(median "${dist_pull[@]}")
sha=$(openssl speed -seconds 2 -evp sha256 2>/dev/null | awk '/^sha256/ {gsub("k","",$NF); printf "%.0f", $NF * 1000 / 1048576}')
push_ratio=$(ratio "$dp" "$bp" 2) pull_ratio=$(ratio "$dl" "$bl" 2)
push_vs_sha=$(awk -v b="$(mib_per_s "$bp")" -v s="$sha" 'BEGIN { printf "%.0f", 100 * b / s }')
printf '%-34s %10s %10s %8s\n' scenario Berth baseline ratio
printf '%-34s %8s/s %8s/s %8sx  (target >= 3x)\n' "push 256 MiB (MiB/s)" "$(mib_per_s "$bp")" "$(mib_per_s "$dp")" "$push_ratio"
printf '%-34s %8s/s %8s/s %8sx  (target >= 1.3x)\n' "pull 256 MiB (MiB/s)" "$(mib_per_s "$bl")" "$(mib_per_s "$dl")" "$pull_ratio"
printf '%-34s %8s%% of %s MiB/s sha256 (target >= 80%%)\n' "push vs one core's sha256" "$push_vs_sha" "$sha"
summary_row "registry push 256 MiB" "$(mib_per_s "$bp") MiB/s" "$(mib_per_s "$dp") MiB/s" "${push_ratio}x" ">= 3x" "$(pass_if "$push_ratio" ge 3)"
summary_row "registry pull 256 MiB" "$(mib_per_s "$bl") MiB/s" "$(mib_per_s "$dl") MiB/s" "${pull_ratio}x" ">= 1.3x" "$(pass_if "$pull_ratio" ge 1.3)"
summary_row "push vs sha256 speed" "${push_vs_sha}%" "$sha MiB/s" "-" ">= 80%" "$(pass_if "$push_vs_sha" ge 80)"

log "== memory while a 1 GiB blob streams through Berth"
BIG="$BENCH_TMP/blob-1g"
head -c $((1 << 30)) /dev/zero >"$BIG"
BIG_DIGEST="sha256:$(sha256sum "$BIG" | cut -d' ' -f1)"
mkdir -p "$BENCH_TMP/berth-mem"
start_berth "$BERTH" "$BENCH_TMP/berth-mem"
bpid=$STARTED_PID burl=$STARTED_URL
create_repository "$burl" bench
base=$(rss_kib "$bpid") peak=$base
push_seconds "$burl" bench "$BIG" "$BIG_DIGEST" >/dev/null &
sampler=$!
while kill -0 "$sampler" 2>/dev/null; do
  r=$(rss_kib "$bpid"); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.02
done
wait "$sampler"
curl -fsS -o /dev/null "$burl/v2/bench/blobs/$BIG_DIGEST" &
sampler=$!
while kill -0 "$sampler" 2>/dev/null; do
  r=$(rss_kib "$bpid"); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.02
done
wait "$sampler"
growth=$(( (peak - base) / 1024 ))
printf '%-34s %s MiB -> peak %s MiB (growth %s MiB; target < 16 MiB)\n' "RSS streaming 1 GiB in and out" \
  "$((base / 1024))" "$((peak / 1024))" "$growth"
summary_row "RSS growth, 1 GiB through" "${growth} MiB" "-" "-" "< 16 MiB" "$(pass_if "$growth" le 15)"
stop_pid "$bpid"; forget_pid "$bpid"
rm -f "$BIG"

if docker info >/dev/null 2>&1 && [ -x /bin/busybox ]; then
  log "== docker push of a 4-layer image"
  ctx="$BENCH_TMP/image"
  mkdir -p "$ctx"
  cp /bin/busybox "$ctx/busybox"
  { echo "FROM scratch"; echo "COPY busybox /bin/busybox"; } >"$ctx/Dockerfile"
  for i in 1 2 3; do
    head -c $((16 << 20)) /dev/urandom >"$ctx/data$i"
    echo "COPY data$i /data$i" >>"$ctx/Dockerfile"
  done
  echo 'LABEL berth.bench=1' >>"$ctx/Dockerfile"
  docker build -q -t berth-bench-image:latest "$ctx" >/dev/null
  mkdir -p "$BENCH_TMP/berth-docker"
  start_berth "$BERTH" "$BENCH_TMP/berth-docker"
  bpid=$STARTED_PID bport=${STARTED_URL##*:}
  create_repository "$STARTED_URL" bench/image
  start_distribution
  dpid=$STARTED_PID dport=${STARTED_URL##*:}
  timed_push() {  # PORT
    docker tag berth-bench-image:latest "localhost:$1/bench/image:latest"
    local t0 t1
    t0=$(date +%s.%N)
    docker push -q "localhost:$1/bench/image:latest" >/dev/null
    t1=$(date +%s.%N)
    docker rmi "localhost:$1/bench/image:latest" >/dev/null
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
  }
  bt=$(timed_push "$bport") dt=$(timed_push "$dport")
  printf '%-34s %9ss %9ss %8sx\n' "docker push, 4 layers (seconds)" "$bt" "$dt" "$(ratio "$dt" "$bt" 2)"
  summary_row "docker push 4 layers" "${bt}s" "${dt}s" "$(ratio "$dt" "$bt" 2)x" "report" "-"
  docker rmi berth-bench-image:latest >/dev/null
else
  log "(no Docker engine answers: docker push scenario not run)"
fi
