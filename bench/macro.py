#!/usr/bin/env python3
"""The macro benchmark: connmon side by side with the floors, ss, netstat and node_exporter on real loopback sockets.

For each socket count it starts bench/load/SocketLoad.java, connmon daemons (max-age 0, so every scrape
collects afresh) with the netlink source, with the procfs source and with process attribution, optionally the
same daemon of an earlier build (--baseline, a directory holding bin/connmon and its jar, for before/after),
and node_exporter with only its tcpstat collector, all on 127.0.0.1. Then it runs every contender once per
round, in a rotating order, for several rounds, and reports the median and the spread (min-max) of each, their
ratios to the netlink floor (bench/floor/sockdiag-floor.c, compiled here with gcc: the four sock_diag dumps
`ss` makes, parsing nothing; also timed making the three dumps connmon makes) and to node_exporter, and the
daemons' peak resident memory. The machine's load average is recorded before and after each size. Results go
to a markdown file and a PNG.

    python3 bench/macro.py --sizes 10000,100000,300000 --rounds 7 --markdown docs/performance-macro.md --plot docs/performance.png
"""
import argparse
import http.client
import os
import socket
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONNMON = os.path.join(ROOT, "bin", "connmon")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(port, path, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200:
        raise RuntimeError(f"GET {path} on {port}: {r.status}")
    return body


def wait_http(port, path, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            http_get(port, path, timeout=5)
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}{path}")


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def run_cmd(cmd):
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def build_floor():
    """Compiles the C floor into a temporary directory; gcc is required."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise RuntimeError("no gcc or cc: the netlink floor (bench/floor/sockdiag-floor.c) cannot be built")
    out = os.path.join(tempfile.mkdtemp(prefix="connmon-floor-"), "sockdiag-floor")
    subprocess.run([gcc, "-O2", "-o", out, os.path.join(ROOT, "bench/floor/sockdiag-floor.c")], check=True)
    return out


def raise_file_limit():
    """The load generator's children hold 16,000 descriptors each; raise the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def start_load(sockets, seconds):
    env = dict(os.environ, SOCKETLOAD_SOURCE=os.path.join(ROOT, "bench/load/SocketLoad.java"))
    p = subprocess.Popen(["java", "-Xmx64m", "-XX:+UseSerialGC", os.path.join(ROOT, "bench/load/SocketLoad.java"),
                          "--sockets", str(sockets), "--seconds", str(seconds)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline()
    if not line.startswith("READY"):
        p.kill()
        raise RuntimeError(f"load generator failed: {line!r}")
    return p


def wait_quiet(seconds=90):
    """Waits until TIME_WAIT sockets left by earlier runs are gone: the kernel walks them too."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        with open("/proc/net/sockstat") as f:
            tw = next((int(l.split()[l.split().index("tw") + 1]) for l in f if l.startswith("TCP:")), 0)
        if tw < 1000:
            return
        time.sleep(2)


FLOOR = "sock_diag floor: four dumps, no parsing (C)"
FLOOR3 = "sock_diag floor: connmon's three dumps (TCP of both families in one), no parsing (C)"
NODE = "node_exporter scrape (tcpstat)"
CONNMON_METRICS = "connmon /metrics (netlink, max-age 0)"
LIST_TLN = "connmon list -tln (JVM start included)"


def bench_size(n, rounds, seconds, floor, baseline, with_p=True):
    wait_quiet()
    procs = []
    load_before = loadavg()
    try:
        load = start_load(n, seconds)
        procs.append(load)
        time.sleep(1)
        logdir = os.environ.get("MACRO_LOGS", "/tmp")
        daemons = {}  # name -> (process, port)

        def serve(name, launcher, *extra):
            port = free_port()
            p = subprocess.Popen([launcher, "serve", "--listen", f"127.0.0.1:{port}", "--max-age", "0", *extra],
                                 stdout=subprocess.DEVNULL,
                                 stderr=open(os.path.join(logdir, f"macro-{name.replace(' ', '-')}-{n}.log"), "w"))
            procs.append(p)
            daemons[name] = (p, port)
            return port

        cport = serve("connmon", CONNMON, "--source", "netlink")
        pport = serve("connmon procfs", CONNMON, "--source", "procfs")
        bport = serve("connmon before", os.path.join(baseline, "bin", "connmon"), "--source", "netlink") \
            if baseline else None
        aport = free_port()
        attrib = subprocess.Popen([CONNMON, "serve", "--listen", f"127.0.0.1:{aport}", "--max-age", "0",
                                   "--attribution", "on", "--attribution-budget", "60s"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(attrib)
        daemons["connmon with attribution"] = (attrib, aport)
        nport = free_port()
        node = subprocess.Popen(["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{nport}",
                                 "--collector.disable-defaults", "--collector.tcpstat"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(node)
        daemons["node_exporter"] = (node, nport)
        for name, (_, port) in daemons.items():
            wait_http(port, "/metrics" if name == "node_exporter" else "/-/ready", 120)
        # The attribution daemon's first collection did the full first walk; its log line says how long.
        first_attr = None
        for line in attrib.stderr:
            if "first collection" in line:
                first_attr = float(line.split(" in ")[1].split(" ms")[0]) / 1000.0
                break
        tables = "/proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6"
        contenders = [
            (FLOOR, lambda: run_cmd(f"{floor} 1 > /dev/null")),
            (FLOOR3, lambda: run_cmd(f"{floor} 1 two-family > /dev/null")),
            ("cat /proc/net/{tcp,tcp6,udp,udp6} (procfs floor)", lambda: run_cmd(f"cat {tables} > /dev/null")),
            ("ss -tanu", lambda: run_cmd("ss -tanu > /dev/null")),
            ("netstat -tanu", lambda: run_cmd("netstat -tanu > /dev/null")),
            (NODE, lambda: http_get(nport, "/metrics")),
            (CONNMON_METRICS, lambda: http_get(cport, "/metrics")),
            ("connmon /metrics, procfs source", lambda: http_get(pport, "/metrics")),
            ("connmon /snapshot (netlink)", lambda: http_get(cport, "/snapshot")),
            (LIST_TLN, lambda: run_cmd(f"{CONNMON} list -tln > /dev/null")),
            ("connmon list -tuan (JVM start included)", lambda: run_cmd(f"{CONNMON} list -tuan > /dev/null")),
            ("connmon /metrics with attribution", lambda: http_get(aport, "/metrics")),
        ]
        if bport:
            contenders.append(("connmon /metrics (netlink), before (--baseline)", lambda: http_get(bport, "/metrics")))
        if with_p:  # a minute each at 300,000 sockets: only up to --p-max
            contenders += [
                ("netstat -tanup", lambda: run_cmd("netstat -tanup > /dev/null")),
                ("ss -tanup", lambda: run_cmd("ss -tanup > /dev/null")),
            ]
        for _, fn in contenders:  # warm-up: JIT, page cache
            for _ in range(2):
                fn()
        times = {name: [] for name, _ in contenders}
        for r in range(rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for name, fn in order:
                times[name].append(timed(fn))
        rss = {name: peak_rss_mib(p.pid) for name, (p, _) in daemons.items()}
        return times, rss, first_attr, (load_before, loadavg())
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def fmt(s):
    return f"{s * 1000:.0f} ms" if s >= 0.01 else f"{s * 1000:.1f} ms"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--baseline", help="a directory with bin/connmon and its jar of an earlier build, run beside")
    ap.add_argument("--p-max", type=int, default=0,
                    help="largest socket count at which netstat -p and ss -p run (they take a minute at 300k)")
    ap.add_argument("--markdown", default=os.path.join(ROOT, "docs/performance-macro.md"))
    ap.add_argument("--plot", default=os.path.join(ROOT, "docs/performance.png"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    raise_file_limit()
    floor = build_floor()
    results = {}
    for n in sizes:
        print(f"# {n} sockets", file=sys.stderr, flush=True)
        try:
            results[n] = bench_size(n, args.rounds, 1800, floor, args.baseline, with_p=n <= args.p_max)
        except Exception as e:  # one size failing (a daemon dying, say) must not lose the others
            print(f"# {n} sockets failed: {e!r}", file=sys.stderr, flush=True)
            results[n] = e
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    out = []
    out.append(f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu}), kernel "
               f"{os.uname().release}, {subprocess.run(['java', '-version'], capture_output=True, text=True).stderr.splitlines()[0]}; "
               f"{args.rounds} rounds per contender, alternating; median and min-max.\n")
    out.append(f"Command: `python3 bench/macro.py --sizes {args.sizes} --rounds {args.rounds}"
               + (" --baseline DIR" if args.baseline else "") + "`\n")
    for n in sizes:
        if isinstance(results[n], Exception):
            out.append(f"\n### {n:,} TCP sockets held\n\nFailed: `{results[n]!r}`\n")
            continue
        times, rss, first_attr, load = results[n]
        floor = statistics.median(times[FLOOR])
        node = statistics.median(times[NODE])
        out.append(f"\n### {n:,} TCP sockets held (plus listeners and UDP)\n")
        out.append(f"Load average (1, 5, 15 min) before: {load[0]}; after: {load[1]}.\n")
        out.append("| contender | median | min-max | / floor | / node_exporter |")
        out.append("| --- | --- | --- | --- | --- |")
        for name, ts in times.items():
            m = statistics.median(ts)
            out.append(f"| {name} | {fmt(m)} | {fmt(min(ts))}-{fmt(max(ts))} | {m / floor:.2f}x | {m / node:.2f}x |")
        out.append("")
        out.append("| daemon | peak resident memory |")
        out.append("| --- | --- |")
        for name, v in rss.items():
            out.append(f"| {name} | {v:.0f} MiB |")
        if first_attr is not None and "netstat -tanup" in times:
            out.append(f"\nFirst full attribution (the attribution daemon's first collection): {fmt(first_attr)}; "
                       f"`netstat -tanup` median {fmt(statistics.median(times['netstat -tanup']))}.")
    text = "\n".join(out) + "\n"
    with open(args.markdown, "w") as f:
        f.write(text)
    print(text)
    # The plot: median time against socket count, one line per contender.
    data = os.path.join(os.path.dirname(args.plot), ".macro.dat")
    sizes = [n for n in sizes if not isinstance(results[n], Exception)]
    if not sizes:
        return
    plotted = (FLOOR, "cat /proc/net/{tcp,tcp6,udp,udp6} (procfs floor)", "ss -tanu", NODE, CONNMON_METRICS,
               "connmon /metrics, procfs source", "connmon /metrics (netlink), before (--baseline)", LIST_TLN)
    names = [k for k in plotted if all(k in results[n][0] for n in sizes)]
    with open(data, "w") as f:
        for n in sizes:
            f.write(f"{n} " + " ".join(f"{statistics.median(results[n][0][k]):.6f}" for k in names) + "\n")
    plots = ", ".join(f"'{data}' using 1:{i + 2} with linespoints lw 2 title '{k}'" for i, k in enumerate(names))
    script = (f"set terminal pngcairo noenhanced size 1100,650 font ',10'; set output '{args.plot}';"
              "set title 'Time to read all sockets (median)'; set xlabel 'TCP sockets'; set ylabel 'seconds';"
              "set key left top; set grid; set format x '%.0s%c';"
              f"plot {plots}")
    try:
        subprocess.run(["gnuplot", "-e", script], check=True)
    finally:
        os.remove(data)


if __name__ == "__main__":
    main()
