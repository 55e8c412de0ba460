#!/usr/bin/env bash
# API throughput, Berth vs moto_server, measured side by side in one run.
#
#   bench/api_vs_moto.sh BERTH_BINARY
#
# Starts Berth and moto_server on free loopback ports (Berth with a temporary
# data dir), prepares both identically (CreateCluster "bench", four
# RegisterTaskDefinition of family "bench-td", in us-east-1), checks that every
# scenario answers HTTP 200 with the expected content on both, then runs the
# same wrk load (-t1 -c$BENCH_CONNECTIONS -d$BENCH_SECONDS) against each and
# prints requests/s and the ratio Berth/moto. Target: >= 50x.
#
# The RegisterTaskDefinition load is signed for another region (us-west-2;
# both servers keep state per region), so the revisions it piles up (far more
# on Berth than on moto) never change what the read scenarios see.
#
# Environment: BENCH_SECONDS (5), BENCH_CONNECTIONS (8), BENCH_ROUNDS (1; with
# more, each figure is the median over rounds, Berth and moto alternating).
# Exit status: 0 all targets met, 1 a target missed, 2 a measurement invalid, 3 an
# error.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
check_berth_binary "$BERTH"
require wrk curl
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
ROUNDS=${BENCH_ROUNDS:-1}
TARGET_RATIO=50

start_berth "$BERTH" "$BENCH_TMP/berth-data"
BERTH_URL=$STARTED_URL
BERTH_PID=$STARTED_PID
start_moto
MOTO_URL=$STARTED_URL
MOTO_PID=$STARTED_PID
log "Berth at $BERTH_URL, moto_server at $MOTO_URL"

FAMILY_BODY="{\"family\":\"bench-td\",${BENCH_TASK_DEFINITION#\{}"
SCENARIOS=(DescribeClusters RegisterTaskDefinition DescribeTaskDefinition ListTaskDefinitions)
WRITE_REGION=us-west-2
declare -A SCENARIO_AUTH=([RegisterTaskDefinition]=$(auth_for "$WRITE_REGION"))
declare -A BODY=(
  [DescribeClusters]='{"clusters":["bench"]}'
  [RegisterTaskDefinition]=$FAMILY_BODY
  [DescribeTaskDefinition]='{"taskDefinition":"bench-td"}'
  [ListTaskDefinitions]='{}'
)

# --- prepare both identically, and check every scenario answers 200 -------
for url in "$BERTH_URL" "$MOTO_URL"; do
  ecs "$url" CreateCluster '{"clusterName":"bench"}' --expect cluster.clusterName=bench >/dev/null
  for revision in 1 2 3 4; do
    ecs "$url" RegisterTaskDefinition "$FAMILY_BODY" --expect taskDefinition.revision="$revision" \
      >/dev/null
  done
  # The scenario requests themselves.
  ecs "$url" RegisterTaskDefinition "${BODY[RegisterTaskDefinition]}" --region "$WRITE_REGION" \
    --expect taskDefinition.family=bench-td --expect taskDefinition.revision=1 \
    --expect taskDefinition.status=ACTIVE \
    --expect "taskDefinition.taskDefinitionArn=arn:aws:ecs:$WRITE_REGION:$([ "$url" = "$BERTH_URL" ] &&
      echo 000000000000 || echo 123456789012):task-definition/bench-td:1" >/dev/null
  ecs "$url" DescribeClusters "${BODY[DescribeClusters]}" --expect clusters.0.clusterName=bench \
    --expect clusters.0.status=ACTIVE --expect-len failures=0 >/dev/null
  ecs "$url" DescribeTaskDefinition "${BODY[DescribeTaskDefinition]}" \
    --expect taskDefinition.revision=4 --expect taskDefinition.containerDefinitions.0.name=app \
    >/dev/null
  ecs "$url" ListTaskDefinitions "${BODY[ListTaskDefinitions]}" --expect-len taskDefinitionArns=4 \
    >/dev/null
done
log "both servers answer every scenario with 200 and the expected content"

