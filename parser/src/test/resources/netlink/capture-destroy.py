#!/usr/bin/env python3
"""Captures sock_diag destroy events (multicast) as test fixtures for DestroyEventParser.

Run it in a network namespace of its own so that only its own sockets send events:

    unshare -n sh -c 'ip link set lo up && python3 capture-destroy.py OUTDIR'

It subscribes to the TCP destroy groups (1 TCP over IPv4, 3 TCP over IPv6, bit 1 << (group - 1) in nl_groups,
as `ss -E` does) while `ss -tniE` runs beside it, then on loopback: an IPv4 connection that carries 1000 bytes
one way and 200 the other, closed by the client (client TIME_WAIT); an IPv6 one over ::1 (asymmetric sizes:
3000 and 7); an IPv4 connection to a dual-stack IPv6 listener (v4-mapped on the server side) reset with
SO_LINGER 0; and the listeners closing (remote port 0). It writes every datagram received, each preceded by its
length as a little-endian u32, to OUTDIR/events.bin, and what `ss -tniE` printed to OUTDIR/ss-tniE.txt.
"""
import os
import socket
import struct
import subprocess
import sys
import time

NETLINK_SOCK_DIAG = 4
GROUPS = (1 << 0) | (1 << 2)


def pair(family, listen_addr, connect_addr, send, reply, reset=False, v6only=None):
    srv = socket.socket(family, socket.SOCK_STREAM)
    if v6only is not None:
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    srv.bind((listen_addr, 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    cfam = socket.AF_INET6 if ":" in connect_addr else socket.AF_INET
    cli = socket.socket(cfam, socket.SOCK_STREAM)
    cli.connect((connect_addr, port))
    conn, _ = srv.accept()
    cli.sendall(b"x" * send)
    got = 0
    while got < send:
        got += len(conn.recv(65536))
    conn.sendall(b"y" * reply)
    got = 0
    while got < reply:
        got += len(cli.recv(65536))
    if reset:
        cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    cli.close()
    time.sleep(0.05)
    conn.close()
    time.sleep(0.05)
    return srv


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    sub = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    sub.bind((0, GROUPS))
    sub.settimeout(0.5)
    ss = subprocess.Popen(["stdbuf", "-oL", "ss", "-tniE"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    listeners = [
        pair(socket.AF_INET, "127.0.0.1", "127.0.0.1", 1000, 200),
        pair(socket.AF_INET6, "::1", "::1", 3000, 7),
        pair(socket.AF_INET6, "::", "127.0.0.1", 50, 60, reset=True, v6only=0),
    ]
    for l in listeners:
        l.close()
    datagrams = []
    while True:
        try:
            datagrams.append(sub.recv(65536))
        except socket.timeout:
            break
    time.sleep(0.3)
    ss.terminate()
    text = ss.communicate()[0]
    with open(os.path.join(out, "events.bin"), "wb") as f:
        for d in datagrams:
            f.write(struct.pack("<I", len(d)) + d)
    with open(os.path.join(out, "ss-tniE.txt"), "w") as f:
        f.write("\n".join(l.rstrip() for l in text.splitlines()) + "\n")
    print(len(datagrams), "datagrams")


main()
