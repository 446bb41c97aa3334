#!/usr/bin/env bash
# End-to-end: `connmon list` against ss and netstat on a known set of loopback sockets.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
root=$(repo_root)
connmon="$root/bin/connmon"
work=$(mktemp -d)
holder=
cleanup() { [ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

python3 "$root/e2e/sockets.py" --connections 20 --seconds 120 > "$work/expected.raw" &
holder=$!
wait_for 20 grep -q READY "$work/expected.raw" || { fail "socket holder did not get ready"; finish; exit 1; }
grep -v READY "$work/expected.raw" | sort > "$work/expected"
# The test's ports: those of its listeners and UDP sockets (every pair has one of them on a side).
ports=$(awk '$4=="LISTEN"||$4=="UNCONN"{n=split($2,a,":"); print a[n]}' "$work/expected" | sort -u | paste -sd'|')

# connmon and ss read the tables back to back.
"$connmon" list -a --json > "$work/connmon.json" 2> "$work/connmon.err"
rc=$?
ss -tanuH > "$work/ss.txt"
check "connmon list -a --json exits 0" [ "$rc" -eq 0 ]
check "connmon list --json is valid JSON with a socket list" jqt '.sockets | length > 0' "$work/connmon.json"

ours() { grep -E ":($ports)( |$)" | sort; }
jq -r '.sockets[] | "\(.protocol) \(if .family=="ipv6" then "[\(.local.address)]" else .local.address end):\(if .local.port==0 then "*" else .local.port end) \(if .family=="ipv6" then "[\(.remote.address)]" else .remote.address end):\(if .remote.port==0 then "*" else .remote.port end) \(.state)"' \
  "$work/connmon.json" | ours > "$work/connmon"
# ss: "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:6000" -> "tcp 127.0.0.1:5000 127.0.0.1:6000 ESTABLISHED"
awk '{
  s=$2; gsub("-","_",s)
  if (s=="ESTAB") s="ESTABLISHED"; else if (s=="FIN_WAIT_1") s="FIN_WAIT1"; else if (s=="FIN_WAIT_2") s="FIN_WAIT2";
  else if (s=="SYN_RECV") s="SYN_RECV"; else if (s=="UNCONN") s="UNCONN";
  print $1, $5, $6, s }' "$work/ss.txt" | ours > "$work/ss"

# Every socket the holder made is in ss's view. ss may show more on the test's ports: a TIME_WAIT left by an
# earlier process whose ephemeral port the kernel has since handed to one of our listeners (connmon must show
# those too: the comparison below is exact).
comm -23 "$work/expected" "$work/ss" > "$work/missing"
check "ss sees the expected $(wc -l < "$work/expected") socket pairs and states" [ ! -s "$work/missing" ]
[ -s "$work/missing" ] && sed 's/^/# missing in ss: /' "$work/missing"
if diff -u "$work/ss" "$work/connmon" > "$work/diff"; then
  pass "connmon list --json gives the same socket pairs and states as ss -tanuH ($(wc -l < "$work/connmon") sockets)"
else
  fail "connmon list --json differs from ss -tanuH:"; cat "$work/diff"
fi
check "JSON total equals the number of sockets listed" \
  jqt '.total == (.sockets | length) and .total == ([.counts[].count] | add)' "$work/connmon.json"

# The netstat-like table: listeners with -l, header, and the same rows as netstat for the test's ports.
listener=$(awk '$4=="LISTEN"{print $2; exit}' "$work/expected")
lport=${listener##*:}
"$connmon" list -tln > "$work/table" 2>&1
check "connmon list -tln prints netstat's header" grep -qE '^Proto +Recv-Q +Send-Q +Local Address +Foreign Address +State$' "$work/table"
# Send-Q of a listener: its backlog limit where the source knows it (netlink, as ss), 0 from /proc (as netstat)
check "connmon list -tln shows the listener $listener" grep -qE "^tcp +0 +[0-9]+ +${listener//./\\.} +0\.0\.0\.0:\* +LISTEN" "$work/table"
check "connmon list -tln shows no ESTABLISHED socket" bash -c "! grep -q ESTABLISHED '$work/table'"
"$connmon" list -tn --port "$lport" --state time_wait > "$work/tw" 2>&1
check "connmon list --port $lport --state time_wait shows exactly the 3 TIME_WAIT sockets" \
  [ "$(grep -c TIME_WAIT "$work/tw")" -eq 3 ]
netstat_est=$(netstat -tn 2>/dev/null | grep -cE "127\.0\.0\.1:$lport +ESTABLISHED|:$lport +127\.0\.0\.1:[0-9]+ +ESTABLISHED")
ours_est=$("$connmon" list -tn --port "$lport" | grep -c ESTABLISHED)
check "connmon and netstat count the same ESTABLISHED sockets on port $lport ($ours_est vs $netstat_est)" \
  [ "$ours_est" -eq "$netstat_est" -a "$ours_est" -eq 40 ]

# Bad input: one line on stderr, a non-zero exit, no stack trace.
"$connmon" list --bogus > "$work/out" 2> "$work/err"; rc=$?
check "a bad flag exits 2 with one line on stderr" [ "$rc" -eq 2 -a "$(wc -l < "$work/err")" -eq 1 ]
"$connmon" list --state nonsense > "$work/out" 2> "$work/err"; rc=$?
check "a bad --state exits 2 with one line naming it" bash -c "[ $rc -eq 2 ] && [ \$(wc -l < '$work/err') -eq 1 ] && grep -q state '$work/err'"
"$connmon" list --source procfs --proc-root /nonexistent > "$work/out" 2> "$work/err"; rc=$?
check "an unreadable proc root exits non-zero with one line" bash -c "[ $rc -ne 0 ] && [ \$(wc -l < '$work/err') -eq 1 ] && ! grep -q 'at io.connmon' '$work/err'"
port=$(free_port)
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$port)); s.listen(); time.sleep(15)" &
blocker=$!
wait_for 5 bash -c "ss -tlnH | grep -q ':$port '"
timeout 20 "$connmon" serve --listen "127.0.0.1:$port" > "$work/out" 2> "$work/err"; rc=$?
kill "$blocker" 2>/dev/null
check "serve on a port in use exits 1 with one line" bash -c "[ $rc -eq 1 ] && grep -q 'cannot listen on 127.0.0.1:$port' '$work/err' && ! grep -q 'at java' '$work/err'"
sport=$(free_port)
"$connmon" serve --listen "127.0.0.1:$sport" > "$work/serve.out" 2> "$work/serve.err" &
spid=$!
wait_for 30 curl -sf "http://127.0.0.1:$sport/-/ready"
kill -HUP "$spid"
wait_for 5 grep -q 'SIGHUP ignored: restart to re-read settings' "$work/serve.err"
check "SIGHUP is ignored with a log line, serve goes on answering" \
  bash -c "grep -q 'SIGHUP ignored' '$work/serve.err' && kill -0 $spid && curl -sf 'http://127.0.0.1:$sport/-/healthy' >/dev/null"
