package io.connmon.parser.source.procfs;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import java.nio.ByteOrder;

/**
 * Parses the data lines of {@code /proc/net/tcp}, {@code tcp6}, {@code udp} and {@code udp6} from bytes.
 *
 * <p>A line looks like this (the kernel pads TCP lines with spaces and appends more columns):
 *
 * <pre>
 *    2: 0100007F:B507 0100007F:AAAC 01 00000000:00000000 00:00000000 00000000     0        0 6928 1 ...
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
 * </pre>
 *
 * <p>Each address is printed as 32-bit words (one for IPv4, four for IPv6), each word being the address bytes
 * read as a native-order integer: {@code 127.0.0.1} is {@code 0100007F} on a little-endian host and
 * {@code 7F000001} on a big-endian one. The parser is told the host's byte order so that it is right on both.
 *
 * <p>After the inode the kernel prints a fixed number of columns, which are counted but not kept: a TCP line has
 * 17 columns in all ({@code ref pointer rto ato quick/pingpong cwnd ssthresh} after the inode), or 12 for the
 * short lines of TIME_WAIT and request sockets ({@code ref pointer}); a UDP line has 13 ({@code ref pointer
 * drops}). Any other count means a column is missing or extra, and since the others would then be shifted
 * into the wrong fields the line is rejected. An inode past {@link Long#MAX_VALUE} and a uid past 32 bits are
 * no real values and are rejected too.
 *
 * <p>The hot path allocates only the record and its two endpoints: no regex, no split, no per-field strings.
 * A malformed line yields no record and a one-line reason ({@link #error()}); it never throws (a bug that
 * would throw costs its line, reported as {@code "internal error: ..."}). An instance keeps state between
 * calls and is not thread-safe.
 */
public final class ProcNetParser {

    /** {@link #parse} found no line end before the limit: the caller must supply more bytes. */
    public static final int NEED_MORE = -1;

    private static final byte[] HEX = new byte[256];

    static {
        java.util.Arrays.fill(HEX, (byte) -1);
        for (int i = 0; i < 10; i++) {
            HEX['0' + i] = (byte) i;
        }
        for (int i = 0; i < 6; i++) {
            HEX['a' + i] = (byte) (10 + i);
            HEX['A' + i] = (byte) (10 + i);
        }
    }

    private final Protocol protocol;
    private final Family family;
    private final boolean littleEndian;
    private final int addressDigits;
    private boolean fastPath = true;

    // Cursor and results of the line in progress.
    private int pos;
    private int limit;
    private int field; // where the field being parsed starts, for error messages
    private long high;
    private long low;
    private SocketRecord record;
    private String error;

    /**
     * @param protocol the table's protocol (tcp or udp files)
     * @param family the table's family (tcp, udp: IPv4; tcp6, udp6: IPv6)
     * @param hostOrder the byte order of the host that printed the table, normally {@link ByteOrder#nativeOrder()}
     */
    public ProcNetParser(Protocol protocol, Family family, ByteOrder hostOrder) {
        this.protocol = protocol;
        this.family = family;
        this.littleEndian = hostOrder == ByteOrder.LITTLE_ENDIAN;
        this.addressDigits = family == Family.IPV4 ? 8 : 32;
    }

    /** This parser with the fixed-width fast path turned off, so that tests can check both paths agree. */
    ProcNetParser withoutFastPath() {
        fastPath = false;
        return this;
    }

    /** The record of the last line {@link #parse} accepted, or {@code null} if it was malformed. */
    public SocketRecord record() {
        return record;
    }

    /** Why the last line was rejected, or {@code null} if it was accepted. */
    public String error() {
        return error;
    }

    /**
     * Parses the line that starts at {@code from}, reading no further than {@code to}.
     *
     * @return the index just past the line's {@code '\n'}, or {@link #NEED_MORE} if there is none before
     *     {@code to}; afterwards {@link #record()} holds the record, or is {@code null} and {@link #error()} says why
     */
    public int parse(byte[] buf, int from, int to) {
        pos = from;
        limit = to;
        record = null;
        error = null;
        try {
            int fast = fastPath ? parseFast(buf, from, to) : SLOW;
            if (fast != SLOW) {
                return fast;
            }
            record = null;
            SocketRecord r = parseFields(buf);
            if (r == null) {
                return skipToLineEnd(buf);
            }
            int end = skipToLineEnd(buf);
            if (end != NEED_MORE) {
                record = r;
            }
            return end;
        } catch (RuntimeException e) {
            // Defensive: a bug here must cost one line, never the collection.
            error = "internal error: " + e;
            return skipToLineEnd(buf);
        }
    }

