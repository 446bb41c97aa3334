#!/usr/bin/env bash
# Collection cost against namespaces: 100 network namespaces of 1,000 sockets each beside one namespace of
# 100,000 sockets, each read by `connmon serve --netns all`. Not part of CI (root, minutes, 100k sockets).
#
#   sudo bench/netns/run.sh [SCRAPES] [SOURCE] [HASH]  (after mvn -q -DskipTests package; SOURCE auto|procfs;
#                                                      HASH shared (default) or private)
#
# HASH private sets net.ipv4.tcp_child_ehash_entries and net.ipv4.udp_child_hash_entries (Linux 6.1/6.2) before
# the namespaces are made, so that each has socket hash tables of its own. With the kernel's default, shared
# tables, a dump in one namespace (sock_diag or /proc/PID/net/tcp alike) walks the sockets of every namespace.
#
# Everything runs in a pid namespace and an empty network namespace of its own (unshare --pid --mount-proc
# --net), so that connmon finds only the namespaces made here and the host's own sockets are not counted.
# Namespaces made: cmbench-big, cmbench-1..100; all deleted at the end (and on interruption). The socket loads end by themselves after 10 minutes at the latest.
# Prints, per case, the median of connmon_last_collection_duration_seconds over SCRAPES fresh collections
# (--max-age 0) and the median wall time of a /metrics scrape.
set -euo pipefail
SCRAPES=${1:-15}
SOURCE=${2:-auto}
HASH=${3:-shared}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
[ -f "$REPO/agent/target/connmon.jar" ] || { echo "build first: mvn -q -DskipTests package" >&2; exit 1; }

if [ "${CMBENCH_INNER:-}" != 1 ]; then
    exec env CMBENCH_INNER=1 unshare --pid --fork --mount-proc --net "$0" "$SCRAPES" "$SOURCE" "$HASH"
fi

made=()
loads=()
daemon=
cleanup() {
    [ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
    for p in "${loads[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for n in "${made[@]}"; do ip netns del "$n" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

mkns() { ip netns add "$1"; made+=("$1"); ip -n "$1" link set lo up; }
hashes() { # hashes TCP UDP: the size of the hash tables of namespaces made from here on (private only)
    [ "$HASH" = private ] || return 0
    sysctl -qw net.ipv4.tcp_child_ehash_entries="$1" net.ipv4.udp_child_hash_entries="$2"
}

ip link set lo up
PORT=9469
env CONNMON_NETNS=all CONNMON_SOURCE="$SOURCE" CONNMON_MAX_AGE=0 \
    JAVA_OPTS="-Xmx512m -XX:+UseSerialGC" "$REPO/bin/connmon" serve --listen 127.0.0.1:$PORT \
    >/tmp/cmbench-connmon.log 2>&1 &
daemon=$!

scrape() { curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/metrics"; }
collection() {
    curl -s "http://127.0.0.1:$PORT/metrics" \
        | sed -n 's/^connmon_last_collection_duration_seconds \(.*\)$/\1/p'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
measure() { # measure LABEL
    local i c=() w=()
    for i in $(seq 1 3); do scrape >/dev/null; done # warm-up
    for i in $(seq 1 "$SCRAPES"); do c+=("$(collection)"); w+=("$(scrape)"); done
    sockets=$(curl -s "http://127.0.0.1:$PORT/snapshot?limit=0" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
    printf '%-28s sockets %7s  collection median %.3f s  scrape median %.3f s\n' "$1" "$sockets" \
        "$(printf '%s\n' "${c[@]}" | median)" "$(printf '%s\n' "${w[@]}" | median)"
}
load() { # load PAIRS NAME...: start, wait for "ready"
    local out=/tmp/cmbench-load.$$.$RANDOM
    python3 "$HERE/load.py" "$@" >"$out" 2>&1 &
    loads+=($!)
    for _ in $(seq 1 600); do grep -q 'ready\|failed' "$out" && break; sleep 0.5; done
    grep -q ready "$out" || { cat "$out" >&2; echo "load did not get ready" >&2; exit 1; }
}
stop_loads() { for p in "${loads[@]}"; do kill "$p" 2>/dev/null || true; done; wait "${loads[@]}" 2>/dev/null || true; loads=(); }

echo "# connmon --netns all, source $SOURCE, $HASH socket hash tables, $SCRAPES fresh collections per case, $(nproc) cores"
# One namespace of 100,000 sockets (50,000 pairs; ports for them: a wide ephemeral range inside).
hashes 131072 4096
mkns cmbench-big
ip netns exec cmbench-big sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
load 50000 600 cmbench-big
measure "1 namespace x 100,000"
stop_loads
ip netns del cmbench-big

# 100 namespaces of 1,000 sockets each (500 pairs).
names=()
hashes 2048 256
for i in $(seq 1 100); do mkns "cmbench-$i"; names+=("cmbench-$i"); done
load 500 600 "${names[@]}"
measure "100 namespaces x 1,000"
stop_loads
