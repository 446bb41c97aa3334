package io.connmon.bench;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a deterministic, realistic {@code /proc/net/tcp} or {@code /proc/net/tcp6} table of any size, byte for
 * byte in the kernel's format (Linux {@code net/ipv4/tcp_ipv4.c} and {@code net/ipv6/tcp_ipv6.c}), together with
 * the records a correct parser must make of it.
 *
 * <p>Format, as the kernel prints it:
 *
 * <ul>
 *   <li>tcp: a header and every line padded with spaces to 149 characters, then {@code '\n'} (150 bytes a line);
 *   <li>tcp6: neither header nor lines padded;
 *   <li>full sockets (LISTEN, ESTABLISHED, CLOSE_WAIT, FIN_WAIT1, ...) end in
 *       {@code inode refcnt %pK rto ato quick|pingpong cwnd ssthresh}; TIME_WAIT sockets are shorter and end in
 *       {@code 0 3 %pK} (no inode, refcount 3);
 *   <li>address words are the network-order bytes read as a host-order u32, ports are host-order numbers;
 *       pointers are hashed ({@code 00000000} and 8 lower-case hex digits).
 * </ul>
 *
 * <p>Content: a server-like host. The table starts with the listeners (as the kernel walks the listening hash
 * first), then a mix in hash order: about 60% ESTABLISHED (half inbound to a service port, half outbound from an
 * ephemeral one), 37% TIME_WAIT and 3% CLOSE_WAIT/FIN_WAIT2; 10% of the established sockets have data queued and
 * 30% run a keepalive or retransmit timer. tcp6 mixes v4-mapped, global, loopback and link-local addresses.
 */
public final class ProcNetTableGenerator {

    /** Lines in the benchmark's tables. */
    public static final int LINES = 100_000;

    /** The kernel's TMPSZ - 1: the width tcp (not tcp6) lines are padded to. */
    static final int TCP4_WIDTH = 149;

    static final String TCP4_HEADER =
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
    static final String TCP6_HEADER = "  sl  local_address                         remote_address"
            + "                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

    private static final int LISTENERS = 64;
    private static final int[] SERVICE_PORTS = {22, 80, 443, 5432, 6379, 8080, 8443, 9090, 9100, 11211};
    private static final int[] BACKEND_PORTS = {443, 5432, 6379, 3306, 9092, 2379, 8080, 53};
    private static final long[] UIDS = {0, 0, 33, 101, 999, 1000, 1000, 64321};
    private static final char[] HEX_UPPER = "0123456789ABCDEF".toCharArray();
    private static final char[] HEX_LOWER = "0123456789abcdef".toCharArray();

    /** A generated table: its bytes, the records a correct parser yields, and how many of each state. */
    public record Table(Family family, byte[] bytes, int lines, List<SocketRecord> expected,
            Map<SocketState, Integer> stateCounts) {

        /** Mean bytes per data line (the header excluded). */
        public double bytesPerLine() {
            int header = family == Family.IPV4 ? TCP4_WIDTH + 1 : TCP6_HEADER.length() + 1;
            return (bytes.length - header) / (double) lines;
        }
    }

    private final Family family;
    private final boolean littleEndian;
    private final SplittableRandom rnd;

    // This host's addresses.
    private final long[][] localV4 = {{0, 0x0A140005L}, {0, 0x7F000001L}, {0, 0xAC110001L}};
    private final long[][] localV6;

    /**
     * @param family IPv4 for a tcp table, IPv6 for tcp6
     * @param hostOrder the byte order of the host the table pretends to come from
     * @param seed the same seed gives the same bytes
     */
    public ProcNetTableGenerator(Family family, ByteOrder hostOrder, long seed) {
        this.family = family;
        this.littleEndian = hostOrder == ByteOrder.LITTLE_ENDIAN;
        this.rnd = new SplittableRandom(seed);
        this.localV6 = new long[][] {
            {0x20010DB8_0A140000L, 0x0000000000000005L}, // 2001:db8:a14::5
            {0, 1}, // ::1
            {0, 0x0000FFFF_0A140005L}, // ::ffff:10.20.0.5
            {0xFE800000_00000000L, 0x021A4AFF_FE160005L}, // fe80::21a:4aff:fe16:5
        };
    }

    /** The benchmark's tcp table: {@link #LINES} lines, fixed seed, this host's byte order. */
    public static Table tcp() {
        return new ProcNetTableGenerator(Family.IPV4, ByteOrder.nativeOrder(), 0x7C9_2026L).generate(LINES);
    }

    /** The benchmark's tcp6 table: {@link #LINES} lines, fixed seed, this host's byte order. */
    public static Table tcp6() {
        return new ProcNetTableGenerator(Family.IPV6, ByteOrder.nativeOrder(), 0x7C6_2026L).generate(LINES);
    }

