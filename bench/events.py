#!/usr/bin/env python3
"""Connections over time under churn: does connmon count every connection, at what CPU, and does a scrape cost more?

For each run it starts bench/load/ChurnLoad.java (a listener of its own on 127.0.0.1, connections opened and
closed at --rate for --seconds, then it exits), a connmon daemon (`serve --max-age 0 --outbound-ports PORT`) with
`--events on` or `--events off`, alternating, and:
  - takes a baseline scrape, reads the daemon's CPU time (utime + stime in /proc/PID/stat), runs the load,
    waits a second for the last events, reads the CPU time again and scrapes;
  - counts: connmon_connections_closed_total and _opened_total of the load's port, inbound and outbound, against
    the connections the generator made, and connmon_events_lost_total;
  - then times --scrapes scrapes of /metrics (median), with the same daemon, once the load is over.

    python3 bench/events.py --rate 10000 --seconds 10 --runs 3

The daemon is bin/connmon (build first: mvn -B -ntp -q package -DskipTests). Touches only loopback; every load
stops by itself. CI does not run it.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONNMON = os.path.join(ROOT, "bin", "connmon")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15


def get(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.read().decode()


def value(text, name, **labels):
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        m = re.match(r"([^{ ]+)(\{([^}]*)\})? (\S+)", line)
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        if m.group(1) == name and got == labels:
            return float(m.group(4))
    return 0.0


def wait_ready(port, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        try:
            get(port, "/-/ready")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("connmon did not become ready")


def wait_quiet(seconds=90):
    """Waits until the TIME_WAIT sockets of an earlier run are gone (at most 60 s each)."""
    end = time.time() + seconds
    while time.time() < end:
        with open("/proc/net/sockstat") as f:
            line = next(l for l in f if l.startswith("TCP:")).split()
        if int(line[line.index("tw") + 1]) < 1000:
            return
        time.sleep(2)


def run(events, args):
    wait_quiet()
    load = subprocess.Popen(["java", "-Xmx64m", "-XX:+UseSerialGC", os.path.join(ROOT, "bench/load/ChurnLoad.java"),
                             "--rate", str(args.rate), "--seconds", str(args.seconds), "--threads", str(args.threads)]
                            + (["--rst"] if args.rst else []),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lport = int(load.stdout.readline().split()[1])
    cport = free_port()
    daemon = subprocess.Popen([CONNMON, "serve", "--listen", f"127.0.0.1:{cport}", "--max-age", "0",
                               "--outbound-ports", str(lport), "--events", "on" if events else "off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(cport)
        time.sleep(2)  # let the JIT of the start settle
        before = get(cport)
        c0 = cpu_seconds(daemon.pid)
        t0 = time.time()
        load.stdin.write("go\n")
        load.stdin.flush()
        done = load.stdout.readline().split()
        load.wait(timeout=60)
        time.sleep(1)
        c1 = cpu_seconds(daemon.pid)
        wall = time.time() - t0
        after = get(cport)
        made = int(done[1])
        counts = {}
        for kind in ("closed", "opened"):
            for d in ("inbound", "outbound"):
                n = f"connmon_connections_{kind}_total"
                counts[f"{kind} {d}"] = value(after, n, direction=d, port=str(lport)) - value(
                    before, n, direction=d, port=str(lport))
        lost = value(after, "connmon_events_lost_total") - value(before, "connmon_events_lost_total")
        scrapes = []
        for _ in range(args.scrapes):
            t = time.perf_counter()
            get(cport)
            scrapes.append(time.perf_counter() - t)
        return {"events": events, "made": made, "rate": made / float(done[2]), "cpu": (c1 - c0) / wall,
                "counts": counts, "lost": lost, "scrape": statistics.median(scrapes)}
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        if load.poll() is None:
            load.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scrapes", type=int, default=20)
    ap.add_argument("--rst", action="store_true")
    args = ap.parse_args()
    results = []
    for i in range(args.runs):
        for events in (True, False) if i % 2 == 0 else (False, True):
            r = run(events, args)
            results.append(r)
            print(("on " if events else "off") + f" made {r['made']} ({r['rate']:.0f}/s) cpu {100 * r['cpu']:.1f}% "
                  f"lost {r['lost']:.0f} scrape {1000 * r['scrape']:.1f} ms " + str(r["counts"]), flush=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"\nload average at the end: {' '.join(load)} on {os.cpu_count()} cores")
    for events in (True, False):
        rs = [r for r in results if r["events"] == events]
        cpu = statistics.median(r["cpu"] for r in rs)
        scrape = statistics.median(r["scrape"] for r in rs)
        rate = statistics.median(r["rate"] for r in rs)
        exact = all(r["counts"][k] == r["made"] for r in rs for k in r["counts"]) if events else None
        lost = sum(r["lost"] for r in rs)
        print(f"events {'on ' if events else 'off'}: rate {rate:.0f}/s, daemon CPU {100 * cpu:.1f}% of a core "
              f"(median of {len(rs)}), scrape {1000 * scrape:.1f} ms"
              + (f", every connection counted in all four counters: {exact}, lost {lost:.0f}" if events else ""))


if __name__ == "__main__":
    main()
