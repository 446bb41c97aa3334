#!/usr/bin/env python3
"""Rewrites proc/net/{tcp,tcp6,udp,udp6} into proc-big-endian/ as a big-endian host would print them.

The kernel prints each address as 32-bit words, each word being four network-order bytes read as a native
integer (seq_printf "%08X" of a __be32). On a little-endian host 10.254.222.37 comes out as 25DEFE0A; on a
big-endian host the same bytes come out as 0AFEDE25. Only the two address columns change; ports are printed
from host-order integers and every other column is the same on both. Run from this directory after
capture-fixture.sh; the output is checked in next to the capture.
"""
import os
import re

WORD = re.compile(r"[0-9A-F]{8}")


def swap_words(hexaddr):
    return WORD.sub(lambda m: "".join(reversed([m.group(0)[i:i + 2] for i in range(0, 8, 2)])), hexaddr)


def convert(line):
    # "  sl: ADDR:PORT ADDR:PORT ..." - the two address columns follow the slot number.
    m = re.match(r"^(\s*\d+: )([0-9A-F]+)(:[0-9A-F]{4} )([0-9A-F]+)(:[0-9A-F]{4} .*)$", line, re.S)
    if not m:
        return line  # the header
    return m.group(1) + swap_words(m.group(2)) + m.group(3) + swap_words(m.group(4)) + m.group(5)


os.makedirs("proc-big-endian/net", exist_ok=True)
for name in ("tcp", "tcp6", "udp", "udp6"):
    with open(os.path.join("proc/net", name), newline="") as src:
        lines = src.read().splitlines(keepends=True)
    with open(os.path.join("proc-big-endian/net", name), "w", newline="") as dst:
        dst.write("".join(convert(line) for line in lines))
