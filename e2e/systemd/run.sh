#!/usr/bin/env bash
# End-to-end test of systemd/install.sh and systemd/connmon.service under a
# real systemd: boots a Debian bookworm root (debootstrap, cached outside the
# repository) with systemd-nspawn, sharing the host's network, and exercises
# install, restart-on-crash, clean stop, re-install and uninstall; then the
# Debian package (systemd/build-deb.sh): apt-get install, upgrade with an edited
# conffile, attribution turned on by its drop-in, remove and purge.
#
# Needs root. Usage: e2e/systemd/run.sh
# Environment:
#   CONNMON_E2E_CACHE   cache directory for the root    (/var/cache/connmon-e2e)
#   CONNMON_E2E_MIRROR  Debian mirror                   (from /etc/apt/sources*)
#   CONNMON_E2E_JAR     jar to install                  (agent/target/connmon.jar)
#   CONNMON_E2E_LAUNCHER launcher to install            (bin/connmon)
#   CONNMON_E2E_PORT    first port to try for the test  (19469)
#   CONNMON_E2E_KEEP=1  keep the staging dir and logs
# Prints "ok - ..." / "not ok - ..." per check and "N passed, M failed".
# shellcheck disable=SC2317  # functions run indirectly through check/wait_until
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${CONNMON_E2E_CACHE:-/var/cache/connmon-e2e}
JAR=${CONNMON_E2E_JAR:-$REPO/agent/target/connmon.jar}
LAUNCHER=${CONNMON_E2E_LAUNCHER:-$REPO/bin/connmon}
SUITE=bookworm
PACKAGES=systemd,systemd-sysv,dbus,openjdk-17-jre-headless,curl,procps,iproute2
# Bump ROOT_VERSION whenever the root's recipe changes: the cache is rebuilt.
ROOT_VERSION="v1 $SUITE minbase $PACKAGES"
MAX_SCORE=2.0
CPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

passed=0 failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
notok() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
not() { ! "$@"; }
log() { echo "# $*"; }
finish() {
    if [ "$failed" -gt 0 ] && [ -n "${LEADER:-}" ]; then
        log "service: $(in_ct -t 10 systemctl show -p ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,NRestarts \
            connmon.service 2>/dev/null | tr '\n' ' ')"
        # A running JVM prints a thread dump to the journal on SIGQUIT.
        local pid
        pid=$(in_ct -t 10 systemctl show -p MainPID --value connmon.service 2>/dev/null)
        if [ -n "$pid" ] && [ "$pid" != 0 ]; then in_ct -t 10 kill -QUIT "$pid" 2>/dev/null; sleep 1; fi
        in_ct -t 20 journalctl --no-pager -o short-precise >"$LOGS/journal.txt" 2>&1
        log "last lines of the service's journal (all of it in $LOGS/journal.txt):"
        journal_tail 40
        CONNMON_E2E_KEEP=1
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}
bail() { notok "$*"; finish; }

# wait_until SECONDS CMD...: poll CMD every 0.25 s until it succeeds.
wait_until() {
    local deadline=$((SECONDS + $1)); shift
    while :; do
        "$@" && return 0
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.25
    done
}

[ "$(id -u)" -eq 0 ] || { echo "run.sh: must be run as root" >&2; bail "running as root"; }

# ------------------------------------------------------------ host packages
need=()
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { timeout 600 apt-get install -y "${need[@]}" || { timeout 300 apt-get update && timeout 600 apt-get install -y "${need[@]}"; }; } >/dev/null \
        || bail "install host packages: ${need[*]}"
fi

