#!/usr/bin/env bash
# Fails when an include crosses a boundary of the design (see STYLE.md):
# Beast/Asio only in server/http, sqlite3.h only in storage/sqlite, curl only
# in docker_backend, and nothing from server/ in storage/ or docker_backend/.
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
check 'curl/curl\.h' 'docker_backend/'
hits=$(git grep -l -E '#include "server/' -- 'storage/*' 'docker_backend/*' || true)
if [ -n "$hits" ]; then echo "boundary: storage/docker_backend include server/: $hits"; status=1; fi
[ $status -eq 0 ] && echo "boundaries: ok"
exit $status
