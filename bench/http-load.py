#!/usr/bin/env python3
"""The HTTP load test: connmon serving a 100,000-socket table while clients misbehave, all on 127.0.0.1.

It writes a proc tree whose net/tcp holds 100,000 sockets in the kernel's format (fixed seed), starts the daemon
with the shipped launcher (bin/connmon, its JVM flags, default max-age and collection timeout) on that tree and an
ephemeral port, and then, all at once for --seconds (60):

  - 64 scrapers, half of them fetching /metrics and half /snapshot, back to back;
  - 200 slowloris connections: a request line, then one header byte every 5 s (reconnected when closed);
  - 50 clients that ask for /snapshot and never read it;
  - one well-behaved client (a process of its own) that GETs /metrics once a second and times each answer.

Pass/fail: the well-behaved client gets every /metrics within 2 s with status 200 (503 tolerated and counted,
nothing else), collections never overlap (the collection time summed over the run is no more than the run's
length, and the daemon's own count of collections matches the source's single-flight), the daemon's threads and
open files come back to their idle counts after the load stops, and its peak resident memory is reported.

Bounded: every client stops by itself after --seconds; the daemon is stopped at the end. Loopback only.

    mvn -B -ntp -q -DskipTests package && python3 bench/http-load.py --seconds 60

--fd-exhaustion N instead starts the daemon under `prlimit --nofile=N:N`, holds 400 idle connections for 10 s and
reports its CPU time meanwhile (JDK 17's accept loop spins at a full core when descriptors run out).
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import http.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONNMON = os.path.join(ROOT, "bin", "connmon")

TCP_HEADER = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
              "inode")
UDP_HEADER = ("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
              "inode ref pointer drops")
TCP6_HEADER = ("  sl  local_address                         remote_address                        st tx_queue "
               "rx_queue tr tm->when retrnsmt   uid  timeout inode")


def addr4(a, b, c, d):
    """An IPv4 address as /proc/net/tcp prints it: the network-order bytes read as a little-endian word."""
    return "%02X%02X%02X%02X" % (d, c, b, a)


def write_proc_tree(root, sockets, seed=42):
    """net/tcp with `sockets` lines (64 listeners, then ~60% ESTABLISHED, 37% TIME_WAIT, 3% CLOSE_WAIT)."""
    rnd = random.Random(seed)
    net = os.path.join(root, "net")
    os.makedirs(net)
    os.makedirs(os.path.join(root, "sys/net/ipv4"))
    lines = [TCP_HEADER.ljust(149)]
    services = [22, 80, 443, 5432, 6379, 8080, 8443, 9090, 9100, 11211]
    inode = 100000
    for i in range(sockets):
        inode += 1
        if i < 64:
            port = services[i % len(services)] if i < len(services) else 20000 + i
            local = "%s:%04X" % (addr4(0, 0, 0, 0) if i % 2 == 0 else addr4(127, 0, 0, 1), port)
            line = "%4d: %s %s:0000 0A 00000000:00000000 00:00000000 00000000 %5d %8d %d 1 %016x 100 0 0 10 0" % (
                i, local, addr4(0, 0, 0, 0), 0, 0, inode, rnd.getrandbits(64))
        else:
            peer = addr4(10, rnd.randrange(256), rnd.randrange(256), 1 + rnd.randrange(254))
            me = addr4(10, 0, 0, 1)
            ephemeral = 32768 + rnd.randrange(28232)
            inbound = rnd.random() < 0.5
            local = "%s:%04X" % (me, services[rnd.randrange(len(services))] if inbound else ephemeral)
            remote = "%s:%04X" % (peer, ephemeral if inbound else [443, 5432, 6379, 3306][rnd.randrange(4)])
            r = rnd.random()
            if r < 0.37:  # TIME_WAIT: the kernel's shorter line
                line = "%4d: %s %s 06 00000000:00000000 03:%08X 00000000 %5d %8d 0 3 %016x" % (
                    i, local, remote, rnd.randrange(6000), 0, 0, rnd.getrandbits(64))
            else:
                st = "08" if r < 0.40 else "01"
                line = "%4d: %s %s %s %08X:%08X 00:00000000 00000000 %5d %8d %d 1 %016x 20 4 30 10 -1" % (
                    i, local, remote, st, rnd.randrange(2000) if rnd.random() < 0.1 else 0, 0,
                    [0, 33, 1000][rnd.randrange(3)], 0, inode, rnd.getrandbits(64))
        lines.append(line.ljust(149))
    with open(os.path.join(net, "tcp"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(net, "tcp6"), "w") as f:
        f.write(TCP6_HEADER + "\n")
    for name in ("udp", "udp6"):
        with open(os.path.join(net, name), "w") as f:
            f.write(UDP_HEADER + "\n")
    for name in ("snmp", "netstat", "snmp6", "sockstat", "sockstat6"):
        shutil.copy("/proc/net/" + name, os.path.join(net, name))
    shutil.copy("/proc/sys/net/ipv4/ip_local_port_range", os.path.join(root, "sys/net/ipv4/ip_local_port_range"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        n = 0
        while True:
            chunk = r.read(1 << 16)
            if not chunk:
                break
            n += len(chunk)
        return r.status, n
    finally:
        c.close()


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return out


def metric(port, name):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    return total if found else None


# --- roles run in their own processes -------------------------------------------------------------------------

def role_good(port, seconds):
    """GET /metrics once a second; print one JSON line of [status, seconds] pairs."""
    out = []
    end = time.time() + seconds
    while time.time() < end:
        t = time.perf_counter()
        try:
            status, _ = get(port, "/metrics", timeout=30)
        except Exception as e:  # a refused or dropped connection counts as a failure
            status = "error: %s" % e
        out.append([status, time.perf_counter() - t])
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - t)))
    print(json.dumps(out), flush=True)


def role_load(port, seconds, scrapers, slowloris, readers):
    stop = time.time() + seconds
    counts = {}
    lock = threading.Lock()

    def count(key):
        with lock:
            counts[key] = counts.get(key, 0) + 1

    def scraper(path):
        while time.time() < stop:
            try:
                status, _ = get(port, path, timeout=60)
                count("%s %d" % (path, status))
            except Exception:
                count("%s error" % path)
                time.sleep(0.1)

    def loris():
        s = None
        while time.time() < stop:
            try:
                if s is None:
                    s = socket.create_connection(("127.0.0.1", port), timeout=5)
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    count("slowloris connect")
                time.sleep(5)
                s.sendall(b"X")  # one more header byte, never the end of the headers
            except OSError:
                count("slowloris closed by the server")
                if s is not None:
                    s.close()
                s = None
        if s is not None:
            s.close()

    def nonreader():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        count("nonreader connect")
        time.sleep(max(0.0, stop - time.time()))
        s.close()

    threads = [threading.Thread(target=scraper, args=("/metrics" if i % 2 == 0 else "/snapshot",))
               for i in range(scrapers)]
    threads += [threading.Thread(target=loris) for _ in range(slowloris)]
    threads += [threading.Thread(target=nonreader) for _ in range(readers)]
    for t in threads:
        t.daemon = True
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, stop - time.time() + 70))
    print(json.dumps(counts), flush=True)


# --- the conductor ----------------------------------------------------------------------------------------------

def wait_ready(port, seconds):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if get(port, "/-/ready", timeout=5)[0] == 200:
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError("the daemon never became ready")


def wait_idle(pid, idle, seconds):
    """Polls until threads and fds are back at or below their idle counts; returns the last reading."""
    end = time.time() + seconds
    st = proc_status(pid)
    while time.time() < end:
        st = proc_status(pid)
        if int(st["Threads"]) <= idle["threads"] and st["fds"] <= idle["fds"]:
            break
        time.sleep(1)
    return st


def fd_exhaustion(nofile, connections, java_opts):
    """The daemon under `prlimit --nofile=N:N` while `connections` idle connections are held for 10 s: its CPU time
    meanwhile (a spinning accept loop costs a full core), its open files, and whether it serves once they go."""
    tmp = tempfile.mkdtemp(prefix="connmon-fd-exhaustion-")
    daemon = None
    held = []
    try:
        write_proc_tree(os.path.join(tmp, "proc"), 1000)
        port = free_port()
        env = dict(os.environ)
        if java_opts:
            env["JAVA_OPTS"] = java_opts
        log_path = os.path.join(tmp, "connmon.log")
        daemon = subprocess.Popen(["prlimit", "--nofile=%d:%d" % (nofile, nofile), CONNMON, "serve", "--listen",
                                   "127.0.0.1:%d" % port, "--source", "procfs", "--proc-root",
                                   os.path.join(tmp, "proc")], stdout=open(log_path, "w"),
                                  stderr=subprocess.STDOUT, env=env)
        wait_ready(port, 60)

        def cpu():
            f = open("/proc/%d/stat" % daemon.pid).read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

        for _ in range(connections):
            try:
                held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        before = cpu()
        time.sleep(10)
        spent = cpu() - before
        fds = len(os.listdir("/proc/%d/fd" % daemon.pid))
        for s in held:
            s.close()
        held = []
        time.sleep(2)
        status, _ = get(port, "/metrics", timeout=10)
        print("nofile %d, %d connections held 10 s: %.2f s of CPU, %d open files; /metrics afterwards: %d" % (
            nofile, connections, spent, fds, status))
        with open(log_path) as f:
            for line in f:
                if line.startswith("WARN") or line.startswith("ERROR"):
                    print("  log: " + line.rstrip())
        return 0 if spent < 2 and status == 200 else 1
    finally:
        for s in held:
            s.close()
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fd-exhaustion", type=int, metavar="NOFILE",
                    help="instead: hold 400 idle connections against a daemon limited to NOFILE descriptors")
    ap.add_argument("--java-opts", help="with --fd-exhaustion: JAVA_OPTS for the daemon")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--sockets", type=int, default=100000)
    ap.add_argument("--scrapers", type=int, default=64)
    ap.add_argument("--slowloris", type=int, default=200)
    ap.add_argument("--nonreaders", type=int, default=50)
    ap.add_argument("--role", choices=["good", "load"])
    ap.add_argument("--port", type=int)
    args = ap.parse_args()
    if args.role == "good":
        return role_good(args.port, args.seconds)
    if args.role == "load":
        return role_load(args.port, args.seconds, args.scrapers, args.slowloris, args.nonreaders)
    if args.fd_exhaustion:
        return fd_exhaustion(args.fd_exhaustion, 400, args.java_opts)

    tmp = tempfile.mkdtemp(prefix="connmon-http-load-")
    daemon = None
    try:
        write_proc_tree(os.path.join(tmp, "proc"), args.sockets)
        port = free_port()
        log = open(os.path.join(tmp, "connmon.log"), "w")
        daemon = subprocess.Popen([CONNMON, "serve", "--listen", "127.0.0.1:%d" % port, "--source", "procfs",
                                   "--proc-root", os.path.join(tmp, "proc")], stdout=log, stderr=subprocess.STDOUT)
        wait_ready(port, 60)
        for _ in range(3):  # warm up every path once, then let the threads that served them go idle
            get(port, "/metrics")
            get(port, "/snapshot")
        time.sleep(35)
        st = proc_status(daemon.pid)
        idle = {"threads": int(st["Threads"]), "fds": st["fds"], "rss": st["VmRSS"]}
        collections_before = metric(port, "connmon_collection_duration_seconds_count")
        duration_before = metric(port, "connmon_collection_duration_seconds_sum")
        print("idle: %(threads)d threads, %(fds)d open files, %(rss)s resident" % idle, flush=True)

        me = [sys.executable, os.path.abspath(__file__), "--port", str(port), "--seconds", str(args.seconds)]
        started = time.time()
        good = subprocess.Popen(me + ["--role", "good"], stdout=subprocess.PIPE, text=True)
        load = subprocess.Popen(me + ["--role", "load", "--scrapers", str(args.scrapers), "--slowloris",
                                      str(args.slowloris), "--nonreaders", str(args.nonreaders)],
                                stdout=subprocess.PIPE, text=True)
        peak = {"threads": 0, "fds": 0}
        while good.poll() is None or load.poll() is None:
            st = proc_status(daemon.pid)
            peak["threads"] = max(peak["threads"], int(st["Threads"]))
            peak["fds"] = max(peak["fds"], st["fds"])
            if time.time() - started > args.seconds + 120:
                raise RuntimeError("the clients did not stop")
            time.sleep(0.5)
        elapsed = time.time() - started
        answers = json.loads(good.stdout.read())
        counts = json.loads(load.stdout.read())
        after = wait_idle(daemon.pid, idle, 60)
        collections = (metric(port, "connmon_collection_duration_seconds_count") or 0) - (collections_before or 0)
        busy = (metric(port, "connmon_collection_duration_seconds_sum") or 0) - (duration_before or 0)
        errors = metric(port, "connmon_collection_errors_total")
        served = {}
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/metrics")
        for line in c.getresponse().read().decode().splitlines():
            if line.startswith("connmon_http_requests_total{"):
                served[line.split("{", 1)[1].split("}")[0]] = float(line.rsplit(" ", 1)[1])
        c.close()
        with open("/proc/%d/status" % daemon.pid) as f:
            hwm = [l.split(":")[1].strip() for l in f if l.startswith("VmHWM")][0]

        times = sorted(t for s, t in answers if s == 200)
        statuses = {}
        for s, _ in answers:
            statuses[str(s)] = statuses.get(str(s), 0) + 1
        slow = [t for s, t in answers if s == 200 and t > 2.0]
        bad = [s for s, _ in answers if s not in (200, 503)]
        p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))] if times else float("nan")
        print("well-behaved client: %d requests %s; median %.3f s, p99 %.3f s, max %.3f s" % (
            len(answers), statuses, statistics.median(times) if times else float("nan"), p99,
            max(times) if times else float("nan")))
        print("load clients: %s" % json.dumps(counts, sort_keys=True))
        print("daemon answers: %s" % json.dumps(served, sort_keys=True))
        print("collections during the run: %d, %.1f s of collecting in %.1f s (errors total %s)" % (
            collections, busy, elapsed, errors))
        print("peak during the load: %d threads, %d open files; resident memory peak (VmHWM) %s" % (
            peak["threads"], peak["fds"], hwm))
        print("after: %s threads, %d open files, %s resident (idle: %d, %d, %s)" % (
            after["Threads"], after["fds"], after["VmRSS"], idle["threads"], idle["fds"], idle["rss"]))
        ok = True
        if slow or bad:
            print("FAIL: the well-behaved client saw %d answers over 2 s and these failures: %s" % (len(slow), bad))
            ok = False
        if busy > elapsed + 1:
            print("FAIL: collections overlapped (%.1f s of collecting in %.1f s)" % (busy, elapsed))
            ok = False
        if int(after["Threads"]) > idle["threads"] or after["fds"] > idle["fds"]:
            print("FAIL: threads or open files did not come back to their idle counts")
            ok = False
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main() or 0)