# ------------------------------------------------------------ mirror
# The first Debian mirror that this machine's apt serves $SUITE from.
find_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
            { uris = ""; ok = 0
              for (i = 1; i <= NF; i++) {
                if ($i ~ /^[ \t]*#/) continue
                if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris = u[1] }
                if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
              }
              if (ok && uris != "") { print uris; exit } }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -e 's/\[[^]]*\]//' | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
}
MIRROR=${CONNMON_E2E_MIRROR:-$(find_mirror | head -n 1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

# ------------------------------------------------------------ root (cached)
ROOT=$CACHE/rootfs
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock -w 600 9 || bail "lock $CACHE/lock"
if [ -f "$ROOT/.connmon-e2e-version" ] && [ "$(cat "$ROOT/.connmon-e2e-version")" = "$ROOT_VERSION" ]; then
    log "reusing cached root $ROOT"
else
    log "building $SUITE root in $ROOT from $MIRROR (takes a minute or two)"
    t0=$SECONDS
    rm -rf "$ROOT.new" "$ROOT.old"
    if ! timeout 1200 debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT.new" "$MIRROR" \
        >"$CACHE/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE/debootstrap.log" | sed 's/^/# /'
        bail "debootstrap $SUITE root (log: $CACHE/debootstrap.log)"
    fi
    # No getty on the console; keep the root small.
    ln -sf /dev/null "$ROOT.new/etc/systemd/system/console-getty.service"
    rm -f "$ROOT.new"/var/cache/apt/archives/*.deb
    echo "$ROOT_VERSION" >"$ROOT.new/.connmon-e2e-version"
    [ ! -d "$ROOT" ] || mv "$ROOT" "$ROOT.old"
    mv "$ROOT.new" "$ROOT"
    rm -rf "$ROOT.old"
    log "root built in $((SECONDS - t0)) s"
fi
# Keep a shared lock while the root is in use: a rebuild needs it exclusively.
flock -s 9

# ------------------------------------------------------------ static checks
# security_check UNIT [CMD-PREFIX...]: the offline exposure score must be <= MAX_SCORE.
security_check() {
    local unit=$1 sec score; shift
    sec=$("$@" systemd-analyze security --offline=yes --no-pager "$unit" 2>&1)
    score=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
    if [ -n "$score" ] && awk -v s="$score" -v m="$MAX_SCORE" 'BEGIN { exit !(s <= m) }'; then
        ok "systemd-analyze security --offline rates the unit $score (<= $MAX_SCORE)"
    else
        printf '%s\n' "$sec" | grep -E '✗|Overall|rror' | sed 's/^/# /'
        notok "systemd-analyze security --offline rates the unit ${score:-?} (<= $MAX_SCORE)"
    fi
}
HOST_ANALYZE=no
if command -v systemd-analyze >/dev/null 2>&1; then
    HOST_ANALYZE=yes
    security_check "$REPO/systemd/connmon.service"
fi

# ------------------------------------------------------------ staging
[ -f "$JAR" ] || bail "jar present: $JAR (build it first: mvn -q -DskipTests package)"
[ -f "$LAUNCHER" ] || bail "launcher present: $LAUNCHER"
STAGE=$(mktemp -d /tmp/connmon-e2e.XXXXXX)
chmod 0755 "$STAGE"
mkdir -p "$STAGE/src/systemd" "$STAGE/src/bin" "$STAGE/src/agent/target" "$STAGE/logs"
cp "$REPO/systemd/install.sh" "$REPO/systemd/connmon.service" "$REPO/systemd/connmon.default" \
    "$REPO/systemd/connmon-attribution.conf" "$REPO/systemd/connmon-netns.conf" "$STAGE/src/systemd/"
cp "$LAUNCHER" "$STAGE/src/bin/connmon"
cp "$JAR" "$STAGE/src/agent/target/connmon.jar"
LOGS=$STAGE/logs
# Two builds of the package: the first install and an upgrade (Debian revision 1 -> 2).
mkdir -p "$STAGE/src/deb"
for rev in 1 2; do
    if ! "$REPO/systemd/build-deb.sh" --jar "$JAR" --out "$STAGE/src/deb/$rev" --revision "$rev" \
        >"$LOGS/build-deb-$rev.log" 2>&1; then
        sed 's/^/# /' "$LOGS/build-deb-$rev.log"; bail "systemd/build-deb.sh --revision $rev"
    fi
done
DEB1=$(cd "$STAGE/src/deb/1" && ls connmon_*_all.deb)
DEB2=$(cd "$STAGE/src/deb/2" && ls connmon_*_all.deb)
chmod -R a+rX "$STAGE/src"

NSPAWN_PID=
cleanup() {
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        # SIGTERM makes nspawn ask the container's systemd to power off.
        kill -TERM "$NSPAWN_PID" 2>/dev/null
        local _
        for _ in $(seq 1 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.25; done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            kill -KILL "$NSPAWN_PID" 2>/dev/null
            [ -z "${LEADER:-}" ] || kill -KILL "$LEADER" 2>/dev/null
        fi
        wait "$NSPAWN_PID" 2>/dev/null
    fi
    if [ "${CONNMON_E2E_KEEP:-0}" = 1 ]; then
        echo "# kept $STAGE" >&2
    else
        rm -rf "$STAGE"
    fi
}
trap cleanup EXIT
trap 'trap - INT TERM; notok "interrupted"; finish' INT TERM

# ------------------------------------------------------------ port
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${CONNMON_E2E_PORT:-19469}
for _ in $(seq 1 20); do port_busy "$PORT" || break; PORT=$((PORT + 1)); done
port_busy "$PORT" && bail "find a free port near ${CONNMON_E2E_PORT:-19469}"
log "test port $PORT (the host's network is shared)"

# ------------------------------------------------------------ boot
systemd-nspawn -D "$ROOT" --register=no --keep-unit --volatile=overlay \
    --machine=connmon-e2e --bind-ro="$STAGE/src:/srv/connmon" \
    --console=read-only --quiet --boot >"$LOGS/console.log" 2>&1 &
NSPAWN_PID=$!

# The container's init: a child of nspawn that is PID 1 in its namespace.
find_leader() {
    local p
    for p in $(pgrep -P "$NSPAWN_PID"); do
        if grep -qE '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$p/status" 2>/dev/null; then
            LEADER=$p
            return 0
        fi
    done
    return 1
}
LEADER=
wait_until 30 find_leader || { tail -n 20 "$LOGS/console.log" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/# /'; bail "container started (leader found)"; }

# in_ct [-t SECONDS] CMD...: run a command inside the container.
in_ct() {
    local t=60
    if [ "$1" = -t ]; then t=$2; shift 2; fi
    timeout "$t" nsenter -t "$LEADER" -a \
        /usr/bin/env -i PATH="$CPATH" LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 TERM=dumb "$@"
}
http_code() { in_ct -t 10 curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT$1" 2>/dev/null; }
http_ok() { [ "$(http_code "$1")" = 200 ]; }
prop() { in_ct -t 10 systemctl show -p "$1" --value connmon.service 2>/dev/null; }
active() { [ "$(in_ct -t 10 systemctl is-active connmon.service 2>/dev/null)" = active ]; }
ct_test() { in_ct -t 10 test "$@"; }
journal_tail() {
    in_ct -t 10 journalctl -u connmon.service -n "${1:-15}" --no-pager 2>/dev/null | sed 's/^/# /'
}
run_install() { # run_install LOGNAME ARGS...: run install.sh, log its output
    local name=$1; shift
    in_ct -t 120 bash /srv/connmon/systemd/install.sh "$@" >"$LOGS/$name.log" 2>&1
    local rc=$?
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$LOGS/$name.log"
    return "$rc"
}

booted() {
    local st
    st=$(in_ct -t 5 systemctl is-system-running 2>/dev/null)
    [ "$st" = running ] || [ "$st" = degraded ]
}
if wait_until 90 booted; then
    ok "container booted (systemctl is-system-running: $(in_ct -t 5 systemctl is-system-running 2>/dev/null))"
else
    tail -n 20 "$LOGS/console.log" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/# /'
    bail "container booted within 90 s"
fi

# No systemd-analyze on the host: the container's does it.
[ "$HOST_ANALYZE" = yes ] || security_check /srv/connmon/systemd/connmon.service in_ct -t 30

# The test port: a runtime drop-in for the first install (so the shipped
# /etc/default/connmon is installed untouched, and nothing collides with a
# connmon on the host's default 9469), later an edit of /etc/default/connmon.
# Also, until the re-install, a syscall outside SystemCallFilter= kills the
# JVM with SIGSYS (instead of the unit's quiet EPERM): proof that the filter
# allows everything the JVM really does.
in_ct -t 10 sh -c "mkdir -p /run/systemd/system/connmon.service.d &&
    printf '[Service]\nEnvironment=CONNMON_LISTEN=127.0.0.1:$PORT\nSystemCallErrorNumber=\n' \
    >/run/systemd/system/connmon.service.d/50-e2e.conf"

# ------------------------------------------------------------ 1st install
check "install.sh exits 0" run_install install1
check "unit installed in /etc/systemd/system" ct_test -f /etc/systemd/system/connmon.service
check "jar and launcher installed in /opt/connmon" \
    ct_test -f /opt/connmon/lib/connmon.jar -a -x /opt/connmon/bin/connmon
check "/etc/default/connmon installed as shipped" \
    in_ct -t 10 cmp -s /srv/connmon/systemd/connmon.default /etc/default/connmon
check "connmon is enabled" test "$(in_ct -t 10 systemctl is-enabled connmon.service 2>/dev/null)" = enabled
check "connmon is active" active
t0=$SECONDS
if wait_until 60 http_ok /-/ready; then ok "/-/ready answers 200 on port $PORT (after $((SECONDS - t0)) s)"; else
    notok "/-/ready answers 200 on port $PORT within 60 s"; fi
for path in /metrics /snapshot /-/healthy; do
    code=$(http_code "$path")
    check "GET $path answers 200 (got ${code:-none})" test "$code" = 200
done
in_ct -t 10 curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$LOGS/metrics.txt" 2>/dev/null
check "/metrics body is not empty" test -s "$LOGS/metrics.txt"

errno=$(prop SystemCallErrorNumber)
# 2147483646 is how systemctl shows "kill" (the empty assignment).
check "a denied syscall kills for this test (SystemCallErrorNumber=${errno:-})" \
    test "$errno" = 2147483646 -o "$errno" = kill -o -z "$errno"
verify=$(in_ct -t 30 systemd-analyze verify /etc/systemd/system/connmon.service 2>&1)
rc=$?
[ -z "$verify" ] || printf '%s\n' "$verify" | sed 's/^/# /'
check "systemd-analyze verify is clean" test "$rc" -eq 0 -a -z "$verify"

pid=$(prop MainPID)
if [ -n "$pid" ] && [ "$pid" != 0 ]; then
    status=$(in_ct -t 10 cat "/proc/$pid/status" 2>/dev/null)
    uid=$(printf '%s\n' "$status" | awk '/^Uid:/ { print $3 }')
    capeff=$(printf '%s\n' "$status" | awk '/^CapEff:/ { print $2 }')
    nnp=$(printf '%s\n' "$status" | awk '/^NoNewPrivs:/ { print $2 }')
    seccomp=$(printf '%s\n' "$status" | awk '/^Seccomp:/ { print $2 }')
    check "service runs as a dynamic non-root user (uid ${uid:-?})" test -n "$uid" -a "${uid:-0}" != 0
    check "service has no capabilities and no_new_privs (CapEff ${capeff:-?}, NoNewPrivs ${nnp:-?})" \
        test "$capeff" = 0000000000000000 -a "$nnp" = 1
    check "service runs under a seccomp filter (Seccomp ${seccomp:-?})" test "$seccomp" = 2
    log "service: $(printf '%s\n' "$status" | awk '/^(Threads|VmRSS):/ { printf "%s %s %s  ", $1, $2, $3 }')"
    ct_net=$(in_ct -t 10 readlink "/proc/$pid/ns/net" 2>/dev/null)
    check "service shares the host's network namespace" test -n "$ct_net" -a "$ct_net" = "$(readlink /proc/self/ns/net)"
else
    notok "service has a main PID"
fi

# ------------------------------------------------------------ crash -> restart
old=$(prop MainPID)
restarts0=$(prop NRestarts)
in_ct -t 10 kill -9 "$old" 2>/dev/null
restarted() { local p; p=$(prop MainPID); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old" ] && active; }
t0=$SECONDS
if wait_until 10 restarted; then
    ok "systemd restarted connmon after kill -9 (MainPID $old -> $(prop MainPID), $((SECONDS - t0)) s)"
else
    journal_tail 15; notok "systemd restarted connmon after kill -9 within 10 s"
fi
check "NRestarts went up (${restarts0:-?} -> $(prop NRestarts))" test "$(prop NRestarts)" -gt "${restarts0:-0}"
check "/metrics answers 200 again after the restart" wait_until 60 http_ok /metrics

sigsys() { in_ct -t 10 journalctl -u connmon.service --no-pager -o cat 2>/dev/null | grep -c 'status=31/SYS'; }
check "the JVM never hit the syscall filter (no SIGSYS in the journal)" test "$(sigsys)" = 0

# ------------------------------------------------------------ 2nd install
# Edit the environment file (the port moves there from the drop-in): the
# re-install must keep the edit, restart the running service (an upgrade must
# take effect), and the service must honour the edited file.
in_ct -t 10 sh -c "printf '\n# e2e test\nCONNMON_LISTEN=127.0.0.1:$PORT\nCONNMON_LOG_LEVEL=debug\n' >>/etc/default/connmon &&
    rm -f /run/systemd/system/connmon.service.d/50-e2e.conf"
old=$(prop MainPID)
check "install.sh exits 0 when run again (service running)" run_install install2
check "the re-install kept the edited /etc/default/connmon" \
    in_ct -t 10 grep -qx "CONNMON_LISTEN=127.0.0.1:$PORT" /etc/default/connmon
check "connmon is active after the re-install" active
new=$(prop MainPID)
check "the re-install restarted the running service (MainPID $old -> $new)" \
    test -n "$new" -a "$new" != 0 -a "$new" != "$old"
t0=$SECONDS
if wait_until 60 http_ok /metrics; then ok "/metrics answers 200 on the port from /etc/default/connmon (after $((SECONDS - t0)) s)"; else
    notok "/metrics answers 200 on the port from /etc/default/connmon within 60 s"; fi

# ------------------------------------------------------------ attribution
# A root-owned listener (a second connmon, started as root by systemd-run) that only the drop-in's
# CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH let the service attribute.
PEER=$((PORT + 1))
while port_busy "$PEER"; do PEER=$((PEER + 1)); done
check "install.sh --attribution exits 0" run_install install3 --attribution
check "the attribution drop-in is installed" ct_test -f /etc/systemd/system/connmon.service.d/10-attribution.conf
check "connmon is active with attribution" active
MAX_SCORE=2.5 security_check connmon.service in_ct -t 30
in_ct -t 10 systemd-run --quiet --unit=connmon-peer /opt/connmon/bin/connmon serve --listen "127.0.0.1:$PEER"
peer_ready() { in_ct -t 10 curl -sf --max-time 5 "http://127.0.0.1:$PEER/-/ready" >/dev/null 2>&1; }
wait_until 60 peer_ready
peer_pid=$(in_ct -t 10 systemctl show -p MainPID --value connmon-peer.service 2>/dev/null)
owner_of_peer() {
    in_ct -t 10 curl -s --max-time 10 "http://127.0.0.1:$PORT/snapshot?local_port=$PEER&state=listen" 2>/dev/null
}
attributed() { owner_of_peer | grep -c "\"pid\":$peer_pid,\"process\":\"java\",\"unit\":\"connmon-peer.service\"" >/dev/null; }
if wait_until 30 attributed; then
    ok "the service attributes root's listener on $PEER to pid $peer_pid (java, connmon-peer.service)"
else
    notok "the service attributes root's listener on $PEER to pid $peer_pid: $(owner_of_peer | head -c 600)"
fi
metric_has_process() {
    in_ct -t 10 curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" 2>/dev/null \
        | grep -cE "^connmon_listeners\\{address=\"[:f]*127\\.0\\.0\\.1\",port=\"$PEER\",process=\"java\",protocol=\"tcp\"\\} 1" >/dev/null
}
check "connmon_listeners carries process=\"java\" for that listener" metric_has_process
# Attribution asked for in /etc/default/connmon but without the drop-in's capabilities: it degrades to the
# service's own processes and says so once in the log.
in_ct -t 10 sh -c 'echo CONNMON_ATTRIBUTION=on >> /etc/default/connmon'
check "install.sh --no-attribution exits 0" run_install install4 --no-attribution
check "the attribution drop-in is removed" ct_test ! -e /etc/systemd/system/connmon.service.d/10-attribution.conf
unattributed() { owner_of_peer | grep -c '"pid":null' >/dev/null; }
if wait_until 30 unattributed; then
    ok "attribution on without the drop-in: root's listener is not attributed (pid null)"
else
    notok "without the drop-in, root's listener is not attributed: $(owner_of_peer | head -c 600)"
fi
denied_logged() { in_ct -t 10 journalctl -u connmon.service --no-pager 2>/dev/null | grep -c 'attribution limited: without CAP_SYS_PTRACE' >/dev/null; }
check "without the capabilities the log says attribution is limited" wait_until 20 denied_logged
in_ct -t 20 systemctl stop connmon-peer.service >/dev/null 2>&1

# ------------------------------------------------------------ network namespaces
# The drop-in of install.sh --netns; a namespace made in the container after the service started, with a
# listener in it (a second connmon, bounded by timeout), must show up in /snapshot with its inode and netlink.
check "install.sh --netns exits 0" run_install install5 --netns
check "the netns drop-in is installed" ct_test -f /etc/systemd/system/connmon.service.d/30-netns.conf
check "connmon is active with --netns all" active
MAX_SCORE=2.5 security_check connmon.service in_ct -t 30
NS=cme2e-$$
NSPEER=$((PORT + 2))
while port_busy "$NSPEER"; do NSPEER=$((NSPEER + 1)); done
if in_ct -t 20 ip netns add "$NS" && in_ct -t 20 ip -n "$NS" link set lo up; then
    ns_inode=$(in_ct -t 10 stat -L -c %i "/run/netns/$NS")
    in_ct -t 10 systemd-run --quiet --unit=connmon-nspeer ip netns exec "$NS" timeout 120 \
        /opt/connmon/bin/connmon serve --listen "127.0.0.1:$NSPEER"
    ns_listener() {
        in_ct -t 10 curl -s --max-time 10 "http://127.0.0.1:$PORT/snapshot?netns=$ns_inode&state=listen&local_port=$NSPEER" \
            2>/dev/null
    }
    ns_seen() { ns_listener | grep -c "\"reader\":\"netlink\"" >/dev/null && ns_listener | grep -c "\"total\":1," >/dev/null; }
    if wait_until 60 ns_seen; then
        ok "a namespace made after the start ($NS, inode $ns_inode) is read through netlink, its listener on $NSPEER seen"
    else
        journal_tail 10; notok "namespace $NS (inode $ns_inode) and its listener in /snapshot: $(ns_listener | head -c 600)"
    fi
    # The whole answer first: grep -q stops reading at the first match, and under pipefail curl's write error
    # would then fail the check.
    ns_info() {
        local m
        m=$(in_ct -t 10 curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" 2>/dev/null)
        grep -q "^connmon_netns_info{.*netns=\"$ns_inode\"" <<<"$m"
    }
    if wait_until 30 ns_info; then
        ok "connmon_netns_info names namespace $ns_inode"
    else
        notok "connmon_netns_info names namespace $ns_inode: $(in_ct -t 10 curl -s --max-time 10 \
            "http://127.0.0.1:$PORT/metrics" 2>/dev/null | grep '^connmon_netns_info' | head -c 600)"
    fi
    in_ct -t 20 systemctl stop connmon-nspeer.service >/dev/null 2>&1
    # No process lives in it now; /run/netns/$NS still holds it: still listed, read through its file.
    ns_held() {
        local d
        d=$(in_ct -t 10 curl -s --max-time 10 "http://127.0.0.1:$PORT/snapshot?netns=$ns_inode&limit=0" 2>/dev/null)
        grep -q "\"pid\":null," <<<"$d" && grep -q "\"reader\":\"netlink\"" <<<"$d" && grep -q "\"error\":null" <<<"$d"
    }
    if wait_until 30 ns_held; then
        ok "namespace $NS with no process left in it is still read, through /run/netns/$NS (pid null, netlink)"
    else
        notok "namespace $NS with no process in it in /snapshot: $(in_ct -t 10 curl -s --max-time 10 \
            "http://127.0.0.1:$PORT/snapshot?netns=$ns_inode&limit=0" 2>/dev/null | head -c 600)"
    fi
    in_ct -t 20 ip netns del "$NS"
else
    notok "ip netns add $NS in the container"
fi
check "install.sh --no-netns exits 0" run_install install6 --no-netns
check "the netns drop-in is removed" ct_test ! -e /etc/systemd/system/connmon.service.d/30-netns.conf

# ------------------------------------------------------------ clean stop
t0=$SECONDS
in_ct -t 30 systemctl stop connmon.service
took=$((SECONDS - t0))
check "systemctl stop finished within 10 s ($took s)" test "$took" -le 10
check "connmon is inactive after stop" test "$(prop ActiveState)" = inactive
result=$(prop Result)
check "stop Result is success (Result=${result:-?}, exit status $(prop ExecMainStatus))" test "$result" = success

# ------------------------------------------------------------ installer errors
one_line_error() { # one_line_error PATTERN OUTPUT RC
    [ "$3" -ne 0 ] && [ "$(printf '%s\n' "$2" | wc -l)" -eq 1 ] && printf '%s' "$2" | grep -q -- "$1"
}
out=$(in_ct -t 30 setpriv --reuid=65534 --regid=65534 --clear-groups bash /srv/connmon/systemd/install.sh 2>&1)
check "install.sh refuses to run as non-root with one clear line" one_line_error 'must be run as root' "$out" $?
out=$(in_ct -t 30 bash /srv/connmon/systemd/install.sh --jar /nonexistent/connmon.jar 2>&1)
check "install.sh reports a missing jar with one clear line" one_line_error 'jar not found' "$out" $?
# A PATH holding only what install.sh needs before its java check.
# shellcheck disable=SC2016  # expanded inside the container
out=$(in_ct -t 30 bash -c 'd=$(mktemp -d); for c in systemctl id dirname realpath; do ln -s "$(command -v $c)" "$d/"; done
    PATH=$d /bin/bash /srv/connmon/systemd/install.sh; rc=$?; rm -rf "$d"; exit $rc' 2>&1)
check "install.sh reports a missing java with one clear line" one_line_error 'java not found' "$out" $?
check "the failed runs left the stopped service alone" test "$(prop ActiveState)" = inactive

# ------------------------------------------------------------ uninstall
quiet() { "$@" >/dev/null 2>&1; }
check "install.sh --uninstall exits 0" run_install uninstall1 --uninstall
check "systemctl cat connmon fails after uninstall" not quiet in_ct -t 10 systemctl cat connmon.service
check "/etc/systemd/system/connmon.service is gone" ct_test ! -e /etc/systemd/system/connmon.service
check "/opt/connmon is gone" ct_test ! -e /opt/connmon
check "connmon is not enabled any more" not quiet in_ct -t 10 systemctl is-enabled connmon.service
check "nothing answers on port $PORT any more" not port_busy "$PORT"
check "the edited /etc/default/connmon was kept" ct_test -f /etc/default/connmon
in_ct -t 10 cp /srv/connmon/systemd/connmon.default /etc/default/connmon
check "install.sh --uninstall again exits 0 (idempotent)" run_install uninstall2 --uninstall
check "an unchanged /etc/default/connmon is removed" ct_test ! -e /etc/default/connmon

# ------------------------------------------------------------ Debian package
# The same container, now without any install.sh leftovers: apt-get installs the package.
apt_ct() { # apt_ct LOGNAME ARGS...: run apt-get in the container, log its output
    local name=$1; shift
    in_ct -t 300 env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" </dev/null >"$LOGS/$name.log" 2>&1
    local rc=$?
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$LOGS/$name.log"
    return "$rc"
}
pkg_status() { in_ct -t 10 dpkg-query -W -f '${Status} ${Version}' connmon 2>/dev/null; }
# The package starts the service on 127.0.0.1:9469 unless told otherwise: the host's network is shared,
# so the test port comes from a runtime drop-in until /etc/default/connmon is edited.
in_ct -t 10 sh -c "mkdir -p /run/systemd/system/connmon.service.d &&
    printf '[Service]\nEnvironment=CONNMON_LISTEN=127.0.0.1:$PORT\n' >/run/systemd/system/connmon.service.d/50-e2e.conf"
check "apt-get install ./$DEB1 exits 0" apt_ct apt-install install "/srv/connmon/deb/1/$DEB1"
v1=$(pkg_status)
check "dpkg shows connmon installed ($v1)" test "${v1% *}" = "install ok installed"
check "the unit is in /lib/systemd/system and nothing in /etc/systemd/system" \
    ct_test -f /lib/systemd/system/connmon.service -a ! -e /etc/systemd/system/connmon.service
check "ExecStart is the packaged launcher (/usr/bin/connmon serve)" \
    in_ct -t 10 grep -qx 'ExecStart=/usr/bin/connmon serve' /lib/systemd/system/connmon.service
check "launcher and jar installed (/usr/bin/connmon, /usr/share/connmon/connmon.jar)" \
    ct_test -x /usr/bin/connmon -a -f /usr/share/connmon/connmon.jar
check "the attribution and netns drop-ins are shipped (/lib/systemd/system/connmon-{attribution,netns}.conf)" \
    ct_test -f /lib/systemd/system/connmon-attribution.conf -a -f /lib/systemd/system/connmon-netns.conf
check "/etc/default/connmon is a conffile" in_ct -t 10 sh -c "dpkg-query -W -f '\${Conffiles}' connmon | grep -q ' /etc/default/connmon '"
check "the package enabled connmon" test "$(in_ct -t 10 systemctl is-enabled connmon.service 2>/dev/null)" = enabled
check "the package started connmon" wait_until 20 active
t0=$SECONDS
if wait_until 60 http_ok /-/ready; then ok "packaged connmon: /-/ready answers 200 on port $PORT (after $((SECONDS - t0)) s)"; else
    journal_tail 15; notok "packaged connmon: /-/ready answers 200 on port $PORT within 60 s"; fi
scraped_up() { in_ct -t 10 curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" 2>/dev/null | grep -cx 'connmon_up 1.0' >/dev/null; }
check "packaged connmon is scraped: /metrics says connmon_up 1" scraped_up
pid=$(prop MainPID)
uid=$(in_ct -t 10 awk '/^Uid:/ { print $3 }' "/proc/$pid/status" 2>/dev/null)
check "packaged connmon runs as a dynamic non-root user (uid ${uid:-?})" test -n "$uid" -a "${uid:-0}" != 0
verify=$(in_ct -t 30 systemd-analyze verify connmon.service 2>&1)
rc=$?
[ -z "$verify" ] || printf '%s\n' "$verify" | sed 's/^/# /'
check "systemd-analyze verify of the packaged unit is clean" test "$rc" -eq 0 -a -z "$verify"

# Upgrade: the edited conffile is kept without a prompt, the service restarts on the new version.
in_ct -t 10 sh -c "printf '\n# e2e test\nCONNMON_LISTEN=127.0.0.1:$PORT\nCONNMON_LOG_LEVEL=debug\n' >>/etc/default/connmon &&
    rm -f /run/systemd/system/connmon.service.d/50-e2e.conf && systemctl daemon-reload"
old=$(prop MainPID)
check "apt-get install ./$DEB2 (upgrade) exits 0" apt_ct apt-upgrade install "/srv/connmon/deb/2/$DEB2"
v2=$(pkg_status)
check "dpkg shows the upgrade ($v1 -> $v2)" test "${v2% *}" = "install ok installed" -a "${v2##* }" != "${v1##* }"
check "the upgrade kept the edited /etc/default/connmon" \
    in_ct -t 10 grep -qx "CONNMON_LISTEN=127.0.0.1:$PORT" /etc/default/connmon
check "dpkg asked no conffile question" not grep -q "Configuration file '/etc/default/connmon'" "$LOGS/apt-upgrade.log"
new=$(prop MainPID)
check "the upgrade restarted the service (MainPID $old -> $new)" test -n "$new" -a "$new" != 0 -a "$new" != "$old"
if wait_until 60 http_ok /metrics; then ok "after the upgrade /metrics answers on the port from the edited conffile"; else
    journal_tail 15; notok "after the upgrade /metrics answers on the port from the edited conffile within 60 s"; fi
check "the edited conffile is in effect (log level debug)" \
    in_ct -t 10 sh -c "tr '\0' '\n' </proc/$new/environ | grep -qx CONNMON_LOG_LEVEL=debug"

# Attribution: the shipped drop-in, linked into /etc, grants exactly its two capabilities.
in_ct -t 30 sh -c 'mkdir -p /etc/systemd/system/connmon.service.d &&
    ln -s /lib/systemd/system/connmon-attribution.conf /etc/systemd/system/connmon.service.d/10-attribution.conf &&
    systemctl daemon-reload && systemctl restart connmon.service'
pid=$(prop MainPID)
capeff=$(in_ct -t 10 awk '/^CapEff:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
# CAP_DAC_READ_SEARCH (bit 2) and CAP_SYS_PTRACE (bit 19).
check "with the linked drop-in the service has exactly CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE (CapEff ${capeff:-?})" \
    test "$capeff" = 0000000000080004
attribution_metrics() { in_ct -t 10 curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" 2>/dev/null | grep -c '^connmon_attribution_complete ' >/dev/null; }
check "with the linked drop-in /metrics carries connmon_attribution_complete" wait_until 60 attribution_metrics
in_ct -t 10 rm -f /etc/systemd/system/connmon.service.d/10-attribution.conf
in_ct -t 10 rmdir /etc/systemd/system/connmon.service.d 2>/dev/null
in_ct -t 10 systemctl daemon-reload

# Remove keeps the conffile; purge removes it and every trace of the unit.
check "apt-get remove connmon exits 0" apt_ct apt-remove remove connmon
check "after remove the unit file is gone" ct_test ! -e /lib/systemd/system/connmon.service
check "after remove the launcher and jar are gone" ct_test ! -e /usr/bin/connmon -a ! -e /usr/share/connmon
check "after remove connmon is not running" not active
check "after remove nothing answers on port $PORT" not port_busy "$PORT"
check "after remove /etc/default/connmon is kept (dpkg: $(pkg_status))" ct_test -f /etc/default/connmon
check "apt-get purge connmon exits 0" apt_ct apt-purge purge connmon
check "after purge /etc/default/connmon is gone" ct_test ! -e /etc/default/connmon
check "after purge dpkg knows no connmon" not quiet in_ct -t 10 dpkg-query -W connmon
check "after purge no enable link or mask is left in /etc/systemd/system" \
    ct_test ! -e /etc/systemd/system/multi-user.target.wants/connmon.service -a ! -L /etc/systemd/system/connmon.service
check "after purge systemctl cat connmon fails" not quiet in_ct -t 10 systemctl cat connmon.service

finish
