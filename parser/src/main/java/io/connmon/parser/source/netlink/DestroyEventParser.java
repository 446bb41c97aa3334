package io.connmon.parser.source.netlink;

import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.model.Family;

import java.nio.ByteBuffer;

/**
 * Turns the datagrams of a sock_diag destroy subscription into {@link ClosedConnections}, with no object per
 * event. A pure function of the bytes, tested on captured multicast datagrams.
 *
 * <p>The kernel frees a socket and broadcasts one {@code SOCK_DIAG_BY_FAMILY} message (the framing
 * {@link SockDiagParser} reads: nlmsghdr, 72-byte inet_diag_msg, attributes) with seq 0, its 4-tuple and cookie,
 * state 7 (CLOSE), uid and inode 0, and the final {@code INET_DIAG_INFO} (struct tcp_info) of a TCP socket.
 * Lenient at every length: a short or overlong message or attribute is counted with
 * {@link ClosedConnections#malformed()} and skipped, never thrown.
 */
public final class DestroyEventParser {

    private DestroyEventParser() {
    }

    /**
     * Parses one datagram, from its position to its limit (the buffer's position is not changed).
     *
     * @return the messages counted as connections or not-connections (malformed ones excluded)
     */
    public static int parse(ByteBuffer datagram, long nowMillis, ClosedConnections sink) {
        ByteBuffer b = datagram;
        int pos = b.position();
        int end = b.limit();
        int events = 0;
        while (end - pos >= SockDiagParser.NLMSG_HDRLEN) {
            int len = b.getInt(pos);
            int type = b.getShort(pos + 4) & 0xFFFF;
            if (len < SockDiagParser.NLMSG_HDRLEN || len > end - pos) {
                sink.malformed(); // the rest of the datagram cannot be framed
                return events;
            }
            if (type == SockDiagParser.SOCK_DIAG_BY_FAMILY) {
                if (event(b, pos, len, nowMillis, sink)) {
                    events++;
                } else {
                    sink.malformed();
                }
            } else if (type != SockDiagParser.NLMSG_NOOP) {
                sink.malformed();
            }
            pos += SockDiagParser.align(len);
        }
        if (pos < end) {
            sink.malformed();
        }
        return events;
    }

    private static boolean event(ByteBuffer b, int pos, int len, long nowMillis, ClosedConnections sink) {
        if (len < SockDiagParser.NLMSG_HDRLEN + SockDiagParser.INET_DIAG_MSG_LEN) {
            return false;
        }
        int m = pos + SockDiagParser.NLMSG_HDRLEN;
        int af = b.get(m) & 0xFF;
        Family family;
        long localHigh = 0;
        long localLow;
        long remoteHigh = 0;
        long remoteLow;
        if (af == SockDiagParser.AF_INET) {
            family = Family.IPV4;
            localLow = SockDiagParser.bigInt(b, m + 8) & 0xFFFFFFFFL;
            remoteLow = SockDiagParser.bigInt(b, m + 24) & 0xFFFFFFFFL;
        } else if (af == SockDiagParser.AF_INET6) {
            family = Family.IPV6;
            localHigh = SockDiagParser.bigLong(b, m + 8);
            localLow = SockDiagParser.bigLong(b, m + 16);
            remoteHigh = SockDiagParser.bigLong(b, m + 24);
            remoteLow = SockDiagParser.bigLong(b, m + 32);
        } else {
            return false;
        }
        int localPort = SockDiagParser.port(b, m + 4);
        int remotePort = SockDiagParser.port(b, m + 6);
        long cookie = (b.getInt(m + 48) & 0xFFFFFFFFL) << 32 | (b.getInt(m + 44) & 0xFFFFFFFFL);
        long rtt = -1;
        long retrans = -1;
        long sent = -1;
        long received = -1;
        int a = m + SockDiagParser.INET_DIAG_MSG_LEN;
        int msgEnd = pos + len;
        while (msgEnd - a >= 4) {
            int alen = b.getShort(a) & 0xFFFF;
            int atype = b.getShort(a + 2) & 0x3FFF;
            if (alen < 4 || alen > msgEnd - a) {
                return false;
            }
            if (atype == SockDiagParser.INET_DIAG_INFO) {
                int info = a + 4;
                int plen = alen - 4;
                rtt = SockDiagParser.u32(b, info, plen, 68);
                retrans = SockDiagParser.u32(b, info, plen, 100);
                sent = SockDiagParser.u64(b, info, plen, 120);
                received = SockDiagParser.u64(b, info, plen, 128);
            }
            a += SockDiagParser.align(alen);
        }
        if (family == Family.IPV6 && remoteHigh == 0 && (remoteLow >>> 32) == 0xFFFFL
                && localHigh == 0 && (localLow >>> 32) == 0xFFFFL) {
            // a dual-stack socket's IPv4 peer (::ffff:a.b.c.d): the same connection as IPv4 sees it
            family = Family.IPV4;
            localLow &= 0xFFFFFFFFL;
            remoteLow &= 0xFFFFFFFFL;
        }
        sink.closed(nowMillis, family, localHigh, localLow, localPort, remoteHigh, remoteLow, remotePort, cookie,
                sent, received, retrans, rtt);
        return true;
    }
}
