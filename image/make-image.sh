#!/usr/bin/env bash
# Builds Berth's runtime image from a berth binary, offline:
#   image/make-image.sh [--context DIR] [--label KEY=VALUE]... BERTH_BINARY TAG
# Stages DIR/rootfs (default: image/rootfs, the context docker-compose.yml
# builds from) with the stripped binary, the dynamic loader and every shared
# library the binary and libcurl.so.4 (dlopened by berth) load, resolved by
# ldd on this machine, then `docker build`s image/Dockerfile over it as TAG.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
context="$here"
labels=()
while [ $# -gt 0 ]; do
  case "$1" in
    --context) context="$2"; shift 2 ;;
    --label) labels+=(--label "$2"); shift 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 2 ]; then
  sed -n '3,3p' "$0" | sed 's/^# *//' >&2
  exit 2
fi
binary="$1"
tag="$2"
[ -x "$binary" ] || { echo "make-image: $binary is not an executable" >&2; exit 1; }

rootfs="$context/rootfs"
rm -rf "$rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/var/lib/berth" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
strip --strip-all -o "$rootfs/usr/local/bin/berth" "$binary"

# libcurl is not linked (berth dlopens it on first use of Docker): resolve it
# the way the loader will.
curl_lib=$(ldconfig -p | awk '$1 == "libcurl.so.4" && /x86-64|x86_64|64bit/ { print $NF; exit }')
[ -n "$curl_lib" ] || curl_lib=$(ldconfig -p | awk '$1 == "libcurl.so.4" { print $NF; exit }')
[ -n "$curl_lib" ] || { echo "make-image: libcurl.so.4 not found (install libcurl4)" >&2; exit 1; }

# Every library keeps the path the loader found it at (its soname as the file
# name), so the loader's default directories find it in the image too.
copy_lib() {  # path-as-found, soname
  local dir
  dir="$rootfs$(dirname "$1")"
  mkdir -p "$dir"
  cp -L "$1" "$dir/$2"
}
{ ldd "$binary"; ldd "$curl_lib"; } | while read -r first arrow path _; do
  if [ "$arrow" = "=>" ] && [ -f "$path" ]; then
    copy_lib "$path" "$first"
  elif [ "${first:0:1}" = "/" ] && [ -f "$first" ]; then
    copy_lib "$first" "$(basename "$first")"  # the dynamic loader
  fi
done
copy_lib "$curl_lib" libcurl.so.4

if ! out=$(docker build -q --force-rm "${labels[@]}" -t "$tag" -f "$here/Dockerfile" "$context" 2>&1); then
  echo "$out" >&2
  exit 1
fi
echo "make-image: built $tag ($(du -sh --apparent-size "$rootfs" | cut -f1) staged)"
