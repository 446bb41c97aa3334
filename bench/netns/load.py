#!/usr/bin/env python3
"""Socket load in network namespaces: for each namespace named on the command line, child processes that
enter it (setns) and hold PAIRS connected TCP pairs on the namespace's own loopback (2 * PAIRS sockets plus
a listener per process of at most 8,000 pairs), then sleep. Bounded: every child exits after LIFE seconds, and the parent with
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


CHUNK = 8000  # pairs per process: 16,000 descriptors, under a hard limit of 20,000


def hold(name, pairs, port, life, ready_w):
    ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: the load ends with its parent
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + name)
    os.close(fd)
    keep = []
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port))
    l.listen(4096)
    for i in range(pairs):
        c = socket.create_connection(l.getsockname())
        s, _ = l.accept()
        keep += [c, s]
    os.write(ready_w, b"1")
    time.sleep(life)


def main():
    pairs, life, names = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    need = 2 * min(pairs, CHUNK) + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if need > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    ready_r, ready_w = os.pipe()
    children = []
    jobs = [(name, min(CHUNK, pairs - i), 20000 + i // CHUNK) for name in names for i in range(0, pairs, CHUNK)]
    for name, n, port in jobs:
        pid = os.fork()
        if pid == 0:
            try:
                hold(name, n, port, life, ready_w)
            finally:
                os._exit(0)
        children.append(pid)
    names = jobs
    os.close(ready_w)  # a read sees the end once every child has exited
    got = 0
    while got < len(names):
        b = os.read(ready_r, 4096)
        if not b:
            print("failed: %d of %d namespaces loaded" % (got, len(names)), flush=True)
            sys.exit(1)
        got += len(b)
    print("ready", got, flush=True)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
