#!/usr/bin/env bash
# ListTaskDefinitions with 100 vs 100,000 stored revisions.
#
#   bench/list_scaling.sh BERTH_BINARY
#
# Two data dirs with the same 10 families (bench-f00 .. bench-f09): "small"
# holds 10 revisions per family (100 in all), "large" 10,000 per family
# (100,000). Revision 1 of each family is registered through the API; Berth is
# then stopped and the other revisions are inserted with the sqlite3 CLI into
# ecs_task_definitions / ecs_task_definition_families, each a copy of the
# family's API-registered `document` with its own revision and ARN, and Berth
# is restarted on the data dir. Both Berths then run side by side and get the
# same wrk load for three queries:
#
#   default   {}                       first page of 100, ACTIVE, ASC
#   prefix    familyPrefix=bench-f05, maxResults=10
#   deep      a page of 10 after a nextToken 85% into the listing (position
#             85 of 100 / 85,000 of 100,000), fetched by paging like a client
#
# Every query returns the same number of ARNs from both stores (the prefix and
# deep pages ask for 10 because the small store has only 10 revisions per
# family and 15 after the deep token), so the ratio small/large isolates the
# cost of the store's size. Ratio = requests/s at 100 / requests/s at 100,000
# (how many times slower the large store is); target <= 1.5x.
#
# Environment: BENCH_SECONDS (3), BENCH_ROUNDS (2; median over rounds, small
# and large alternating), BENCH_CONNECTIONS (8), BENCH_LARGE_PER_FAMILY (10000).
# Exit status: 0 all targets met, 1 a target missed, 2 a measurement invalid, 3 an
# error.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
check_berth_binary "$BERTH"
require wrk curl sqlite3
SECONDS_PER_RUN=${BENCH_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
FAMILIES=10
SMALL_PER_FAMILY=10
LARGE_PER_FAMILY=${BENCH_LARGE_PER_FAMILY:-10000}
TARGET_RATIO=1.5

family_name() { printf 'bench-f%02d' "$1"; }

# fill DATA_DIR PER_FAMILY: register revision 1 of every family through the
# API, stop Berth, insert revisions 2..PER_FAMILY with sqlite3.
fill() {
  local data_dir=$1 per_family=$2 f pid
  start_berth "$BERTH" "$data_dir"
  pid=$STARTED_PID
  for ((f = 0; f < FAMILIES; f++)); do
    ecs "$STARTED_URL" RegisterTaskDefinition \
      "{\"family\":\"$(family_name "$f")\",${BENCH_TASK_DEFINITION#\{}" \
      --expect taskDefinition.revision=1 >/dev/null
  done
  stop_pid "$pid"
  forget_pid "$pid"
  # Copies of each family's revision 1: same document, own revision and ARN
  # (rtrim drops the ":1" digits of the ARN), registered a millisecond apart.
  sqlite3 -bail "$data_dir/berth.db" <<SQL
BEGIN;
WITH RECURSIVE n(r) AS (SELECT 2 UNION ALL SELECT r + 1 FROM n WHERE r < $per_family)
INSERT INTO ecs_task_definitions (account_id, region, family, revision, status,
    registered_at, deregistered_at, delete_requested_at, document)
SELECT t.account_id, t.region, t.family, n.r, 'ACTIVE', t.registered_at + n.r / 1000.0, NULL, NULL,
       json_set(t.document, '\$.revision', n.r,
                '\$.taskDefinitionArn',
                rtrim(json_extract(t.document, '\$.taskDefinitionArn'), '0123456789') || n.r)
FROM ecs_task_definitions t, n
WHERE t.revision = 1
ORDER BY t.family, n.r;
UPDATE ecs_task_definition_families SET last_revision = $per_family;
COMMIT;
SQL
  local count
  count=$(sqlite3 "$data_dir/berth.db" \
    "SELECT count(*) FROM ecs_task_definitions WHERE status = 'ACTIVE'")
  [ "$count" -eq $((FAMILIES * per_family)) ] || die "expected $((FAMILIES * per_family)) rows, found $count"
  log "filled $data_dir with $count revisions"
}

log "filling the small store ($((FAMILIES * SMALL_PER_FAMILY)) revisions)"
fill "$BENCH_TMP/small" "$SMALL_PER_FAMILY"
log "filling the large store ($((FAMILIES * LARGE_PER_FAMILY)) revisions)"
fill "$BENCH_TMP/large" "$LARGE_PER_FAMILY"

start_berth "$BERTH" "$BENCH_TMP/small"
declare -A URL=([small]=$STARTED_URL) PID=([small]=$STARTED_PID)
start_berth "$BERTH" "$BENCH_TMP/large"
URL[large]=$STARTED_URL
PID[large]=$STARTED_PID

# --- queries, checked on both stores before any load -------------------------
QUERIES=(default prefix deep)
declare -A BODY
BODY[default]='{}'
BODY[prefix]='{"familyPrefix":"bench-f05","maxResults":10}'
for store in small large; do
  per=$SMALL_PER_FAMILY
  [ "$store" = large ] && per=$LARGE_PER_FAMILY
  total=$((FAMILIES * per))
  url=${URL[$store]}
  arn_prefix="arn:aws:ecs:us-east-1:000000000000:task-definition"
  last_default="bench-f00:100"
  [ "$per" -lt 100 ] && last_default="$(family_name $((100 / per - 1))):$per"
  ecs "$url" ListTaskDefinitions "${BODY[default]}" --expect-len taskDefinitionArns=100 \
    --expect "taskDefinitionArns.0=$arn_prefix/bench-f00:1" \
    --expect "taskDefinitionArns.99=$arn_prefix/$last_default" >/dev/null
  ecs "$url" ListTaskDefinitions "${BODY[prefix]}" --expect-len taskDefinitionArns=10 \
    --expect "taskDefinitionArns.0=$arn_prefix/bench-f05:1" >/dev/null
  position=$((total * 85 / 100))
  token=$("$BENCH_PYTHON" "$BENCH_DIR/bench_util.py" deep-token "$url" "$position")
  deep_body="{\"maxResults\":10,\"nextToken\":\"$token\"}"
  # Item position+1 of the listing (families in order, revisions from 1).
  first_family=$((position / per))
  first_revision=$((position % per + 1))
  ecs "$url" ListTaskDefinitions "$deep_body" --expect-len taskDefinitionArns=10 \
    --expect "taskDefinitionArns.0=$arn_prefix/$(family_name "$first_family"):$first_revision" \
    >/dev/null
  BODY[deep.$store]=$deep_body
  log "$store store ($total revisions): every query answers 200 with the expected page;" \
    "deep token after item $position"
done

# --- load ----------------------------------------------------------------------
declare -A RESULTS
for ((round = 1; round <= ROUNDS; round++)); do
  for query in "${QUERIES[@]}"; do
    if ((round % 2)); then order=(small large); else order=(large small); fi
    for store in "${order[@]}"; do
      body=${BODY[$query]:-${BODY[$query.$store]:-}}
      log "round $round: $query against the $store store (${SECONDS_PER_RUN}s)"
      line=$(run_wrk "${URL[$store]}" ListTaskDefinitions "$body" "$SECONDS_PER_RUN" "$CONNECTIONS" \
        "${PID[$store]}")
      RESULTS[$store.$query]+="${line// /,};"
    done
  done
done

median_field() {
  local values=() entry entries
  IFS=';' read -r -a entries <<<"${RESULTS[$1.$2]}"
  for entry in "${entries[@]}"; do
    [ -n "$entry" ] && values+=("$(field " ${entry//,/ }" "$3")")
  done
  median "${values[@]}"
}
bad_count() {
  local total=0 entry entries f
  IFS=';' read -r -a entries <<<"${RESULTS[$1.$2]}"
  for entry in "${entries[@]}"; do
    [ -n "$entry" ] || continue
    for f in non2xx connect_errors read_errors write_errors timeouts; do
      total=$((total + $(field " ${entry//,/ }" "$f")))
    done
  done
  echo "$total"
}

us_to_ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

echo
echo "ListTaskDefinitions, $((FAMILIES * SMALL_PER_FAMILY)) vs $((FAMILIES * LARGE_PER_FAMILY)) stored revisions" \
  "(wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, $ROUNDS round(s), median)"
printf '%-8s %9s %9s %7s | %8s %8s | %8s %8s %7s | %6s %s\n' query "100 /s" "100k /s" ratio \
  "100 p50" "100k p50" "100 CPU" "100k CPU" ratio errors verdict
status=0
for query in "${QUERIES[@]}"; do
  s_rps=$(median_field small "$query" rps)
  l_rps=$(median_field large "$query" rps)
  s_cpu=$(median_field small "$query" cpu_us_per_req)
  l_cpu=$(median_field large "$query" cpu_us_per_req)
  bad=$(($(bad_count small "$query") + $(bad_count large "$query")))
  r=$(ratio "$s_rps" "$l_rps" 2)
  verdict=$(pass_if "$r" le "$TARGET_RATIO")
  [ "$bad" -eq 0 ] || verdict=INVALID
  if [ "$verdict" = INVALID ]; then status=2; elif [ "$verdict" = FAIL ] && [ "$status" -eq 0 ]; then status=1; fi
  printf '%-8s %9.0f %9.0f %6sx | %6sms %6sms | %6.0fus %6.0fus %6sx | %6s %s\n' "$query" \
    "$s_rps" "$l_rps" "$r" "$(us_to_ms "$(median_field small "$query" p50_us)")" \
    "$(us_to_ms "$(median_field large "$query" p50_us)")" "$s_cpu" "$l_cpu" \
    "$(ratio "$l_cpu" "$s_cpu" 2)" "$bad" "$verdict"
  summary_row "list 100k vs 100: $query (req/s)" "$(printf '%.0f' "$l_rps")" \
    "$(printf '%.0f' "$s_rps")" "${r}x slower" "<= ${TARGET_RATIO}x" "$verdict"
done
echo "(ratio = req/s with 100 revisions / req/s with 100,000, i.e. how many times slower the large"
echo " store answers, the target's measure; CPU = Berth CPU time per request, its ratio 100k/100)"
exit "$status"
