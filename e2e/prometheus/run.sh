#!/usr/bin/env bash
# End-to-end: a real Prometheus (Debian's package) scrapes `connmon serve` on loopback every second.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
root=$(repo_root)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

for tool in prometheus promtool ss curl jq; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed"; finish; exit 1; }
done

python3 "$root/e2e/sockets.py" --connections 200 --seconds 180 > "$work/sockets" &
pids+=($!)
wait_for 30 grep -q READY "$work/sockets" || { fail "socket holder did not get ready"; finish; exit 1; }

cport=$(free_port)
"$root/bin/connmon" serve --listen "127.0.0.1:$cport" --max-age 0 > "$work/connmon.log" 2>&1 &
pids+=($!)
check "connmon serve becomes ready" wait_for 30 curl -sf "http://127.0.0.1:$cport/-/ready"

# Five connections to the daemon before any scrape: closed connections are classified by the listeners of the
# last collection, which the daemon made at its start (checked below).
for _ in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$cport/-/healthy"; done
curl -s "http://127.0.0.1:$cport/metrics" > "$work/metrics.txt"
if promtool check metrics < "$work/metrics.txt" > "$work/promtool.out" 2>&1 && [ ! -s "$work/promtool.out" ]; then
  pass "promtool check metrics finds nothing to complain about ($(grep -c '^# TYPE' "$work/metrics.txt") families)"
else
  fail "promtool check metrics:"; cat "$work/promtool.out"
fi
# Connections over time: the daemon subscribes to the kernel's destroy events, and the connections it serves
# (each curl one connection to its own port, which has a listener) come back as closed inbound ones.
check "the daemon receives the kernel's destroy events (connmon_events_up 1)" \
  awk '$1=="connmon_events_up" && $2+0==1 {found=1} END {exit !found}' "$work/metrics.txt"
closed_own() {
  curl -s "http://127.0.0.1:$cport/metrics" | awk -v p="port=\"$cport\"" '
    index($0, "connmon_connections_closed_total{") == 1 && index($0, "direction=\"inbound\"") && index($0, p) {v=$2}
    END {print v+0}'
}
# At most three reads (each is one more connection, classified after the scrape that served it): without the
# daemon's own classification of the first five, at most 1 + 2 would be counted.
v=0
for _ in 1 2 3; do sleep 1; v=$(closed_own); [ "$v" -ge 5 ] && break; done
check "closed connections to connmon's own port are counted (got $v, at least 5)" [ "$v" -ge 5 ]
ctype=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$cport/metrics")
check "the /metrics Content-Type is the Prometheus text format ($ctype)" bash -c "[[ '$ctype' == text/plain*version=0.0.4* ]]"

pport=$(free_port)
cat > "$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: connmon
    static_configs:
      - targets: ['127.0.0.1:$cport']
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$pport" > "$work/prometheus.log" 2>&1 &
pids+=($!)
api="http://127.0.0.1:$pport/api/v1"
query() { curl -sf --data-urlencode "query=$1" "$api/query" | jq -r '.data.result[0].value[1] // empty'; }
check "Prometheus starts" wait_for 60 curl -sf "http://127.0.0.1:$pport/-/ready"
check "Prometheus scrapes connmon: up is 1" wait_for 30 bash -c "[ \"\$(curl -sf --data-urlencode 'query=up{job=\"connmon\"}' '$api/query' | jq -r '.data.result[0].value[1] // empty')\" = 1 ]"

# sum(connmon_sockets) against `ss -tanuH | wc -l` taken at the same time, within 5%. The tables move a little
# between the two reads (our own scrape connections come and go), so a few tries are allowed.
ok=
for i in 1 2 3 4 5; do
  sleep 1.5
  ours=$(query 'sum(connmon_sockets)')
  theirs=$(ss -tanuH | wc -l)
  if [ -n "$ours" ] && awk -v a="$ours" -v b="$theirs" 'BEGIN{d=a-b; if(d<0)d=-d; exit !(b>0 && d/b <= 0.05)}'; then
    ok=1; break
  fi
done
if [ -n "$ok" ]; then
  pass "sum(connmon_sockets) = $ours matches ss -tanuH | wc -l = $theirs within 5%"
else
  fail "sum(connmon_sockets) = ${ours:-none} but ss -tanuH | wc -l = $theirs"
fi

# The holder's 200 IPv4 and 200 IPv6 pairs land on its listener ports: 400 inbound ESTABLISHED per family port.
lport=$(awk '$4=="LISTEN"{n=split($2,a,":"); print a[n]; exit}' "$work/sockets")
v=$(query "connmon_inbound_connections{port=\"$lport\",state=\"established\"}")
check "connmon_inbound_connections{port=\"$lport\",state=\"established\"} is 200 (got ${v:-none})" [ "${v:-0}" = 200 ]
v=$(query "connmon_listeners{protocol=\"tcp\",port=\"$lport\"}")
check "connmon_listeners shows the listener on port $lport" [ "${v:-0}" = 1 ]
v=$(query 'connmon_ephemeral_ports_used')
check "connmon_ephemeral_ports_used counts at least the 400 client ports (got ${v:-none})" \
  awk -v v="${v:-0}" 'BEGIN{exit !(v >= 400)}'
v=$(query 'sum(connmon_sockets{protocol="tcp",state="time_wait"})')
check "TIME_WAIT sockets are counted (got ${v:-none})" awk -v v="${v:-0}" 'BEGIN{exit !(v >= 6)}'
v=$(query 'connmon_tcp_active_opens_total')
check "the netstat -s counters arrive (tcp active opens ${v:-none})" awk -v v="${v:-0}" 'BEGIN{exit !(v >= 400)}'
finish