    /** {@link #parseFast} could not take the line: the general parser decides (and words any error). */
    private static final int SLOW = -2;

    /**
     * The common case, the kernel's own layout: after {@code "%4d: "} every column up to {@code retrnsmt} has a
     * fixed width ({@code %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X}, the addresses 32 digits wide in
     * the IPv6 tables), so their delimiters are checked and their digits read at fixed offsets, with the
     * cursor in locals. Anything else, and any line near the end of the buffer, goes to the general parser.
     */
    private int parseFast(byte[] buf, int from, int to) {
        int p = from;
        while (p < to && buf[p] == ' ') {
            p++;
        }
        int digits = p;
        while (p < to && buf[p] >= '0' && buf[p] <= '9') {
            p++;
        }
        int a = addressDigits;
        // "N: " + local + ':' + port + ' ' + remote + ':' + port + ' ' + st + ' ' + tx:rx + ' ' + tr:when + ' '
        // + retrnsmt + ' ', then at least "0 0 0" and a newline.
        if (p == digits || to - p < 2 + 2 * (a + 6) + 3 + 18 + 12 + 9 + 6) {
            return SLOW;
        }
        if (buf[p] != ':' || buf[p + 1] != ' ') {
            return SLOW;
        }
        int l = p + 2; // local address
        int r = l + a + 6; // remote address
        int s = r + a + 6; // st
        int t = s + 3; // tx_queue:rx_queue
        int u = t + 18; // tr:tm->when
        int w = u + 12; // retrnsmt
        if (buf[l + a] != ':' || buf[l + a + 5] != ' ' || buf[r + a] != ':' || buf[r + a + 5] != ' '
                || buf[s + 2] != ' ' || buf[t + 8] != ':' || buf[t + 17] != ' ' || buf[u + 2] != ':'
                || buf[u + 11] != ' ' || buf[w + 8] != ' ') {
            return SLOW;
        }
        long localPort = hex4(buf, l + a + 1);
        long remotePort = hex4(buf, r + a + 1);
        long st = hex2(buf, s);
        long tx = hex8(buf, t);
        long rx = hex8(buf, t + 9);
        long tr = hex2(buf, u);
        long when = hex8(buf, u + 3);
        long retr = hex8(buf, w);
        if ((localPort | remotePort | st | tx | rx | tr | when | retr) < 0) {
            return SLOW;
        }
        long localHigh = 0;
        long localLow;
        long remoteHigh = 0;
        long remoteLow;
        if (a == 8) {
            long la = hex8(buf, l);
            long ra = hex8(buf, r);
            if ((la | ra) < 0) {
                return SLOW;
            }
            localLow = word((int) la) & 0xFFFFFFFFL;
            remoteLow = word((int) ra) & 0xFFFFFFFFL;
        } else {
            long l0 = hex8(buf, l);
            long l1 = hex8(buf, l + 8);
            long l2 = hex8(buf, l + 16);
            long l3 = hex8(buf, l + 24);
            long r0 = hex8(buf, r);
            long r1 = hex8(buf, r + 8);
            long r2 = hex8(buf, r + 16);
            long r3 = hex8(buf, r + 24);
            if ((l0 | l1 | l2 | l3 | r0 | r1 | r2 | r3) < 0) {
                return SLOW;
            }
            localHigh = join(l0, l1);
            localLow = join(l2, l3);
            remoteHigh = join(r0, r1);
            remoteLow = join(r2, r3);
        }
        // uid, timeout and inode have variable widths.
        int c = w + 9;
        while (c < to && buf[c] == ' ') {
            c++;
        }
        long uid = 0;
        int start = c;
        while (c < to && buf[c] >= '0' && buf[c] <= '9' && c - start < 19) {
            uid = uid * 10 + (buf[c++] - '0');
        }
        if (c == start || c >= to || buf[c] != ' ' || (uid & ~MAX_UID) != 0) {
            return SLOW;
        }
        while (c < to && buf[c] == ' ') {
            c++;
        }
        if (c < to && buf[c] == '-') {
            c++;
        }
        start = c;
        while (c < to && buf[c] >= '0' && buf[c] <= '9') {
            c++;
        }
        if (c == start || c - start > 19 || c >= to || buf[c] != ' ') {
            return SLOW;
        }
        while (c < to && buf[c] == ' ') {
            c++;
        }
        long inode = 0;
        start = c;
        while (c < to && buf[c] >= '0' && buf[c] <= '9' && c - start < 19) {
            inode = inode * 10 + (buf[c++] - '0');
        }
        // 19 digits past Long.MAX_VALUE wrap negative: the general parser words the error.
        if (c == start || c >= to || (buf[c] != ' ' && buf[c] != '\n') || inode < 0) {
            return SLOW;
        }
        int end = trailingColumns(buf, c, to);
        if (end < 0 || !columnsRight()) {
            return SLOW; // the general parser asks for more bytes, or words the error
        }
        SocketState state = protocol == Protocol.TCP ? SocketState.ofTcp((int) st) : SocketState.ofUdp((int) st);
        record = new SocketRecord(protocol, family, state, localHigh, localLow, (int) localPort, remoteHigh,
                remoteLow, (int) remotePort, tx, rx, uid, inode, (int) tr, when, retr);
        return end;
    }