start=$(date +%s%N)
kill -TERM "$spid"
wait "$spid"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "SIGTERM stops serve within a second (${ms} ms, exit $rc)" [ "$ms" -lt 1000 -a "$rc" -eq 143 ]
check "serve logs one concise line per event, no stack trace" bash -c "grep -q '^INFO connmon: listening\|^INFO connmon: connmon .* listening on http://127.0.0.1:$sport' '$work/serve.err' && ! grep -q '^\s*at ' '$work/serve.err'"
check "connmon version prints the version" bash -c "'$connmon' version | grep -qE '^connmon [0-9]'"
"$connmon" > "$work/none.out" 2> "$work/none.err"; rc=$?
check "connmon without a command exits 2 with the usage on stderr" \
  bash -c "[ $rc -eq 2 ] && [ ! -s '$work/none.out' ] && grep -q '^Usage: connmon' '$work/none.err'"
CONNMON_MAX_AGE=banana "$connmon" serve --listen 127.0.0.1:0 > /dev/null 2> "$work/env.err"; rc=$?
check "a bad CONNMON_MAX_AGE is named as the variable (exit $rc)" \
  bash -c "[ $rc -eq 2 ] && grep -q '^connmon: CONNMON_MAX_AGE=banana: ' '$work/env.err'"
finish
