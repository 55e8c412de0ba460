#!/usr/bin/env bash
# Container start: Berth's image (image/make-image.sh, as `./dev image` builds
# it) started by Docker, side by side with the same binary started bare.
#
#   bench/container_start.sh BERTH_BINARY
#
# Each start gets a fresh data directory (a bind mount for the container) and
# is timed from the start command to the first 200 from /_berth/health, with a
# tight connect loop; runs alternate between the three kinds, median of
# BENCH_STARTS (10) each:
#   bare       BERTH_BINARY --listen 127.0.0.1:<port> --data-dir <dir>
#   container  `docker start` of a container made (untimed) with `docker create`
#              of the image, host network and the data dir mounted, as
#              docker-compose.yml runs it
#   floor      the same `docker start` of a container from the same image
#              running a static busybox httpd instead of Berth: what Docker
#              itself takes to start any server on this machine
# Target: container <= 2x bare. Also printed: Berth's own part of the
# container start (container - floor) against the bare start.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
check_berth_binary "$BERTH"
require docker curl
[ -x /bin/busybox ] || die "/bin/busybox is required (Debian package: busybox-static)"
docker info >/dev/null 2>&1 || die "no Docker daemon answers"
STARTS=${BENCH_STARTS:-10}
TARGET_RATIO=2

RUN_ID=$RANDOM$RANDOM
TAG=berth-bench-$RUN_ID:latest
container_cleanup() {
  local id
  for id in $(docker ps -aq --filter "label=berth.bench.run=$RUN_ID"); do
    docker rm -f "$id" >/dev/null 2>&1 || true
  done
  docker rmi -f "$TAG" >/dev/null 2>&1 || true
  bench_cleanup
}
trap container_cleanup EXIT

log "container start: building the image from $BERTH"
mkdir -p "$BENCH_TMP/image" "$BENCH_TMP/www"
"$BENCH_DIR/../image/make-image.sh" --context "$BENCH_TMP/image" --label "berth.bench.run=$RUN_ID" \
  "$BERTH" "$TAG" >&2
echo ok >"$BENCH_TMP/www/index.html"
image_mb=$(docker image inspect "$TAG" --format '{{.Size}}' | awk '{ printf "%.1f", $1 / 1e6 }')

log "container start: $STARTS starts of each kind"
out=$("$BENCH_PYTHON" - "$BERTH" "$TAG" "$RUN_ID" "$BENCH_TMP" "$STARTS" <<'PY'
import os, socket, statistics, subprocess, sys, tempfile, time

berth, tag, run_id, tmp, starts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
DEVNULL = subprocess.DEVNULL


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def until_200(port, path, started, timeout_s=30):
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    while True:
        if time.perf_counter() - started > timeout_s:
            raise SystemExit(f"no 200 on port {port} within {timeout_s} s")
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(request)
            head = s.recv(64)
        except OSError:
            head = b""
        finally:
            s.close()
        if head.startswith(b"HTTP/1.") and head[9:12] == b"200":
            return (time.perf_counter() - started) * 1000


def bare():
    port, data = free_port(), tempfile.mkdtemp(dir=tmp)
    started = time.perf_counter()
    p = subprocess.Popen([berth, "--listen", f"127.0.0.1:{port}", "--data-dir", data],
                         stdout=DEVNULL, stderr=DEVNULL)
    ms = until_200(port, "/_berth/health", started)
    p.terminate()
    p.wait()
    return ms


def in_container(create_args, path, port):
    cid = subprocess.check_output(["docker", "create", "--network", "host", "--label",
                                   f"berth.bench.run={run_id}"] + create_args,
                                  text=True, stderr=DEVNULL).strip()
    started = time.perf_counter()
    p = subprocess.Popen(["docker", "start", cid], stdout=DEVNULL, stderr=DEVNULL)
    ms = until_200(port, path, started)
    p.wait()
    subprocess.run(["docker", "rm", "-f", cid], stdout=DEVNULL, stderr=DEVNULL, check=True)
    return ms


def container():
    port, data = free_port(), tempfile.mkdtemp(dir=tmp)
    return in_container(["-v", f"{data}:/var/lib/berth", tag, "--listen", f"127.0.0.1:{port}"],
                        "/_berth/health", port)


def floor():
    port = free_port()
    return in_container(["-v", "/bin/busybox:/busybox:ro", "-v", f"{tmp}/www:/www:ro",
                         "--entrypoint", "/busybox", tag, "httpd", "-f", "-p",
                         f"127.0.0.1:{port}", "-h", "/www"], "/", port)


kinds = {"bare": bare, "container": container, "floor": floor}
times = {k: [] for k in kinds}
order = list(kinds)
for run in range(starts):
    for name in order[run % 3:] + order[:run % 3]:
        times[name].append(kinds[name]())
for name, values in times.items():
    print(f"{name} median_ms={statistics.median(values):.1f} min_ms={min(values):.1f} "
          f"max_ms={max(values):.1f}", file=sys.stderr)
    print(f"{name}={statistics.median(values):.1f}")
PY
)
bare_ms=$(sed -n 's/^bare=//p' <<<"$out")
container_ms=$(sed -n 's/^container=//p' <<<"$out")
floor_ms=$(sed -n 's/^floor=//p' <<<"$out")
own_ms=$(awk -v c="$container_ms" -v f="$floor_ms" 'BEGIN { printf "%.1f", c - f }')
start_ratio=$(ratio "$container_ms" "$bare_ms" 1)
verdict=$(pass_if "$start_ratio" le "$TARGET_RATIO")

printf '%-44s %10s\n' "image size (MB, uncompressed)" "$image_mb"
printf '%-44s %10s\n' "bare start -> first 200, median (ms)" "$bare_ms"
printf '%-44s %10s\n' "container start -> first 200, median (ms)" "$container_ms"
printf '%-44s %10s\n' "floor: busybox httpd container (ms)" "$floor_ms"
printf '%-44s %10s\n' "Berth's part in the container (ms)" "$own_ms"
printf '%-44s %10s  target <= %sx %s\n' "ratio container / bare" "${start_ratio}x" "$TARGET_RATIO" \
  "$verdict"
summary_row "container start -> first answer (ms)" "$container_ms" "bare $bare_ms" "${start_ratio}x" \
  "<= ${TARGET_RATIO}x" "$verdict"
[ "$verdict" = PASS ] || exit 1