    private long join(long hi, long lo) {
        return ((long) word((int) hi) << 32) | (word((int) lo) & 0xFFFFFFFFL);
    }

    /** Eight hex digits at {@code i}, or -1. */
    private static long hex8(byte[] b, int i) {
        int h0 = HEX[b[i] & 0xFF];
        int h1 = HEX[b[i + 1] & 0xFF];
        int h2 = HEX[b[i + 2] & 0xFF];
        int h3 = HEX[b[i + 3] & 0xFF];
        int h4 = HEX[b[i + 4] & 0xFF];
        int h5 = HEX[b[i + 5] & 0xFF];
        int h6 = HEX[b[i + 6] & 0xFF];
        int h7 = HEX[b[i + 7] & 0xFF];
        if ((h0 | h1 | h2 | h3 | h4 | h5 | h6 | h7) < 0) {
            return -1;
        }
        return ((long) h0 << 28) | (h1 << 24) | (h2 << 20) | (h3 << 16) | (h4 << 12) | (h5 << 8) | (h6 << 4) | h7;
    }

    /** Four hex digits at {@code i}, or -1. */
    private static long hex4(byte[] b, int i) {
        int h0 = HEX[b[i] & 0xFF];
        int h1 = HEX[b[i + 1] & 0xFF];
        int h2 = HEX[b[i + 2] & 0xFF];
        int h3 = HEX[b[i + 3] & 0xFF];
        if ((h0 | h1 | h2 | h3) < 0) {
            return -1;
        }
        return (h0 << 12) | (h1 << 8) | (h2 << 4) | h3;
    }

    /** Two hex digits at {@code i}, or -1. */
    private static long hex2(byte[] b, int i) {
        int h0 = HEX[b[i] & 0xFF];
        int h1 = HEX[b[i + 1] & 0xFF];
        if ((h0 | h1) < 0) {
            return -1;
        }
        return (h0 << 4) | h1;
    }

