#!/usr/bin/env bash
# Prints, last, what each failed test said: for every test of ctest's
# LastTest.log that failed, its name and each gtest failure with the lines
# after it. CI's record keeps only the end of the output, where ctest's own
# summary names the failed tests but not why they failed.
#
#   .ci/failure_digest.sh BUILD_DIR [LINES_PER_FAILURE]
set -euo pipefail
log="${1:?usage: $0 BUILD_DIR [LINES_PER_FAILURE]}/Testing/Temporary/LastTest.log"
after=${2:-8}
[ -f "$log" ] || { echo "failure digest: no $log"; exit 0; }
echo "=== failure digest (from $log) ==="
awk -v after="$after" '
  /^[0-9]+\/[0-9]+ Testing: / { name = $3; n = 0; delete body; next }
  name != "" { body[++n] = $0 }
  /^Test Failed\./ && name != "" {
    print "--- " name
    shown = 0
    for (i = 1; i <= n; i++) {
      if (body[i] ~ /: Failure$/ || body[i] ~ /Failed$/ || body[i] ~ /\[  FAILED  \]/) {
        for (j = i; j <= n && j <= i + after; j++) print body[j]
        i = j - 1
        if (++shown >= 6) { print "(more failures not shown)"; break }
      }
    }
    if (shown == 0) for (i = (n > 20 ? n - 20 : 1); i <= n; i++) print body[i]
    name = ""
  }
' "$log" | cut -c1-400
