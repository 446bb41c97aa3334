#!/usr/bin/env python3
"""Opens sockets in every state the kernel can be brought to hold still, then copies the tables.

Run by capture-fixture.sh inside its network namespace; the one argument is the output directory (proc/).

How each state is made to stay put long enough to be captured:
  LISTEN       a listener
  ESTABLISHED  an accepted pair (IPv4, IPv6, v4-mapped on a dual-stack listener)
  TIME_WAIT    the client closes first, then the server
  FIN_WAIT2 /  the client shuts down its sending side, the server does not close
  CLOSE_WAIT
  FIN_WAIT1    the server's receive buffer is tiny and never read; the client fills it, then shuts down: its FIN
               waits behind unsent data
  LAST_ACK     the same from the other side: after the client's FIN, the server fills the client's tiny
               buffer and shuts down
  CLOSING      both shut down at once while the first one's FIN is stuck behind data: it receives the peer's
               FIN before its own is acknowledged
  SYN_SENT /   a client bound (IP_TRANSPARENT, IPV6_FREEBIND) to an address nobody owns connects to a listener here; the
  SYN_RECV     SYN-ACK goes out the veth and is never answered (the server side is the kernel's
               NEW_SYN_RECV request socket, printed as SYN_RECV)
"""
import os
import shutil
import socket
import subprocess
import sys
import time

A4 = "10.254.222.37"
A6 = "2001:db8:1234:5678:9abc:def0:1357:2468"
NOBODY4 = "10.254.222.99"
NOBODY6 = "2001:db8:1234:5678:9abc:def0:8642:fdb9"
IP_TRANSPARENT = 19  # IPv4 needs it (not just IP_FREEBIND) to send from an address it does not own
IPV6_FREEBIND = 78

keep = []  # every socket stays open until the capture is done


def tcp(family=socket.AF_INET, rcvbuf=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    keep.append(s)
    return s


def listener(family, addr, port, rcvbuf=None, v6only=None):
    s = tcp(family, rcvbuf)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port))
    s.listen(16)
    return s


def pair(lst, family, addr, port, rcvbuf=None):
    c = tcp(family, rcvbuf)
    c.connect((addr, port))
    s, _ = lst.accept()
    keep.append(s)
    return c, s


def fill(sock):
    """Writes until the peer's window and our send buffer are full."""
    sock.setblocking(False)
    chunk = b"x" * 65536
    try:
        while True:
            sock.send(chunk)
    except BlockingIOError:
        pass
    time.sleep(0.2)