    /** Generates a table of {@code lines} data lines after the header. */
    public Table generate(int lines) {
        StringBuilder sb = new StringBuilder(lines * 160 + 200);
        List<SocketRecord> expected = new ArrayList<>(lines);
        Map<SocketState, Integer> counts = new EnumMap<>(SocketState.class);
        if (family == Family.IPV4) {
            sb.append(TCP4_HEADER);
            pad(sb, 0);
        } else {
            sb.append(TCP6_HEADER).append('\n');
        }
        long inode = 3_000_000 + rnd.nextInt(1_000_000);
        for (int sl = 0; sl < lines; sl++) {
            inode += 1 + rnd.nextInt(40);
            SocketRecord r = sl < Math.min(LISTENERS, lines / 50 + 1) ? listener(sl) : connection(inode);
            if (r.state() == SocketState.LISTEN) {
                r = withInode(r, inode);
            }
            int lineStart = sb.length();
            line(sb, sl, r);
            if (family == Family.IPV4) {
                pad(sb, lineStart);
            } else {
                sb.append('\n');
            }
            expected.add(r);
            counts.merge(r.state(), 1, Integer::sum);
        }
        return new Table(family, sb.toString().getBytes(StandardCharsets.US_ASCII), lines, List.copyOf(expected),
                counts);
    }

    private SocketRecord listener(int i) {
        int port = SERVICE_PORTS[i % SERVICE_PORTS.length] + (i / SERVICE_PORTS.length) * 1000;
        long[] addr;
        if (i % 3 == 0) {
            addr = new long[] {0, 0}; // the wildcard
        } else {
            addr = family == Family.IPV4 ? localV4[i % localV4.length] : localV6[i % localV6.length];
        }
        Endpoint local = endpoint(addr, port);
        Endpoint remote = endpoint(new long[] {0, 0}, 0);
        long backlog = rnd.nextInt(10) == 0 ? rnd.nextInt(5) : 0;
        return new SocketRecord(Protocol.TCP, family, SocketState.LISTEN, local, remote, 0, backlog,
                UIDS[rnd.nextInt(UIDS.length)], 0, 0, 0, 0);
    }

    private SocketRecord connection(long inode) {
        int p = rnd.nextInt(100);
        SocketState state = p < 60 ? SocketState.ESTABLISHED : p < 97 ? SocketState.TIME_WAIT
                : p < 99 ? SocketState.CLOSE_WAIT : SocketState.FIN_WAIT2;
        boolean inbound = rnd.nextBoolean();
        boolean loopback = rnd.nextInt(10) == 0;
        long[] here;
        long[] there;
        if (loopback) {
            here = family == Family.IPV4 ? new long[] {0, 0x7F000001L} : new long[] {0, 1};
            there = here;
        } else {
            here = family == Family.IPV4 ? localV4[0] : localV6[rnd.nextInt(10) < 6 ? 2 : 0];
            there = peer(here);
        }
        int servicePort = inbound ? SERVICE_PORTS[rnd.nextInt(SERVICE_PORTS.length)]
                : BACKEND_PORTS[rnd.nextInt(BACKEND_PORTS.length)];
        int ephemeral = 32768 + rnd.nextInt(61000 - 32768);
        Endpoint local = endpoint(here, inbound ? servicePort : ephemeral);
        Endpoint remote = endpoint(there, inbound ? ephemeral : servicePort);
        if (state == SocketState.TIME_WAIT) {
            long when = rnd.nextInt(0x1771); // up to 60 s in USER_HZ
            return new SocketRecord(Protocol.TCP, family, state, local, remote, 0, 0, 0, 0, 3, when, 0);
        }
        long tx = 0;
        long rx = 0;
        if (rnd.nextInt(10) == 0) {
            tx = rnd.nextInt(3) == 0 ? rnd.nextInt(0x40000) : 0;
            rx = rnd.nextInt(0x8000);
        }
        int tr = 0;
        long when = 0;
        long retr = 0;
        int t = rnd.nextInt(100);
        if (t < 25) {
            tr = 2; // keepalive
            when = rnd.nextInt(720_001);
        } else if (t < 30) {
            tr = 1; // retransmit
            when = rnd.nextInt(0x200);
            retr = rnd.nextInt(4);
        }
        long uid = UIDS[rnd.nextInt(UIDS.length)];
        return new SocketRecord(Protocol.TCP, family, state, local, remote, tx, rx, uid, inode, tr, when, retr);
    }

    /** A remote address for a connection from {@code here}. */
    private long[] peer(long[] here) {
        if (family == Family.IPV4) {
            int kind = rnd.nextInt(10);
            if (kind < 6) {
                return new long[] {0, 0x0A000000L | rnd.nextInt(1 << 16)}; // 10.0.0.0/16
            }
            long a = 0x01000000L + (rnd.nextLong() & 0xFFFFFFFFL) % 0xDE000000L; // 1.0.0.0 - 223.255.255.255
            return new long[] {0, a};
        }
        if ((here[0] == 0 && (here[1] >>> 32) == 0xFFFF)) {
            return new long[] {0, 0x0000FFFF_0A000000L | rnd.nextInt(1 << 16)}; // ::ffff:10.0.x.y
        }
        long high = 0x20010DB8_00000000L | (rnd.nextLong() & 0xFFFFFFFFL);
        long low = rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : rnd.nextLong();
        return new long[] {high, low};
    }

