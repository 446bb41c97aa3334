#!/bin/sh
# Captures the fixture tree under proc/ from this machine's kernel: run as root from this directory with
#   sh capture-fixture.sh
# It makes a throw-away network namespace with a veth interface holding 10.254.222.37/24 and the
# deliberately asymmetric 2001:db8:1234:5678:9abc:def0:1357:2468/64, runs capture-fixture.py inside it to open
# sockets in every TCP state it can produce and UDP sockets connected and not, copies the namespace's
# /proc/net tables and counters with `ss -tanH`/`ss -uanH` (and `-e`, for inodes) taken right after them,
# and deletes the namespace. Nothing outside the namespace is touched.
set -eu
NS=connmon-fixture
HERE=$(cd "$(dirname "$0")" && pwd)
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add "$NS"
ip -n "$NS" link set lo up
# No dummy driver on every kernel: a veth pair whose far end has no address does as well. Packets to an
# address nobody owns on the /24 (or /64) go out d0 and are never answered.
ip -n "$NS" link add d0 type veth peer name d0peer
ip -n "$NS" link set d0 up
ip -n "$NS" link set d0peer up
ip -n "$NS" addr add 10.254.222.37/24 dev d0
ip -n "$NS" addr add 2001:db8:1234:5678:9abc:def0:1357:2468/64 dev d0 nodad
# A distinctive ephemeral range, so that a test cannot pass on the usual default by accident.
ip netns exec "$NS" sysctl -q -w net.ipv4.ip_local_port_range="40000 44999"
rm -rf "$HERE/proc"
ip netns exec "$NS" python3 "$HERE/capture-fixture.py" "$HERE/proc"
(cd "$HERE" && python3 make-big-endian.py)
