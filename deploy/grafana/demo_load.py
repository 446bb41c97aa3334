#!/usr/bin/env python3
"""A few minutes of changing, bounded socket activity on loopback, for plotting the dashboard (docs only).

Over --seconds (default 240), on 127.0.0.1: established connections ramp up to --max-connections, a server
leaks one CLOSE_WAIT socket every 2 s, short connections leave TIME_WAIT behind, UDP datagrams flow, and a
listener that never accepts (backlog 4) fills its accept queue so that the kernel counts listen overflows.
Everything is closed when it ends; it never holds more than about max-connections * 2 + 200 sockets.
"""
import argparse
import socket
import time

p = argparse.ArgumentParser()
p.add_argument("--seconds", type=int, default=240)
p.add_argument("--max-connections", type=int, default=400)
args = p.parse_args()

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4096)
srv.settimeout(2)
addr = srv.getsockname()
stuck = socket.socket()  # never accept()s: its queue fills, then SYNs overflow
stuck.bind(("127.0.0.1", 0))
stuck.listen(4)
stuck_addr = stuck.getsockname()
udp_in = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_in.bind(("127.0.0.1", 0))
udp_in.setblocking(False)
udp_out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print(f"listening on {addr[1]}, stuck listener on {stuck_addr[1]}", flush=True)

held, leaked, waiting = [], [], []
start = time.monotonic()
tick = 0
while time.monotonic() - start < args.seconds:
    tick += 1
    # Ramp: 4 new established pairs a second.
    for _ in range(4):
        if len(held) < args.max_connections * 2:
            c = socket.create_connection(addr)
            a, _ = srv.accept()
            held += [c, a]
    # Short connections: closed by the client first, they sit in TIME_WAIT for a minute.
    for _ in range(5):
        c = socket.create_connection(addr)
        a, _ = srv.accept()
        c.close()
        a.close()
    # A leak: the client closes, the server never does (CLOSE_WAIT), one every 2 s, at most 100.
    if tick % 2 == 0 and len(leaked) < 100:
        c = socket.create_connection(addr)
        a, _ = srv.accept()
        c.close()
        leaked.append(a)
    # The stuck listener: a non-blocking connect every 3 s while under 20 attempts.
    if tick % 3 == 0 and len(waiting) < 20:
        w = socket.socket()
        w.setblocking(False)
        try:
            w.connect(stuck_addr)
        except BlockingIOError:
            pass
        waiting.append(w)
    for _ in range(50):
        udp_out.sendto(b"x", udp_in.getsockname())
    try:
        while True:
            udp_in.recv(16)
    except BlockingIOError:
        pass
    time.sleep(1)

for s in held + leaked + waiting + [srv, stuck, udp_in, udp_out]:
    s.close()
