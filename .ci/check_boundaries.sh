#!/usr/bin/env bash
# Fails when an include crosses a boundary of the design (see STYLE.md):
# Beast/Asio only in server/http, sqlite3.h only in storage/sqlite, curl only
# in docker_backend and upstream, and nothing from server/ in storage/,
# docker_backend/ or upstream/.
# upstream/ is Berth's second outbound HTTP client (the pull-through cache's
# registry client); like docker_backend it is a bottom layer that hands plain
# types upwards, so it may see libcurl, and it loads libcurl through
# docker_backend's CurlLibrary rather than a loader of its own.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
check() {  # pattern, allowed prefix
  local hits
  hits=$(git grep -l -E "#include <$1" -- '*.h' '*.cc' | grep -v -E "^($2|tests/)" || true)
  if [ -n "$hits" ]; then echo "boundary: <$1> outside $2: $hits"; status=1; fi
}
check 'boost/(beast|asio)' 'server/http/'
check 'sqlite3\.h' 'storage/sqlite/'
check 'curl/curl\.h' '(docker_backend|upstream)/'
hits=$(git grep -l -E '#include "server/' -- 'storage/*' 'docker_backend/*' 'upstream/*' || true)
if [ -n "$hits" ]; then echo "boundary: storage/docker_backend/upstream include server/: $hits"; status=1; fi
[ $status -eq 0 ] && echo "boundaries: ok"
exit $status
