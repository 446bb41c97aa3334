#!/usr/bin/env python3
"""Writes a proc tree (net/tcp, tcp6, udp, udp6, sockstat, sockstat6) with N sockets in the kernel's own layout.

    gen-proc.py DIR SOCKETS [SEED]

Three quarters of the sockets go to net/tcp, the rest to net/tcp6; a few hundred listeners, then mostly
ESTABLISHED and TIME_WAIT connections to a few dozen remote ports, as a busy proxy has. Lines are as the kernel
prints them (tcp_ipv4.c, tcp_ipv6.c): 17 columns, 12 for TIME_WAIT; net/tcp padded to 150 bytes. Fixed seed:
the same tree every time. Little-endian addresses (the hosts this runs on).
"""
import os
import random
import sys


def word(a, b, c, d):
    # The kernel prints each 32-bit word of the address as a native (little-endian) integer.
    return "%02X%02X%02X%02X" % (d, c, b, a)


def main():
    root, n = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 2026)
    n6 = n // 4
    n4 = n - n6
    os.makedirs(os.path.join(root, "net"), exist_ok=True)
    remote_ports = [443, 80, 5432, 6379, 3306, 9092, 8080, 53] + [rnd.randrange(1024, 32768) for _ in range(24)]
    listen_ports = [22, 80, 443, 8080, 9100] + [rnd.randrange(1024, 32768) for _ in range(195)]

    def lines(count, v6):
        inode = 100000 if not v6 else 50000000
        for i in range(count):
            if i < len(listen_ports):
                st, lport, rport = 0x0A, listen_ports[i], 0
                raddr = (0, 0, 0, 0)
            else:
                st = 0x01 if rnd.random() < 0.7 else 0x06
                lport = rnd.randrange(32768, 61000)
                rport = remote_ports[rnd.randrange(len(remote_ports))]
                raddr = (10, rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
            laddr = (10, 254, 222, 37)
            if v6:
                loc = "0000000000000000FFFF0000" + word(*laddr)
                rem = ("0000000000000000FFFF0000" + word(*raddr)) if st != 0x0A else "0" * 32
            else:
                loc, rem = word(*laddr), word(*raddr)
            head = "%4d: %s:%04X %s:%04X %02X " % (i % 65536, loc, lport, rem, rport, st)
            if st == 0x06:
                body = "00000000:00000000 03:%08X 00000000     0        0 0 3 %016x" % (
                    rnd.randrange(6000), rnd.getrandbits(64))
            else:
                inode += 1
                body = "%08X:%08X 00:00000000 00000000  1000        0 %d %d %016x 20 4 30 10 -1" % (
                    rnd.randrange(4096) if st == 1 else 0, 0, inode, 2 if st == 1 else 1, rnd.getrandbits(64))
            line = head + body
            yield (line.ljust(149) if not v6 else line) + "\n"

    tcp_header = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
                  "inode").ljust(149) + "\n"
    tcp6_header = ("  sl  local_address                         remote_address                        st tx_queue "
                   "rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
    with open(os.path.join(root, "net/tcp"), "w") as f:
        f.write(tcp_header)
        f.writelines(lines(n4, False))
    with open(os.path.join(root, "net/tcp6"), "w") as f:
        f.write(tcp6_header)
        f.writelines(lines(n6, True))
    with open(os.path.join(root, "net/udp"), "w") as f:
        f.write(("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
                 "inode ref pointer drops").ljust(127) + "\n")
        f.write(("  701: 2500FE0A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 "
                 "99999 2 0000000000000000 0").ljust(127) + "\n")
    with open(os.path.join(root, "net/udp6"), "w") as f:
        f.write("  sl  local_address                         remote_address                        st tx_queue "
                "rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n")
    with open(os.path.join(root, "net/sockstat"), "w") as f:
        f.write("sockets: used %d\nTCP: inuse %d orphan 0 tw %d alloc %d mem 1\nUDP: inuse 1 mem 0\n"
                "UDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n" % (n, n4 * 7 // 10, n * 3 // 10, n))
    with open(os.path.join(root, "net/sockstat6"), "w") as f:
        f.write("TCP6: inuse %d\nUDP6: inuse 0\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n" % n6)


if __name__ == "__main__":
    main()
