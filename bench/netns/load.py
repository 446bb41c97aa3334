#!/usr/bin/env python3
"""Socket load in network namespaces: for each namespace named on the command line, a child process that
enters it (setns) and holds PAIRS connected TCP pairs on the namespace's own loopback (2 * PAIRS sockets plus
a listener per 10,000 pairs), then sleeps. Bounded: every child exits after LIFE seconds, and the parent with
them. Prints "ready N" once every child holds its sockets.

    load.py PAIRS LIFE NAME [NAME...]        (run as root; the namespaces must exist, lo up)
"""
import ctypes
import os
import resource
import socket
import sys
import time

CLONE_NEWNET = 0x40000000


def hold(name, pairs, life, ready_w):
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + name)
    os.close(fd)
    keep = []
    listeners = []
    for i in range(0, pairs, 10000):
        l = socket.socket()
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(("127.0.0.1", 20000 + i // 10000))
        l.listen(4096)
        listeners.append(l)
    for i in range(pairs):
        l = listeners[i // 10000]
        c = socket.create_connection(l.getsockname())
        s, _ = l.accept()
        keep += [c, s]
    os.write(ready_w, b"1")
    time.sleep(life)


def main():
    pairs, life, names = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    need = 2 * pairs + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, need)), hard))
    ready_r, ready_w = os.pipe()
    children = []
    for name in names:
        pid = os.fork()
        if pid == 0:
            try:
                hold(name, pairs, life, ready_w)
            finally:
                os._exit(0)
        children.append(pid)
    got = 0
    deadline = time.time() + life
    while got < len(names) and time.time() < deadline:
        got += len(os.read(ready_r, 4096))
    print("ready", got, flush=True)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
