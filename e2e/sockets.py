#!/usr/bin/env python3
"""Holds a known set of sockets on loopback for the end-to-end tests, then exits by itself.

Opens, on 127.0.0.1 and ::1 only: a TCP listener per family, N accepted connection pairs, a few pairs closed
actively so they sit in TIME_WAIT, one pair left in CLOSE_WAIT/FIN_WAIT2, an unconnected UDP socket and a
connected one per family. Prints one line per socket pair it knows of (proto local remote state), then READY,
and sleeps until killed or until --seconds pass.
"""
import argparse
import socket
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--connections", type=int, default=50)
p.add_argument("--seconds", type=int, default=120)
args = p.parse_args()

keep = []
lines = []


def ep(addr):
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(1024)
    keep.append(srv)
    star = "0.0.0.0:*" if fam == socket.AF_INET else "[::]:*"
    lines.append(f"tcp {ep(srv.getsockname())} {star} LISTEN")
    for _ in range(args.connections):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.connect(srv.getsockname())
        a, _ = srv.accept()
        keep += [c, a]
        lines.append(f"tcp {ep(c.getsockname())} {ep(c.getpeername())} ESTABLISHED")
        lines.append(f"tcp {ep(a.getsockname())} {ep(a.getpeername())} ESTABLISHED")
    # Active close by the client: the client side waits in TIME_WAIT.
    for _ in range(3):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.connect(srv.getsockname())
        a, _ = srv.accept()
        local, remote = ep(c.getsockname()), ep(c.getpeername())
        c.close()
        a.recv(1)
        a.close()
        lines.append(f"tcp {local} {remote} TIME_WAIT")
    # Half close: the client closes, the server does not: FIN_WAIT2 and CLOSE_WAIT.
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect(srv.getsockname())
    a, _ = srv.accept()
    lines.append(f"tcp {ep(c.getsockname())} {ep(c.getpeername())} FIN_WAIT2")
    lines.append(f"tcp {ep(a.getsockname())} {ep(a.getpeername())} CLOSE_WAIT")
    c.shutdown(socket.SHUT_WR)
    keep += [c, a]
    # UDP: one bound and unconnected, one connected to it.
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((host, 0))
    v = socket.socket(fam, socket.SOCK_DGRAM)
    v.bind((host, 0))
    v.connect(u.getsockname())
    keep += [u, v]
    lines.append(f"udp {ep(u.getsockname())} {star} UNCONN")
    lines.append(f"udp {ep(v.getsockname())} {ep(u.getsockname())} ESTABLISHED")

time.sleep(0.5)  # let the FIN of the half-closed pairs arrive
for line in lines:
    print(line)
print("READY", flush=True)
deadline = time.time() + args.seconds
while time.time() < deadline:
    time.sleep(0.5)
