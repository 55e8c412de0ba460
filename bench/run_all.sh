#!/usr/bin/env bash
# Runs every benchmark and prints a compact summary table.
#
#   bench/run_all.sh BERTH_BINARY        (./dev bench builds and calls this)
#
# Each script prints its own detailed table; the summary at the end has one row
# per figure: scenario, Berth, baseline, ratio, target, verdict. Baselines:
# moto_server for api_* and footprint rows, the 100-revision store for list_*
# rows, a fleet view built afresh for each placement for placement rows. Exit status: 0 when every target is met, 1 otherwise.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BERTH=${1:-}
check_berth_binary "$BERTH"
export BENCH_SUMMARY=$BENCH_TMP/summary

declare -A STATUS
for script in api_vs_moto footprint list_scaling registry_vs_distribution task_start services logs container_start dashboard pull_through placement; do
  echo "=== $script"
  rc=0
  "$BENCH_DIR/$script.sh" "$BERTH" || rc=$?
  STATUS[$script]=$rc
  echo
done

echo "=== summary (Berth binary: $BERTH)"
printf '%-42s %10s %10s %14s %12s %s\n' scenario Berth baseline ratio target verdict
overall=0
if [ -s "$BENCH_SUMMARY" ]; then
  while IFS='|' read -r scenario berth baseline r target verdict; do
    printf '%-42s %10s %10s %14s %12s %s\n' "$scenario" "$berth" "$baseline" "$r" "$target" "$verdict"
    [ "$verdict" = PASS ] || overall=1
  done <"$BENCH_SUMMARY"
fi
for script in "${!STATUS[@]}"; do
  if [ "${STATUS[$script]}" -gt 1 ]; then
    echo "$script failed (exit ${STATUS[$script]}); see its output above"
    overall=1
  fi
done
exit "$overall"
