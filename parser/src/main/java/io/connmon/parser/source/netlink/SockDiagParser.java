package io.connmon.parser.source.netlink;

import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the datagrams of one sock_diag dump into rows of a {@link CompactSocketList.Builder}, with no object
 * per socket. A pure function of the bytes: it makes no system call and is tested on captured dumps.
 *
 * <p>A datagram holds netlink messages back to back, each a 16-byte {@code nlmsghdr} (length, type, flags, seq,
 * pid) padded to 4 bytes. A {@code SOCK_DIAG_BY_FAMILY} message carries a 72-byte {@code inet_diag_msg} and then
 * attributes ({@code nlattr}: u16 length, u16 type, payload padded to 4). Ports and addresses are in network
 * order; every other field is in the host's order, which is the buffer's {@link ByteBuffer#order()}.
 *
 * <p>Lenient at every length: a message whose length is short or points past the datagram, a zero-length or
 * overlong attribute, an unknown message or attribute type, a message of another dump (stale seq) is skipped and
 * counted, never thrown. NLMSG_DONE ends the dump; NLMSG_ERROR ends it as failed, keeping what came before.
 *
 * <pre>{@code
 * SockDiagParser.Dump dump = new SockDiagParser.Dump("netlink:tcp6", Protocol.TCP, seq);
 * while (SockDiagParser.parse(datagram, dump, builder) == SockDiagParser.MORE) { datagram = receive(); }
 * FileReport report = dump.report();
 * }</pre>
 */
public final class SockDiagParser {

    /** The dump goes on: receive the next datagram. */
    public static final int MORE = 0;
    /** NLMSG_DONE arrived. */
    public static final int DONE = 1;
    /** NLMSG_ERROR (or NLMSG_DONE with an error) arrived: the kernel sends nothing more for this request. */
    public static final int FAILED = 2;

    static final int NLMSG_HDRLEN = 16;
    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int SOCK_DIAG_BY_FAMILY = 20;
    /** The older request for TCP sockets of both families in one dump; replies carry the same type. */
    static final int TCPDIAG_GETSOCK = 18;
    static final int INET_DIAG_MSG_LEN = 72;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;

    static final int INET_DIAG_INFO = 2;
    static final int INET_DIAG_SKV6ONLY = 11;
    static final int INET_DIAG_CGROUP_ID = 21;

    /** USER_HZ: /proc/net/tcp prints timers in these ticks; sock_diag in milliseconds. */
    private static final int CLOCK_TICKS_PER_SECOND = 100;

    private SockDiagParser() {
    }

    /** What one dump (one family and protocol) has yielded so far. */
    public static final class Dump {
        final String name;
        final Protocol protocol;
        final int seq;
        final int type;
        long records;
        long records6; // of which IPv6
        long skipped;
        int kernelErrno; // the errno of an NLMSG_ERROR or NLMSG_DONE that ended the dump, else 0
        CompactSocketList.Builder sink6; // where a two-family dump's IPv6 sockets go, or null
        final List<String> problems = new ArrayList<>(0);
        String error;
        boolean done;

        /**
         * @param name the input's name for the report, such as {@code netlink:tcp6}
         * @param protocol the protocol asked for (the reply does not repeat it)
         * @param seq the request's sequence number; messages with another one are stale and skipped
         */
        public Dump(String name, Protocol protocol, int seq) {
            this(name, protocol, seq, SOCK_DIAG_BY_FAMILY);
        }

        /** A dump whose socket messages are of {@code type}: {@link #TCPDIAG_GETSOCK} for a two-family TCP dump. */
        Dump(String name, Protocol protocol, int seq, int type) {
            this.name = name;
            this.protocol = protocol;
            this.seq = seq;
            this.type = type;
        }

        /** Sends the dump's IPv6 sockets to {@code sink6} (a two-family dump keeps each family's columns apart). */
        Dump ipv6Into(CompactSocketList.Builder sink6) {
            this.sink6 = sink6;
            return this;
        }

        /** Whether NLMSG_DONE or an error ended the dump. */
        public boolean finished() {
            return done || error != null;
        }

        /** Records the reason the dump stopped early (a failed recv, no NLMSG_DONE). */
        public void fail(String reason) {
            if (error == null) {
                error = reason;
            }
        }

        void skip(String reason) {
            skipped++;
            if (problems.size() < FileReport.MAX_PROBLEMS) {
                problems.add(reason);
            }
        }

        /** The dump as an input report. */
        public FileReport report() {
            return new FileReport(name, true, records, skipped, problems, error);
        }

        /**
         * A two-family dump as two input reports, {@code name} for its IPv4 sockets (and whatever was skipped)
         * and {@code name6} for its IPv6 ones; an error is both's.
         */
        List<FileReport> reports(String name6) {
            return List.of(new FileReport(name, true, records - records6, skipped, problems, error),
                    new FileReport(name6, true, records6, 0, List.of(), error));
        }
    }

    /**
     * Parses one datagram, from its position to its limit, into {@code sink}; the buffer's position is not
     * changed. Never throws on bad bytes.
     *
     * @return {@link #MORE}, {@link #DONE} or {@link #FAILED}
     */
    public static int parse(ByteBuffer datagram, Dump dump, CompactSocketList.Builder sink) {
        ByteBuffer b = datagram;
        int pos = b.position();
        int end = b.limit();
        while (end - pos >= NLMSG_HDRLEN) {
            int len = b.getInt(pos);
            int type = b.getShort(pos + 4) & 0xFFFF;
            int seq = b.getInt(pos + 8);
            if (len < NLMSG_HDRLEN || len > end - pos) {
                dump.skip("message at byte " + pos + ": length " + Integer.toUnsignedString(len) + " outside "
                        + NLMSG_HDRLEN + ".." + (end - pos));
                return MORE; // the rest of the datagram cannot be framed
            }
            int next = pos + align(len);
            if (seq != dump.seq) {
                dump.skip("message at byte " + pos + ": seq " + Integer.toUnsignedString(seq) + ", not "
                        + Integer.toUnsignedString(dump.seq));
            } else if (type == NLMSG_DONE) {
                dump.done = true;
                int status = len >= NLMSG_HDRLEN + 4 ? b.getInt(pos + NLMSG_HDRLEN) : 0;
                if (status < 0) {
                    dump.kernelErrno = -status;
                    dump.fail("dump ended with errno " + -status);
                    return FAILED;
                }
                return DONE;
            } else if (type == NLMSG_ERROR) {
                int errno = len >= NLMSG_HDRLEN + 4 ? -b.getInt(pos + NLMSG_HDRLEN) : -1;
                if (errno != 0) { // 0 is an acknowledgement
                    dump.kernelErrno = errno;
                    dump.fail("kernel error " + (errno < 0 ? "(truncated)" : "errno " + errno));
                    return FAILED;
                }
            } else if (type == dump.type) {
                socket(b, pos, len, dump, sink);
            } else if (type != NLMSG_NOOP) {
                dump.skip("message at byte " + pos + ": unknown type " + type);
            }
            pos = next;
        }
        if (pos < end) {
            dump.skip("trailing " + (end - pos) + " bytes");
        }
        return MORE;
    }

    /**
     * What {@link #parse} will return for this datagram, from the message headers alone (no socket is read):
     * whether the dump with sequence number {@code seq} ends in it. A receiver that hands datagrams to another
     * thread uses it to stop receiving after the last one, without waiting for the parse.
     *
     * @return {@link #MORE}, {@link #DONE} or {@link #FAILED}, as {@link #parse} would
     */
    public static int status(ByteBuffer datagram, int seq) {
        ByteBuffer b = datagram;
        int pos = b.position();
        int end = b.limit();
        while (end - pos >= NLMSG_HDRLEN) {
            int len = b.getInt(pos);
            if (len < NLMSG_HDRLEN || len > end - pos) {
                return MORE;
            }
            if (b.getInt(pos + 8) == seq) {
                int type = b.getShort(pos + 4) & 0xFFFF;
                if (type == NLMSG_DONE) {
                    return len >= NLMSG_HDRLEN + 4 && b.getInt(pos + NLMSG_HDRLEN) < 0 ? FAILED : DONE;
                }
                if (type == NLMSG_ERROR && (len < NLMSG_HDRLEN + 4 || b.getInt(pos + NLMSG_HDRLEN) != 0)) {
                    return FAILED;
                }
            }
            pos += align(len);
        }
        return MORE;
    }

    /** Appends the socket of one SOCK_DIAG_BY_FAMILY message of {@code len} bytes at {@code pos}. */
    private static void socket(ByteBuffer b, int pos, int len, Dump dump, CompactSocketList.Builder sink) {
        if (len < NLMSG_HDRLEN + INET_DIAG_MSG_LEN) {
            dump.skip("message at byte " + pos + ": " + len + " bytes, too short for inet_diag_msg");
            return;
        }
        int m = pos + NLMSG_HDRLEN;
        int af = b.get(m) & 0xFF;
        Family family;
        if (af == AF_INET) {
            family = Family.IPV4;
        } else if (af == AF_INET6) {
            family = Family.IPV6;
        } else {
            dump.skip("message at byte " + pos + ": address family " + af);
            return;
        }
        int code = b.get(m + 1) & 0xFF;
        SocketState state = dump.protocol == Protocol.TCP ? SocketState.ofTcp(code) : SocketState.ofUdp(code);
        int timer = b.get(m + 2) & 0xFF;
        int retrans = b.get(m + 3) & 0xFF;
        int localPort = port(b, m + 4);
        int remotePort = port(b, m + 6);
        long localHigh = 0;
        long localLow;
        long remoteHigh = 0;
        long remoteLow;
        if (family == Family.IPV6) {
            localHigh = bigLong(b, m + 8);
            localLow = bigLong(b, m + 16);
            remoteHigh = bigLong(b, m + 24);
            remoteLow = bigLong(b, m + 32);
        } else {
            localLow = bigInt(b, m + 8) & 0xFFFFFFFFL;
            remoteLow = bigInt(b, m + 24) & 0xFFFFFFFFL;
        }
        long cookie = (b.getInt(m + 48) & 0xFFFFFFFFL) << 32 | (b.getInt(m + 44) & 0xFFFFFFFFL);
        long expires = b.getInt(m + 52) & 0xFFFFFFFFL;
        long rqueue = b.getInt(m + 56) & 0xFFFFFFFFL;
        long wqueue = b.getInt(m + 60) & 0xFFFFFFFFL;
        long uid = b.getInt(m + 64) & 0xFFFFFFFFL;
        long inode = b.getInt(m + 68) & 0xFFFFFFFFL;

        int v6Only = -1;
        long cgroupId = 0;
        int info = -1;
        int infoLen = 0;
        int a = m + INET_DIAG_MSG_LEN;
        int msgEnd = pos + len;
        while (msgEnd - a >= 4) {
            int alen = b.getShort(a) & 0xFFFF;
            int atype = b.getShort(a + 2) & 0x3FFF;
            if (alen < 4 || alen > msgEnd - a) {
                dump.skip("message at byte " + pos + ": attribute " + atype + " of length " + alen
                        + " at byte " + a + " ignored with the rest");
                break;
            }
            int plen = alen - 4;
            if (atype == INET_DIAG_SKV6ONLY && plen >= 1) {
                v6Only = b.get(a + 4) != 0 ? 1 : 0;
            } else if (atype == INET_DIAG_CGROUP_ID && plen >= 8) {
                cgroupId = b.getLong(a + 4);
            } else if (atype == INET_DIAG_INFO && dump.protocol == Protocol.TCP) {
                info = a + 4;
                infoLen = plen;
            }
            a += align(alen);
        }
        if (family == Family.IPV4) {
            v6Only = -1;
        }
        long expiresMillis = timer == 0 ? 0 : expires;
        CompactSocketList.Builder into = family == Family.IPV6 && dump.sink6 != null ? dump.sink6 : sink;
        int row = into.append(dump.protocol, family, state, localHigh, localLow, localPort, remoteHigh, remoteLow,
                remotePort, wqueue, rqueue, uid, inode, timer, expiresMillis * CLOCK_TICKS_PER_SECOND / 1000,
                retrans, cookie, cgroupId, v6Only, expiresMillis);
        if (info >= 0 && infoLen >= 72 && row >= 0) {
            into.setTcpInfo(row, u32(b, info, infoLen, 68), u32(b, info, infoLen, 72), u32(b, info, infoLen, 100),
                    u64(b, info, infoLen, 120), u64(b, info, infoLen, 128), u64(b, info, infoLen, 160));
        }
        dump.records++;
        if (family == Family.IPV6) {
            dump.records6++;
        }
    }

    /** A u32 field of struct tcp_info at {@code off}, or -1 when the kernel's struct is too short to hold it. */
    static long u32(ByteBuffer b, int at, int len, int off) {
        return off + 4 <= len ? b.getInt(at + off) & 0xFFFFFFFFL : -1;
    }

    /** A u64 field of struct tcp_info, or -1 when the struct is too short (or the value does not fit a long). */
    static long u64(ByteBuffer b, int at, int len, int off) {
        return off + 8 <= len ? Math.max(-1, b.getLong(at + off)) : -1;
    }

    static int align(int len) {
        return (len + 3) & ~3;
    }

    static int port(ByteBuffer b, int at) {
        return (b.get(at) & 0xFF) << 8 | (b.get(at + 1) & 0xFF);
    }

    static int bigInt(ByteBuffer b, int at) {
        int v = b.getInt(at);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v);
    }

    static long bigLong(ByteBuffer b, int at) {
        long v = b.getLong(at);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
    }
}
