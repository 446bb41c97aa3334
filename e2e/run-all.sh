#!/usr/bin/env bash
# Runs every end-to-end suite against the built distribution (agent/target/connmon.jar, bin/connmon).
# Each suite prints ok/not ok lines and its own "N passed, M failed"; this prints the sum last.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
total_passed=0
total_failed=0
for suite in cli prometheus webconfig kit scale systemd; do
  script="$here/$suite/run.sh"
  [ -x "$script" ] || continue
  echo "# e2e suite: $suite"
  out=$(mktemp)
  bash "$script" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
  p=$(echo "$line" | awk '{print $1}')
  f=$(echo "$line" | awk '{print $3}')
  if [ -z "$line" ]; then f=1; p=0; echo "not ok - suite $suite printed no summary (exit $rc)"; fi
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then f=1; echo "not ok - suite $suite exited $rc"; fi
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  rm -f "$out"
done
echo "e2e: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
