#!/usr/bin/env bash
# connmon at 1,000,000 sockets with the shipped launcher flags: a generated proc tree, `serve --max-age 0`, and
# rounds of one /snapshot and three /metrics at once (each /metrics collects anew). connmon must stay alive and
# answer every request 200 or 503 (an extra /snapshot refused while another renders); it must never die of
# OutOfMemoryError. Prints the peak RSS and heap. Bounded: ROUNDS rounds (default 4), each request at most
# 120 s. Needs python3 and curl; jcmd (from the JDK) for the heap figure.
#   e2e/scale/run.sh [SOCKETS]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
root=$(repo_root)
connmon="$root/bin/connmon"
sockets=${1:-1000000}
rounds=${ROUNDS:-4}
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$here/gen-proc.py" "$work/proc" "$sockets" || { fail "generate a proc tree of $sockets sockets"; finish; exit 1; }
pass "generated a proc tree of $sockets sockets ($(du -sm "$work/proc" | cut -f1) MB)"

port=$(free_port)
"$connmon" serve --proc-root "$work/proc" --max-age 0 --listen "127.0.0.1:$port" > "$work/log" 2>&1 &
pid=$!
check "ready within 60 s" wait_for 60 curl -sf "http://127.0.0.1:$port/-/ready"

peak_heap=0
for round in $(seq 1 "$rounds"); do
  curl -s -o /dev/null -m 120 -w '%{http_code}\n' "http://127.0.0.1:$port/snapshot" > "$work/snapshot.$round" &
  s=$!
  m=()
  for i in 1 2 3; do
    curl -s -m 120 -w '%{http_code}\n' -o "$work/metrics.$round.$i" "http://127.0.0.1:$port/metrics" \
      > "$work/code.$round.$i" &
    m+=($!)
  done
  if command -v jcmd >/dev/null 2>&1; then
    sleep 2
    # the used KiB of every generation (young and old), summed
    used=$(jcmd "$pid" GC.heap_info 2>/dev/null | awk '/generation|region/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i+1); sub(/K,?$/, "", v); s += v}} END {print s + 0}')
    [ -n "$used" ] && [ "$used" -gt "$peak_heap" ] && peak_heap=$used
  fi
  wait "$s" "${m[@]}"
  codes="$(cat "$work/snapshot.$round") $(cat "$work/code.$round".*)"
  check "round $round: alive" kill -0 "$pid"
  bad=$(echo "$codes" | tr ' ' '\n' | grep -vcE '^(200|503)$')
  check "round $round: every answer 200 or 503 ($(echo $codes))" test "$bad" -eq 0
  check "round $round: /metrics counts the sockets" \
    grep -qE '^connmon_sockets\{family="ipv4",protocol="tcp",state="established"\} [1-9]' "$work/metrics.$round.1"
done
# A slow client keeps its snapshot alive for seconds while the scrapes go on collecting: collections that find no
# heap room are skipped (the last snapshot is served on, counted as failed), never an OutOfMemoryError.
curl -s -o /dev/null -m 120 --limit-rate 40M -w '%{http_code}\n' "http://127.0.0.1:$port/snapshot" > "$work/slow" &
s=$!
sleep 0.5
for i in 1 2 3 4; do
  curl -s -m 120 -o "$work/metrics.slow" -w '%{http_code}\n' "http://127.0.0.1:$port/metrics" >> "$work/slow.metrics"
done
wait "$s"
check "slow /snapshot: alive" kill -0 "$pid"
check "slow /snapshot: 200, and every /metrics meanwhile 200 ($(echo $(cat "$work/slow" "$work/slow.metrics")))" \
  test "$(cat "$work/slow" "$work/slow.metrics" | grep -c '^200$')" -eq 5
check "no OutOfMemoryError in the log" bash -c "! grep -q OutOfMemoryError '$work/log'"
if [ -r "/proc/$pid/status" ]; then
  echo "# peak RSS: $(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status") MiB;" \
    "heap used, highest sample: $((peak_heap / 1024)) MiB; sockets: $sockets"
fi
finish