    private Endpoint endpoint(long[] addr, int port) {
        return family == Family.IPV4 ? Endpoint.ipv4((int) addr[1], port) : Endpoint.ipv6(addr[0], addr[1], port);
    }

    private static SocketRecord withInode(SocketRecord r, long inode) {
        return new SocketRecord(r.protocol(), r.family(), r.state(), r.local(), r.remote(), r.sendQueue(),
                r.receiveQueue(), r.uid(), inode, r.timerActive(), r.timerJiffies(), r.retransmits());
    }

    /** One line without its end, as get_tcp4_sock/get_tcp6_sock/get_timewait*_sock print it. */
    private void line(StringBuilder sb, int sl, SocketRecord r) {
        // "%4d: "
        padLeft(sb, Integer.toString(sl), 4);
        sb.append(": ");
        address(sb, r.local());
        sb.append(' ');
        address(sb, r.remote());
        sb.append(' ');
        hex(sb, r.state().code(), 2);
        sb.append(' ');
        hex(sb, r.sendQueue(), 8);
        sb.append(':');
        hex(sb, r.receiveQueue(), 8);
        sb.append(' ');
        hex(sb, r.timerActive(), 2);
        sb.append(':');
        hex(sb, r.timerJiffies(), 8);
        sb.append(' ');
        hex(sb, r.retransmits(), 8);
        sb.append(' ');
        padLeft(sb, Long.toString(r.uid()), 5); // %5u (TIME_WAIT: %5d of 0)
        sb.append(' ');
        padLeft(sb, "0", 8); // %8d: probes_out / the TIME_WAIT 0
        sb.append(' ');
        sb.append(r.inode()); // %lu
        sb.append(' ');
        boolean timeWait = r.state() == SocketState.TIME_WAIT;
        sb.append(timeWait ? 3 : r.state() == SocketState.LISTEN ? 1 : 1 + rnd.nextInt(2)); // refcount
        sb.append(' ');
        sb.append("00000000"); // %pK, hashed
        for (int i = 28; i >= 0; i -= 4) {
            sb.append(HEX_LOWER[rnd.nextInt(16)]);
        }
        if (timeWait) {
            return;
        }
        if (r.state() == SocketState.LISTEN) {
            sb.append(" 100 0 0 10 0"); // rto 1 s, ato, quick, cwnd, fastopen max_qlen
            return;
        }
        int[] rto = {20, 20, 20, 21, 24, 40, 120};
        int[] ato = {0, 4, 4, 20};
        int[] quick = {0, 0, 30, 31, 2};
        sb.append(' ').append(rto[rnd.nextInt(rto.length)]);
        sb.append(' ').append(ato[rnd.nextInt(ato.length)]);
        sb.append(' ').append(quick[rnd.nextInt(quick.length)]);
        sb.append(' ').append(10 + (rnd.nextInt(4) == 0 ? rnd.nextInt(200) : 0));
        sb.append(' ').append(rnd.nextBoolean() ? -1 : 7 + rnd.nextInt(500));
    }

    /** "%08X:%04X" or "%08X%08X%08X%08X:%04X": words of network-order bytes printed as host-order u32s. */
    private void address(StringBuilder sb, Endpoint e) {
        if (family == Family.IPV4) {
            hex(sb, word((int) e.low()), 8);
        } else {
            hex(sb, word((int) (e.high() >>> 32)), 8);
            hex(sb, word((int) e.high()), 8);
            hex(sb, word((int) (e.low() >>> 32)), 8);
            hex(sb, word((int) e.low()), 8);
        }
        sb.append(':');
        hex(sb, e.port(), 4);
    }

    private long word(int networkOrder) {
        return (littleEndian ? Integer.reverseBytes(networkOrder) : networkOrder) & 0xFFFFFFFFL;
    }

    /** "%0<width>X" for a value that fits (the kernel's fields here never overflow their width). */
    private static void hex(StringBuilder sb, long v, int width) {
        int digits = Math.max(width, (64 - Long.numberOfLeadingZeros(v) + 3) / 4);
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            sb.append(HEX_UPPER[(int) (v >>> shift) & 0xF]);
        }
    }

    private static void padLeft(StringBuilder sb, String s, int width) {
        for (int i = s.length(); i < width; i++) {
            sb.append(' ');
        }
        sb.append(s);
    }

    /** seq_pad: spaces up to the fixed width, then the newline. */
    private static void pad(StringBuilder sb, int lineStart) {
        while (sb.length() - lineStart < TCP4_WIDTH) {
            sb.append(' ');
        }
        sb.append('\n');
    }
}