def main(out):
    l4 = listener(socket.AF_INET, A4, 8080)
    l4small = listener(socket.AF_INET, A4, 8081, rcvbuf=2048)
    l6dual = listener(socket.AF_INET6, "::", 8443, v6only=0)
    l6 = listener(socket.AF_INET6, A6, 22)
    l6small = listener(socket.AF_INET6, A6, 2222, rcvbuf=2048)
    listener(socket.AF_INET6, "::1", 631)
    listener(socket.AF_INET, "127.0.0.1", 6379)

    # ESTABLISHED, with bytes left unread in the server's receive queue.
    c, s = pair(l4, socket.AF_INET, A4, 8080)
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    c, s = pair(l6, socket.AF_INET6, A6, 22)
    s.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n")
    # v4-mapped: an IPv4 client on a dual-stack listener, and an IPv6 client of an IPv4 listener.
    pair(l6dual, socket.AF_INET, A4, 8443)
    pair(l4, socket.AF_INET6, "::ffff:" + A4, 8080)

    # TIME_WAIT, both families.
    for fam, addr, lst, port in ((socket.AF_INET, A4, l4, 8080), (socket.AF_INET6, A6, l6, 22)):
        c, s = pair(lst, fam, addr, port)
        c.close()
        time.sleep(0.05)
        s.close()

    # FIN_WAIT2 (client) and CLOSE_WAIT (server), both families.
    for fam, addr, lst, port in ((socket.AF_INET, A4, l4, 8080), (socket.AF_INET6, A6, l6, 22)):
        c, s = pair(lst, fam, addr, port)
        c.shutdown(socket.SHUT_WR)

    # FIN_WAIT1: the client's FIN waits behind data the server's full window will not take.
    c, s = pair(l4small, socket.AF_INET, A4, 8081)
    fill(c)
    c.shutdown(socket.SHUT_WR)

    # LAST_ACK: the client shuts down first, then the server fills the client's window and shuts down.
    c, s = pair(l4, socket.AF_INET, A4, 8080, rcvbuf=2048)
    c.shutdown(socket.SHUT_WR)
    time.sleep(0.05)
    fill(s)
    s.shutdown(socket.SHUT_WR)

    # CLOSING (client) and FIN_WAIT2 (server), over IPv6.
    c, s = pair(l6small, socket.AF_INET6, A6, 2222)
    fill(c)
    c.shutdown(socket.SHUT_WR)
    time.sleep(0.05)
    s.shutdown(socket.SHUT_WR)

    # SYN_SENT and SYN_RECV: the SYN-ACK goes to an address nobody owns.
    for fam, opt_level, opt, src, dst, port in (
            (socket.AF_INET, socket.IPPROTO_IP, IP_TRANSPARENT, NOBODY4, A4, 8080),
            (socket.AF_INET6, socket.IPPROTO_IPV6, IPV6_FREEBIND, NOBODY6, A6, 22)):
        c = tcp(fam)
        c.setsockopt(opt_level, opt, 1)
        c.bind((src, 0))
        c.setblocking(False)
        c.connect_ex((dst, port))
    # A plain SYN_SENT towards an address nobody answers for.
    c = tcp(socket.AF_INET6)
    c.setblocking(False)
    c.connect_ex((NOBODY6, 443))

    # UDP: unconnected (with a datagram left unread) and connected, IPv4, IPv6 and v4-mapped.
    def udp(family, bind, connect=None, v6only=None):
        u = socket.socket(family, socket.SOCK_DGRAM)
        keep.append(u)
        if v6only is not None:
            u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
        u.bind(bind)
        if connect:
            u.connect(connect)
        return u

    udp(socket.AF_INET, (A4, 5353))
    udp(socket.AF_INET, ("0.0.0.0", 68))
    udp(socket.AF_INET, ("0.0.0.0", 0), (A4, 5353)).send(b"query")
    udp(socket.AF_INET6, (A6, 5353), v6only=1)
    udp(socket.AF_INET6, ("::", 0), (A6, 5353)).send(b"query6")
    udp(socket.AF_INET6, ("::", 5355), v6only=0)
    udp(socket.AF_INET6, ("::", 0), ("::ffff:" + A4, 5353))
    udp(socket.AF_INET6, ("::1", 323), v6only=1)

    # Some counters worth checking: a refused connect (AttemptFails, OutRsts), a datagram to a closed port
    # (NoPorts), one received and read (InDatagrams).
    refused = tcp()
    assert refused.connect_ex((A4, 9)) != 0
    refused.close()
    keep.remove(refused)
    udp(socket.AF_INET, ("0.0.0.0", 0)).sendto(b"nobody", (A4, 9))
    r = udp(socket.AF_INET, (A4, 1900))
    udp(socket.AF_INET, ("0.0.0.0", 0)).sendto(b"M-SEARCH", (A4, 1900))
    r.recv(100)

    time.sleep(0.5)
    net = os.path.join(out, "net")
    os.makedirs(net)
    # The tables first, then ss straight after them.
    for name in ("tcp", "tcp6", "udp", "udp6"):
        shutil.copyfile("/proc/self/net/" + name, os.path.join(net, name))
    for name, args in (("ss-tan.txt", ["-tanH"]), ("ss-uan.txt", ["-uanH"]),
                       ("ss-tane.txt", ["-tanHe"]), ("ss-uane.txt", ["-uanHe"])):
        with open(os.path.join(out, name), "w") as f:
            subprocess.run(["ss"] + args, stdout=f, stderr=subprocess.DEVNULL, check=True)
    for name in ("snmp", "snmp6", "netstat", "sockstat", "sockstat6"):
        shutil.copyfile("/proc/self/net/" + name, os.path.join(net, name))
    sysdir = os.path.join(out, "sys", "net", "ipv4")
    os.makedirs(sysdir)
    shutil.copyfile("/proc/sys/net/ipv4/ip_local_port_range", os.path.join(sysdir, "ip_local_port_range"))


if __name__ == "__main__":
    main(sys.argv[1])
