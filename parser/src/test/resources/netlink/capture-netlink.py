#!/usr/bin/env python3
"""Captures raw NETLINK_SOCK_DIAG dumps as test fixtures for the netlink source's parser.

Run it in a network namespace of its own so that the dumps hold only the sockets it makes:

    unshare -n sh -c 'ip link set lo up && python3 capture-netlink.py OUTDIR'

It opens, on loopback: an IPv4 listener with a full accept queue (backlog 2, five clients, never accepted),
a dual-stack IPv6 listener on :: (IPV6_V6ONLY 0, as Java's ServerSocket makes), an IPv6-only listener on ::,
connections over ::1 and over 127.0.0.1 to the dual-stack listener, a TIME_WAIT socket, and UDP sockets
unconnected (IPv4 and dual-stack IPv6) and connected. Then it writes, per dump (tcp4, tcp6, udp4, udp6), the
datagrams the kernel sent, each preceded by its length as a little-endian u32, to OUTDIR/<dump>.bin (TCP dumps
ask for tcp_info), and `ss -tanuieH` to OUTDIR/ss-tanuieH.txt, read right after the dumps.
"""
import os
import socket
import struct
import subprocess
import sys
import time

SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NETLINK_SOCK_DIAG = 4
INET_DIAG_INFO_EXT = 1 << (2 - 1)


def dump(family, protocol, states, ext, seq):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    req = struct.pack("=BBBBI", family, protocol, ext, 0, states) + b"\0" * 48
    hdr = struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
    s.send(hdr + req)
    datagrams = []
    while True:
        d = s.recv(65536)
        datagrams.append(d)
        off, done = 0, False
        while off + 16 <= len(d):
            length, mtype = struct.unpack_from("=IH", d, off)
            if mtype in (2, 3):
                done = True
            off += (length + 3) & ~3
        if done:
            break
    s.close()
    return datagrams


def main(out):
    os.makedirs(out, exist_ok=True)
    keep = []
    # IPv4 listener with a full accept queue: backlog 2 holds 3 connections; five clients, none accepted.
    full = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    full.bind(("127.0.0.1", 0))
    full.listen(2)
    for _ in range(5):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex(full.getsockname())
        keep.append(c)
    # Dual-stack and IPv6-only listeners on ::.
    dual = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    dual.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    dual.bind(("::", 0))
    dual.listen(16)
    v6only = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    v6only.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    v6only.bind(("::", 0))
    v6only.listen(8)
    port = dual.getsockname()[1]
    # Connections over ::1 and 127.0.0.1 to the dual-stack listener, accepted and carrying a few bytes.
    for addr, fam in (("::1", socket.AF_INET6), ("127.0.0.1", socket.AF_INET)):
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.connect((addr, port))
        a, _ = dual.accept()
        c.sendall(b"hello")
        a.recv(5)
        a.sendall(b"hi")
        c.recv(2)
        keep += [c, a]
    # TIME_WAIT: the side that closes first keeps it.
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.connect(("127.0.0.1", port))
    a, _ = dual.accept()
    c.close()
    a.close()
    # UDP: unconnected IPv4, unconnected dual-stack IPv6, and a connected IPv4 one.
    u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u4.bind(("127.0.0.1", 0))
    u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    u6.bind(("::", 0))
    uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    uc.connect(u4.getsockname())
    uc.send(b"queued")  # waits in u4's receive queue
    keep += [full, dual, v6only, u4, u6, uc]
    time.sleep(0.2)

    seq = 1000
    for name, fam, proto, states, ext in (("tcp4", socket.AF_INET, 6, 0x1FFE, INET_DIAG_INFO_EXT),
                                          ("tcp6", socket.AF_INET6, 6, 0x1FFE, INET_DIAG_INFO_EXT),
                                          ("udp4", socket.AF_INET, 17, 0x82, 0),
                                          ("udp6", socket.AF_INET6, 17, 0x82, 0)):
        seq += 1
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            for d in dump(fam, proto, states, ext, seq):
                f.write(struct.pack("<I", len(d)) + d)
    ss = subprocess.run(["ss", "-tanuieH"], check=True, capture_output=True, text=True).stdout
    with open(os.path.join(out, "ss-tanuieH.txt"), "w") as f:
        f.write(ss)
    for s in keep:
        s.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