    private SocketRecord parseFields(byte[] buf) {
        // Each field must end at a delimiter, so that "0000000G" fails as rx_queue rather than as the next field.
        skipSpaces(buf);
        field = pos;
        while (pos < limit && buf[pos] >= '0' && buf[pos] <= '9') {
            pos++;
        }
        if (pos == field || !expect(buf, ':')) {
            return failNull(buf, "sl", "a slot number and ':'");
        }
        skipSpaces(buf);
        Endpoint local = endpoint(buf, "local_address");
        if (local == null) {
            return null;
        }
        skipSpaces(buf);
        Endpoint remote = endpoint(buf, "rem_address");
        if (remote == null) {
            return null;
        }
        skipSpaces(buf);
        field = pos;
        long st = hex(buf, 1, 2);
        if (st < 0 || !atDelimiter(buf)) {
            return failNull(buf, "st", "1 or 2 hex digits");
        }
        skipSpaces(buf);
        field = pos;
        long tx = hex(buf, 1, 16);
        if (tx < 0 || !expect(buf, ':')) {
            return failNull(buf, "tx_queue", "hex digits and ':'");
        }
        field = pos;
        long rx = hex(buf, 1, 16);
        if (rx < 0 || !atDelimiter(buf)) {
            return failNull(buf, "rx_queue", "hex digits");
        }
        skipSpaces(buf);
        field = pos;
        long tr = hex(buf, 1, 2);
        if (tr < 0 || !expect(buf, ':')) {
            return failNull(buf, "tr", "1 or 2 hex digits and ':'");
        }
        field = pos;
        long when = hex(buf, 1, 16);
        if (when < 0 || !atDelimiter(buf)) {
            return failNull(buf, "tm->when", "hex digits");
        }
        skipSpaces(buf);
        field = pos;
        long retr = hex(buf, 1, 16);
        if (retr < 0 || !atDelimiter(buf)) {
            return failNull(buf, "retrnsmt", "hex digits");
        }
        skipSpaces(buf);
        field = pos;
        long uid = decimal(buf);
        if (uid == OUT_OF_RANGE || (uid > MAX_UID && atDelimiter(buf))) {
            return failNull(buf, "uid", "a decimal number up to " + MAX_UID);
        }
        if (uid < 0 || !atDelimiter(buf)) {
            return failNull(buf, "uid", "a decimal number");
        }
        skipSpaces(buf);
        field = pos;
        if (pos < limit && buf[pos] == '-') {
            pos++; // timeout is a signed int; its value is not kept
        }
        if (decimal(buf) < 0 || !atDelimiter(buf)) {
            return failNull(buf, "timeout", "a decimal number");
        }
        skipSpaces(buf);
        field = pos;
        long inode = decimal(buf);
        if (inode == OUT_OF_RANGE && atDelimiter(buf)) {
            return failNull(buf, "inode", "a decimal number up to " + Long.MAX_VALUE);
        }
        if (inode < 0 || !atDelimiter(buf)) {
            return failNull(buf, "inode", "a decimal number");
        }
        // Past the inode, the kernel's fixed set of columns, then padding to the newline.
        int end = trailingColumns(buf, pos, limit);
        if (end < 0) {
            return null; // no newline yet: the caller asks for more bytes
        }
        if (!columnsRight()) {
            error = "columns: expected " + (protocol == Protocol.TCP ? "12 or 17 in a tcp" : "13 in a udp")
                    + " line, got " + (10 + trailing);
            return null;
        }
        SocketState state = protocol == Protocol.TCP ? SocketState.ofTcp((int) st) : SocketState.ofUdp((int) st);
        return new SocketRecord(protocol, family, state, local, remote, tx, rx, uid, inode, (int) tr, when, retr);
    }

    /** {@code ADDRESS:PORT}, or {@code null} with the error set. */
    private Endpoint endpoint(byte[] buf, String name) {
        field = pos;
        if (!address(buf)) {
            return failEndpoint(buf, name, addressDigits + " hex digits");
        }
        if (!expect(buf, ':')) {
            return failEndpoint(buf, name, addressDigits + " hex digits and ':'");
        }
        long port = hex(buf, 4, 4);
        if (port < 0 || !atDelimiter(buf)) {
            return failEndpoint(buf, name, "a port of 4 hex digits");
        }
        return endpoint((int) port);
    }

    private Endpoint endpoint(int port) {
        return family == Family.IPV4 ? Endpoint.ipv4((int) low, port) : Endpoint.ipv6(high, low, port);
    }

    /** Reads the address columns' hex words into {@link #high} and {@link #low}, in network order. */
    private boolean address(byte[] buf) {
        // No shortcut on the bytes left: jumping to the limit would step over the line's '\n', and a short last
        // line would then be neither parsed nor counted. hex() stops at the newline (or the limit) by itself.
        if (family == Family.IPV4) {
            long w = hex(buf, 8, 8);
            if (w < 0) {
                return false;
            }
            high = 0;
            low = word((int) w) & 0xFFFFFFFFL;
            return true;
        }
        long w0 = hex(buf, 8, 8);
        long w1 = w0 < 0 ? -1 : hex(buf, 8, 8);
        long w2 = w1 < 0 ? -1 : hex(buf, 8, 8);
        long w3 = w2 < 0 ? -1 : hex(buf, 8, 8);
        if (w3 < 0) {
            return false;
        }
        high = ((long) word((int) w0) << 32) | (word((int) w1) & 0xFFFFFFFFL);
        low = ((long) word((int) w2) << 32) | (word((int) w3) & 0xFFFFFFFFL);
        return true;
    }