# --- load ------------------------------------------------------------------
declare -A RESULTS  # [server.scenario] = space-separated BENCH lines, one per round
for ((round = 1; round <= ROUNDS; round++)); do
  for scenario in "${SCENARIOS[@]}"; do
    # Alternate who goes first, so slow drift in machine load hits both.
    if ((round % 2)); then order=(berth moto); else order=(moto berth); fi
    for server in "${order[@]}"; do
      if [ "$server" = berth ]; then url=$BERTH_URL pid=$BERTH_PID; else url=$MOTO_URL pid=$MOTO_PID; fi
      log "round $round: $scenario against $server (${SECONDS_PER_RUN}s, $CONNECTIONS connections)"
      line=$(WRK_AUTH=${SCENARIO_AUTH[$scenario]:-} run_wrk "$url" "$scenario" "${BODY[$scenario]}" \
        "$SECONDS_PER_RUN" "$CONNECTIONS" "$pid")
      RESULTS[$server.$scenario]+="${line// /,};"
    done
  done
done

# median_field SERVER SCENARIO FIELD: median over rounds.
median_field() {
  local values=() entry
  IFS=';' read -r -a entries <<<"${RESULTS[$1.$2]}"
  for entry in "${entries[@]}"; do
    [ -n "$entry" ] && values+=("$(field " ${entry//,/ }" "$3")")
  done
  median "${values[@]}"
}
sum_field() {
  local total=0 entry
  IFS=';' read -r -a entries <<<"${RESULTS[$1.$2]}"
  for entry in "${entries[@]}"; do
    [ -n "$entry" ] && total=$((total + $(field " ${entry//,/ }" "$3")))
  done
  echo "$total"
}

us_to_ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

echo
echo "API throughput, Berth vs moto_server (wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s," \
  "$ROUNDS round(s), median)"
printf '%-23s %9s %9s %7s | %8s %8s | %9s %9s %7s | %7s %s\n' scenario "Berth/s" "moto/s" ratio \
  "Berth p50" "moto p50" "Berth CPU" "moto CPU" ratio non-2xx verdict
status=0
for scenario in "${SCENARIOS[@]}"; do
  b_rps=$(median_field berth "$scenario" rps)
  m_rps=$(median_field moto "$scenario" rps)
  b_cpu=$(median_field berth "$scenario" cpu_us_per_req)
  m_cpu=$(median_field moto "$scenario" cpu_us_per_req)
  bad=0
  for server in berth moto; do
    for f in non2xx connect_errors read_errors write_errors timeouts; do
      bad=$((bad + $(sum_field "$server" "$scenario" "$f")))
    done
  done
  r=$(ratio "$b_rps" "$m_rps" 1)
  verdict=$(pass_if "$r" ge "$TARGET_RATIO")
  if [ "$bad" -ne 0 ]; then verdict="INVALID"; fi
  if [ "$verdict" = INVALID ]; then status=2; elif [ "$verdict" = FAIL ] && [ "$status" -eq 0 ]; then status=1; fi
  printf '%-23s %9.0f %9.0f %6sx | %6sms %6sms | %7.0fus %7.0fus %6sx | %3s/%-3s %s\n' "$scenario" \
    "$b_rps" "$m_rps" "$r" "$(us_to_ms "$(median_field berth "$scenario" p50_us)")" \
    "$(us_to_ms "$(median_field moto "$scenario" p50_us)")" "$b_cpu" "$m_cpu" \
    "$(ratio "$m_cpu" "$b_cpu" 1)" "$(sum_field berth "$scenario" non2xx)" \
    "$(sum_field moto "$scenario" non2xx)" "$verdict"
  summary_row "api $scenario (req/s)" "$(printf '%.0f' "$b_rps")" "$(printf '%.0f' "$m_rps")" \
    "${r}x" ">= ${TARGET_RATIO}x" "$verdict"
done
echo "(ratio = Berth/moto requests per second, the target's measure; CPU = server CPU time per"
echo " request, user+system, all threads, its ratio moto/Berth: independent of how much CPU each got."
echo " non-2xx = Berth/moto answers that were not 2xx: any, or a socket error, makes a scenario"
echo " INVALID, its figures measuring an error path)"
exit "$status"
