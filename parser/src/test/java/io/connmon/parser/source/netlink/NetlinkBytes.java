package io.connmon.parser.source.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Hand-made sock_diag messages and a byte-order rewrite of captured ones, for parser tests. */
final class NetlinkBytes {

    private NetlinkBytes() {
    }

    static int align(int n) {
        return (n + 3) & ~3;
    }

    /**
     * Writes a SOCK_DIAG_BY_FAMILY message without attributes at {@code at} (IPv4, in the buffer's order) and
     * returns where the next message goes.
     */
    static int socketMessage(ByteBuffer b, int at, int seq, int af, int state, int address, int port, long cookie) {
        b.putInt(at, 16 + 72).putShort(at + 4, (short) 20).putShort(at + 6, (short) 2).putInt(at + 8, seq)
                .putInt(at + 12, 0);
        int m = at + 16;
        for (int i = 0; i < 72; i++) {
            b.put(m + i, (byte) 0);
        }
        b.put(m, (byte) af).put(m + 1, (byte) state);
        b.put(m + 4, (byte) (port >>> 8)).put(m + 5, (byte) port);
        b.put(m + 8, (byte) (address >>> 24)).put(m + 9, (byte) (address >>> 16)).put(m + 10, (byte) (address >>> 8))
                .put(m + 11, (byte) address);
        b.putInt(m + 44, (int) cookie).putInt(m + 48, (int) (cookie >>> 32));
        return at + 88;
    }

    /** A copy of a little-endian datagram with every host-order field the parser reads rewritten big-endian. */
    static ByteBuffer toBigEndian(ByteBuffer little) {
        ByteBuffer l = little.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = ByteBuffer.allocate(l.limit()).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < l.limit(); i++) {
            b.put(i, l.get(i));
        }
        int pos = 0;
        while (pos + 16 <= l.limit()) {
            int len = l.getInt(pos);
            int type = l.getShort(pos + 4);
            swap4(l, b, pos);
            swap2(l, b, pos + 4);
            swap2(l, b, pos + 6);
            swap4(l, b, pos + 8);
            swap4(l, b, pos + 12);
            if (type == 3 && len >= 20) {
                swap4(l, b, pos + 16);
            }
            if (type == 20) {
                int m = pos + 16;
                for (int f = 40; f <= 68; f += 4) {
                    swap4(l, b, m + f);
                }
                int a = m + 72;
                while (a + 4 <= pos + len) {
                    int alen = l.getShort(a) & 0xFFFF;
                    int atype = l.getShort(a + 2) & 0x3FFF;
                    swap2(l, b, a);
                    swap2(l, b, a + 2);
                    if (atype == 21) {
                        swap8(l, b, a + 4);
                    } else if (atype == 2) {
                        for (int f : new int[] {68, 72, 100}) {
                            if (f + 4 <= alen - 4) {
                                swap4(l, b, a + 4 + f);
                            }
                        }
                        for (int f : new int[] {120, 128, 160}) {
                            if (f + 8 <= alen - 4) {
                                swap8(l, b, a + 4 + f);
                            }
                        }
                    }
                    a += align(Math.max(alen, 4));
                }
            }
            pos += align(len);
        }
        return b;
    }

    private static void swap2(ByteBuffer l, ByteBuffer b, int at) {
        b.putShort(at, l.getShort(at));
    }

    private static void swap4(ByteBuffer l, ByteBuffer b, int at) {
        b.putInt(at, l.getInt(at));
    }

    private static void swap8(ByteBuffer l, ByteBuffer b, int at) {
        b.putLong(at, l.getLong(at));
    }
}