    /** The kernel printed a native-order u32 of network-order bytes; turn it back into network order. */
    private int word(int printed) {
        return littleEndian ? Integer.reverseBytes(printed) : printed;
    }

    /** Parses min to max hex digits; -1 if fewer than min, or if a variable-width run is longer than max. */
    private long hex(byte[] buf, int min, int max) {
        long v = 0;
        int n = 0;
        while (pos < limit && n < max) {
            int d = HEX[buf[pos] & 0xFF];
            if (d < 0) {
                break;
            }
            v = (v << 4) | d;
            pos++;
            n++;
        }
        if (n < min) {
            return -1;
        }
        if (min != max && n == max && pos < limit && HEX[buf[pos] & 0xFF] >= 0) {
            return -1; // more digits than the column can hold
        }
        return v;
    }

    /** {@link #decimal} read a number past {@link Long#MAX_VALUE}. */
    private static final long OUT_OF_RANGE = -2;
    /** uid is printed from a 32-bit kuid_t. */
    private static final long MAX_UID = 0xFFFFFFFFL;

    /** Parses an unsigned decimal; -1 if there is none, {@link #OUT_OF_RANGE} past a long. */
    private long decimal(byte[] buf) {
        long v = 0;
        int n = 0;
        while (pos < limit) {
            int c = buf[pos] - '0';
            if (c < 0 || c > 9) {
                break;
            }
            v = v * 10 + c;
            pos++;
            n++;
        }
        // 19 digits hold at most 9,999,999,999,999,999,999 < 2^64: past Long.MAX_VALUE the sum wraps negative.
        return n == 0 ? -1 : n > 19 || v < 0 ? OUT_OF_RANGE : v;
    }

    /** Columns {@link #trailingColumns} counted after the inode. */
    private int trailing;

    /**
     * Counts the space-separated columns from {@code at} (just past the inode) to the line's end.
     *
     * @return the index just past the {@code '\n'}, or -1 if there is none before {@code to}
     */
    private int trailingColumns(byte[] buf, int at, int to) {
        int n = 0;
        boolean inColumn = false;
        for (int i = at; i < to; i++) {
            byte b = buf[i];
            if (b == '\n') {
                trailing = n;
                return i + 1;
            }
            if (b == ' ') {
                inColumn = false;
            } else if (!inColumn) {
                inColumn = true;
                n++;
            }
        }
        return -1;
    }

    /** Whether {@link #trailing} is a count the kernel prints for this table's protocol. */
    private boolean columnsRight() {
        return protocol == Protocol.TCP ? trailing == 7 || trailing == 2 : trailing == 3;
    }

    private void skipSpaces(byte[] buf) {
        while (pos < limit && buf[pos] == ' ') {
            pos++;
        }
    }

    private boolean expect(byte[] buf, char c) {
        if (pos < limit && buf[pos] == c) {
            pos++;
            return true;
        }
        return false;
    }

    /** Whether a field ends here: at a space, the line's end, or the end of the bytes read so far. */
    private boolean atDelimiter(byte[] buf) {
        return pos >= limit || buf[pos] == ' ' || buf[pos] == '\n';
    }

    /** Sets the error, naming the field and quoting what stands where it was expected; returns null. */
    private SocketRecord failNull(byte[] buf, String name, String expected) {
        StringBuilder sb = new StringBuilder(64).append(name).append(": expected ").append(expected)
                .append(", got '");
        for (int i = field; i < limit && i < field + 40 && buf[i] != ' ' && buf[i] != '\n'; i++) {
            int c = buf[i] & 0xFF;
            if (c >= 0x20 && c < 0x7F) {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02x", c));
            }
        }
        error = sb.append('\'').toString();
        return null;
    }

    private Endpoint failEndpoint(byte[] buf, String name, String expected) {
        failNull(buf, name, expected);
        return null;
    }

    private int skipToLineEnd(byte[] buf) {
        for (int i = pos; i < limit; i++) {
            if (buf[i] == '\n') {
                return i + 1;
            }
        }
        return NEED_MORE;
    }
}
