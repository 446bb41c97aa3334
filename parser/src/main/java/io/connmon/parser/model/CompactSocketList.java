package io.connmon.parser.model;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;
import java.util.function.Consumer;

/**
 * An immutable list of sockets stored as columns of primitives, handing out {@link SocketRecord} values on
 * {@link #get(int)}.
 *
 * <p>A host with 300,000 sockets holds two tables while a collection runs (the one served and the one being
 * read). As objects a socket costs about 125 bytes; here an IPv4 one costs 58 and an IPv6 one 82, with no
 * per-socket object for the collector to trace. The records a reader or renderer gets are short-lived values.
 *
 * <pre>{@code
 * CompactSocketList.Builder b = new CompactSocketList.Builder(1024);
 * reader.read("net/tcp", channel, parser, b);     // the builder is the reader's sink
 * List<SocketRecord> sockets = CompactSocketList.of(List.of(b));
 * }</pre>
 */
public final class CompactSocketList extends AbstractList<SocketRecord> implements RandomAccess {

    private static final SocketState[] STATES = SocketState.values();
    private static final CompactSocketList EMPTY = new CompactSocketList(new Builder[0]);

    private final Builder[] segments;
    private final int[] starts;
    private final int[] netns; // per segment: the namespace index its rows carry (unless a row has its own)
    private final int size;

    private CompactSocketList(Builder[] segments) {
        this(segments, new int[segments.length]);
    }

    private CompactSocketList(Builder[] segments, int[] netns) {
        this.segments = segments;
        this.netns = netns;
        this.starts = new int[segments.length];
        int n = 0;
        for (int i = 0; i < segments.length; i++) {
            starts[i] = n;
            n += segments[i].size;
        }
        this.size = n;
    }

    /** The builders' sockets, in order, as one list; the builders must not be used afterwards. */
    public static CompactSocketList of(List<Builder> builders) {
        List<Builder> kept = new ArrayList<>();
        for (Builder b : builders) {
            if (b.size > 0) {
                b.sealed = true;
                kept.add(b);
            }
        }
        return kept.isEmpty() ? EMPTY : new CompactSocketList(kept.toArray(new Builder[0]));
    }

    /**
     * The lists one after another, the sockets of {@code lists.get(i)} in namespace {@code netnsIndex[i]}; the
     * columns are shared, not copied (a list holds no mutable state).
     */
    public static CompactSocketList concat(List<CompactSocketList> lists, int[] netnsIndex) {
        if (lists.size() != netnsIndex.length) {
            throw new IllegalArgumentException("one namespace index per list");
        }
        List<Builder> segs = new ArrayList<>();
        List<Integer> ns = new ArrayList<>();
        for (int i = 0; i < lists.size(); i++) {
            for (Builder b : lists.get(i).segments) {
                segs.add(b);
                ns.add(netnsIndex[i]);
            }
        }
        if (segs.isEmpty()) {
            return EMPTY;
        }
        int[] idx = new int[ns.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = ns.get(i);
        }
        return new CompactSocketList(segs.toArray(new Builder[0]), idx);
    }

    /**
     * The sockets from {@code from} (inclusive) to {@code to} (exclusive), which must fall on the boundaries of
     * the lists {@link #concat} joined: a view sharing the columns.
     *
     * @throws IllegalArgumentException for a range that cuts a segment
     */
    public CompactSocketList range(int from, int to) {
        if (from == to) {
            return EMPTY;
        }
        int first = -1;
        int last = -1;
        for (int s = 0; s < segments.length; s++) {
            if (starts[s] == from) {
                first = s;
            }
            if (starts[s] + segments[s].size == to) {
                last = s;
            }
        }
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("range " + from + ".." + to + " cuts a segment");
        }
        return new CompactSocketList(Arrays.copyOfRange(segments, first, last + 1),
                Arrays.copyOfRange(netns, first, last + 1));
    }

    /** The sockets of any list, copied into columns (a {@code CompactSocketList} is returned as it is). */
    public static CompactSocketList copyOf(List<SocketRecord> sockets) {
        if (sockets instanceof CompactSocketList) {
            return (CompactSocketList) sockets;
        }
        Builder b = new Builder(sockets.size());
        for (SocketRecord r : sockets) {
            b.accept(r);
        }
        return of(List.of(b));
    }

    @Override
    public int size() {
        return size;
    }

    /**
     * The bytes this list's rows take in their columns: 58 a row, 32 more with IPv6 addresses, 8 for each of
     * cookie, cgroup id and expiry, 48 with tcp_info, counted per segment for the columns it has.
     */
    public long rowBytes() {
        long bytes = 0;
        for (Builder b : segments) {
            bytes += (long) b.size * b.bytesPerRow();
        }
        return bytes;
    }

    @Override
    public SocketRecord get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + size);
        }
        int s = segments.length - 1;
        while (starts[s] > index) {
            s--;
        }
        return segments[s].get(index - starts[s], netns[s]);
    }

    /**
     * Collects sockets into columns; it is a {@code Consumer<SocketRecord>}, so a reader can fill it directly,
     * and a binary source appends primitives with {@link #append} without making a record per socket.
     * Rows of any protocol and family may be mixed; IPv4 rows keep their addresses in ints. The columns only
     * sock_diag fills (cookie, cgroup id, expiry, tcp_info) are allocated with the first row that has them.
     */
    public static final class Builder implements Consumer<SocketRecord> {
        private static final int INFO = 6; // longs per row of tcp_info

        private int size;
        private boolean sealed;
        private byte[] kind; // protocol bit 0, family bit 1, state ordinal bits 2..6
        private byte[] flags; // v6only + 1 in bits 0..1 (0 unknown), tcp_info present bit 2
        private int[] local4;
        private int[] remote4;
        private long[] localHigh; // allocated with the first IPv6 row
        private long[] localLow;
        private long[] remoteHigh;
        private long[] remoteLow;
        private int[] ports; // local << 16 | remote
        private long[] sendQueue;
        private long[] receiveQueue;
        private int[] uid; // unsigned; -1 unknown
        private long[] inode;
        private byte[] timer;
        private long[] timerJiffies;
        private long[] retransmits;
        private long[] cookie; // allocated with the first row that has one; 0 unknown
        private long[] cgroupId; // likewise
        private long[] expires; // likewise; -1 unknown
        private long[] info; // INFO longs per row, allocated with the first tcp_info
        private int[] netnsRow; // a row's own namespace index, allocated with the first record that has one

        /** A builder with room for {@code expected} sockets before it grows. */
        public Builder(int expected) {
            int n = Math.max(16, expected);
            kind = new byte[n];
            flags = new byte[n];
            local4 = new int[n];
            remote4 = new int[n];
            ports = new int[n];
            sendQueue = new long[n];
            receiveQueue = new long[n];
            uid = new int[n];
            inode = new long[n];
            timer = new byte[n];
            timerJiffies = new long[n];
            retransmits = new long[n];
        }

        /** Sockets added so far. */
        public int size() {
            return size;
        }

        /** The bytes a row takes in the columns allocated so far. */
        int bytesPerRow() {
            int n = 58;
            n += localHigh == null ? 0 : 32;
            n += cookie == null ? 0 : 8;
            n += cgroupId == null ? 0 : 8;
            n += expires == null ? 0 : 8;
            n += info == null ? 0 : 8 * INFO;
            return n;
        }

        @Override
        public void accept(SocketRecord r) {
            int i = append(r.protocol(), r.family(), r.state(), r.localHigh(), r.localLow(), r.localPort(),
                    r.remoteHigh(), r.remoteLow(), r.remotePort(), r.sendQueue(), r.receiveQueue(), r.uid(),
                    r.inode(), r.timerActive(), r.timerJiffies(), r.retransmits(), r.cookie(), r.cgroupId(),
                    r.v6Only(), r.expiresMillis());
            TcpInfo t = r.tcpInfo();
            if (t != null) {
                setTcpInfo(i, t.rttMicros(), t.rttVarMicros(), t.retransmits(), t.bytesAcked(), t.bytesReceived(),
                        t.deliveryRate());
            }
            if (r.netns() != 0 || netnsRow != null) {
                if (netnsRow == null) {
                    netnsRow = new int[kind.length];
                    Arrays.fill(netnsRow, 0, i, -1);
                }
                netnsRow[i] = r.netns();
            }
        }

        /**
         * Appends one socket from primitives, the fields as {@link SocketRecord} holds them (an IPv4 address in
         * the low 32 bits of {@code localLow}/{@code remoteLow}, {@code localHigh}/{@code remoteHigh} 0).
         *
         * @return the row's index, for {@link #setTcpInfo}
         * @throws IllegalArgumentException for a port out of range or an IPv4 address wider than 32 bits
         */
        public int append(Protocol protocol, Family family, SocketState state, long localHigh, long localLow,
                int localPort, long remoteHigh, long remoteLow, int remotePort, long sendQueue, long receiveQueue,
                long uid, long inode, int timerActive, long timerJiffies, long retransmits, long cookie,
                long cgroupId, int v6Only, long expiresMillis) {
            if (sealed) {
                throw new IllegalStateException("builder already made into a list");
            }
            if ((localPort & ~0xFFFF) != 0 || (remotePort & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("port out of range: " + localPort + ", " + remotePort);
            }
            boolean v6 = family == Family.IPV6;
            if (!v6 && (localHigh != 0 || remoteHigh != 0 || (localLow >>> 32) != 0 || (remoteLow >>> 32) != 0)) {
                throw new IllegalArgumentException("IPv4 address wider than 32 bits");
            }
            if (size == kind.length) {
                grow();
            }
            int i = size++;
            kind[i] = (byte) ((protocol == Protocol.UDP ? 1 : 0) | (v6 ? 2 : 0) | state.ordinal() << 2);
            flags[i] = (byte) (v6Only < 0 || v6Only > 1 ? 0 : v6Only + 1);
            if (v6) {
                if (this.localHigh == null) {
                    this.localHigh = new long[kind.length];
                    this.localLow = new long[kind.length];
                    this.remoteHigh = new long[kind.length];
                    this.remoteLow = new long[kind.length];
                }
                this.localHigh[i] = localHigh;
                this.localLow[i] = localLow;
                this.remoteHigh[i] = remoteHigh;
                this.remoteLow[i] = remoteLow;
            } else {
                local4[i] = (int) localLow;
                remote4[i] = (int) remoteLow;
            }
            ports[i] = localPort << 16 | remotePort;
            this.sendQueue[i] = sendQueue;
            this.receiveQueue[i] = receiveQueue;
            this.uid[i] = uid < 0 || uid > 0xFFFFFFFEL ? -1 : (int) uid;
            this.inode[i] = inode;
            timer[i] = (byte) timerActive;
            this.timerJiffies[i] = timerJiffies;
            this.retransmits[i] = retransmits;
            if (cookie != 0 || this.cookie != null) {
                if (this.cookie == null) {
                    this.cookie = new long[kind.length];
                }
                this.cookie[i] = cookie;
            }
            if (cgroupId != 0 || this.cgroupId != null) {
                if (this.cgroupId == null) {
                    this.cgroupId = new long[kind.length];
                }
                this.cgroupId[i] = cgroupId;
            }
            if (expiresMillis != -1 || expires != null) {
                if (expires == null) {
                    expires = new long[kind.length];
                    Arrays.fill(expires, 0, i, -1);
                }
                expires[i] = expiresMillis;
            }
            return i;
        }

        /** Attaches tcp_info figures (see {@link TcpInfo}; -1 for a field the kernel did not send) to row {@code row}. */
        public void setTcpInfo(int row, long rttMicros, long rttVarMicros, long retransmits, long bytesAcked,
                long bytesReceived, long deliveryRate) {
            if (row < 0 || row >= size || sealed) {
                throw new IllegalArgumentException("no open row " + row);
            }
            if (info == null) {
                info = new long[kind.length * INFO];
            }
            int at = row * INFO;
            info[at] = rttMicros;
            info[at + 1] = rttVarMicros;
            info[at + 2] = retransmits;
            info[at + 3] = bytesAcked;
            info[at + 4] = bytesReceived;
            info[at + 5] = deliveryRate;
            flags[row] |= 4;
        }

        /**
         * Drops every row that repeats an earlier one, keeping the first, and returns how many were dropped. A
         * non-atomic read (a chunked /proc/net read or a sock_diag dump under churn) can list one socket twice.
         * Rows are the same socket when their cookies match, else (no cookie) their inodes, else (no inode, as
         * in TIME_WAIT) when protocol, family, state and both endpoints match.
         */
        public int dropDuplicates() {
            if (sealed) {
                throw new IllegalStateException("builder already made into a list");
            }
            LongIntMap byCookie = null;
            LongIntMap byInode = null;
            LongIntMap byTuple = null;
            int out = 0;
            for (int i = 0; i < size; i++) {
                long c = cookie == null ? 0 : cookie[i];
                boolean duplicate;
                if (c != 0) {
                    byCookie = byCookie == null ? new LongIntMap(size) : byCookie;
                    duplicate = !byCookie.putIfAbsent(c, out);
                } else if (inode[i] != 0) {
                    byInode = byInode == null ? new LongIntMap(size) : byInode;
                    duplicate = !byInode.putIfAbsent(inode[i], out);
                } else {
                    byTuple = byTuple == null ? new LongIntMap(1024) : byTuple;
                    long key = tupleKey(i);
                    int earlier = byTuple.get(key, -1);
                    duplicate = earlier >= 0 && sameTuple(earlier, i);
                    if (earlier < 0) {
                        byTuple.putIfAbsent(key, out);
                    }
                }
                if (!duplicate) {
                    if (out != i) {
                        move(i, out);
                    }
                    out++;
                }
            }
            int dropped = size - out;
            size = out;
            return dropped;
        }

        private long tupleKey(int i) {
            long h = kind[i] * 0x9E3779B97F4A7C15L + ports[i];
            if ((kind[i] & 2) != 0) {
                h = (h ^ (h >>> 29) ^ localHigh[i]) * 0xBF58476D1CE4E5B9L;
                h = (h ^ (h >>> 31) ^ localLow[i]) * 0x94D049BB133111EBL;
                h = (h ^ (h >>> 29) ^ remoteHigh[i]) * 0xBF58476D1CE4E5B9L;
                h = (h ^ (h >>> 31) ^ remoteLow[i]) * 0x94D049BB133111EBL;
            } else {
                h = (h ^ (h >>> 29) ^ ((long) local4[i] << 32 | (remote4[i] & 0xFFFFFFFFL))) * 0xBF58476D1CE4E5B9L;
            }
            h ^= h >>> 32;
            return h == 0 ? 1 : h;
        }

        private boolean sameTuple(int a, int b) {
            if (kind[a] != kind[b] || ports[a] != ports[b]) {
                return false;
            }
            if ((kind[a] & 2) != 0) {
                return localHigh[a] == localHigh[b] && localLow[a] == localLow[b]
                        && remoteHigh[a] == remoteHigh[b] && remoteLow[a] == remoteLow[b];
            }
            return local4[a] == local4[b] && remote4[a] == remote4[b];
        }

        private void move(int from, int to) {
            kind[to] = kind[from];
            flags[to] = flags[from];
            local4[to] = local4[from];
            remote4[to] = remote4[from];
            if (localHigh != null) {
                localHigh[to] = localHigh[from];
                localLow[to] = localLow[from];
                remoteHigh[to] = remoteHigh[from];
                remoteLow[to] = remoteLow[from];
            }
            ports[to] = ports[from];
            sendQueue[to] = sendQueue[from];
            receiveQueue[to] = receiveQueue[from];
            uid[to] = uid[from];
            inode[to] = inode[from];
            timer[to] = timer[from];
            timerJiffies[to] = timerJiffies[from];
            retransmits[to] = retransmits[from];
            if (cookie != null) {
                cookie[to] = cookie[from];
            }
            if (cgroupId != null) {
                cgroupId[to] = cgroupId[from];
            }
            if (expires != null) {
                expires[to] = expires[from];
            }
            if (info != null) {
                System.arraycopy(info, from * INFO, info, to * INFO, INFO);
            }
            if (netnsRow != null) {
                netnsRow[to] = netnsRow[from];
            }
        }

        private void grow() {
            int n = kind.length + (kind.length >> 1) + 16;
            kind = Arrays.copyOf(kind, n);
            flags = Arrays.copyOf(flags, n);
            local4 = Arrays.copyOf(local4, n);
            remote4 = Arrays.copyOf(remote4, n);
            if (localHigh != null) {
                localHigh = Arrays.copyOf(localHigh, n);
                localLow = Arrays.copyOf(localLow, n);
                remoteHigh = Arrays.copyOf(remoteHigh, n);
                remoteLow = Arrays.copyOf(remoteLow, n);
            }
            ports = Arrays.copyOf(ports, n);
            sendQueue = Arrays.copyOf(sendQueue, n);
            receiveQueue = Arrays.copyOf(receiveQueue, n);
            uid = Arrays.copyOf(uid, n);
            inode = Arrays.copyOf(inode, n);
            timer = Arrays.copyOf(timer, n);
            timerJiffies = Arrays.copyOf(timerJiffies, n);
            retransmits = Arrays.copyOf(retransmits, n);
            if (cookie != null) {
                cookie = Arrays.copyOf(cookie, n);
            }
            if (cgroupId != null) {
                cgroupId = Arrays.copyOf(cgroupId, n);
            }
            if (expires != null) {
                expires = Arrays.copyOf(expires, n);
            }
            if (info != null) {
                info = Arrays.copyOf(info, n * INFO);
            }
            if (netnsRow != null) {
                netnsRow = Arrays.copyOf(netnsRow, n);
            }
        }

        SocketRecord get(int i) {
            return get(i, 0);
        }

        /** Row {@code i}, in namespace {@code segmentNetns} unless the row was given one of its own. */
        SocketRecord get(int i, int segmentNetns) {
            int ns = netnsRow != null && netnsRow[i] >= 0 ? netnsRow[i] : segmentNetns;
            int k = kind[i];
            Protocol protocol = (k & 1) == 0 ? Protocol.TCP : Protocol.UDP;
            boolean v6 = (k & 2) != 0;
            SocketState state = STATES[(k >>> 2) & 0x1F];
            int p = ports[i];
            long u = uid[i] == -1 ? -1 : Integer.toUnsignedLong(uid[i]);
            int f = flags[i];
            int v6Only = (f & 3) - 1;
            long c = cookie == null ? 0 : cookie[i];
            long cg = cgroupId == null ? 0 : cgroupId[i];
            long ex = expires == null ? -1 : expires[i];
            TcpInfo t = null;
            if ((f & 4) != 0) {
                int at = i * INFO;
                t = new TcpInfo(info[at], info[at + 1], info[at + 2], info[at + 3], info[at + 4], info[at + 5]);
            }
            if (v6) {
                return new SocketRecord(protocol, Family.IPV6, state, localHigh[i], localLow[i], p >>> 16,
                        remoteHigh[i], remoteLow[i], p & 0xFFFF, sendQueue[i], receiveQueue[i], u, inode[i],
                        timer[i] & 0xFF, timerJiffies[i], retransmits[i], c, cg, v6Only, ex, t, ns);
            }
            return new SocketRecord(protocol, Family.IPV4, state, 0, local4[i] & 0xFFFFFFFFL, p >>> 16,
                    0, remote4[i] & 0xFFFFFFFFL, p & 0xFFFF, sendQueue[i], receiveQueue[i], u, inode[i],
                    timer[i] & 0xFF, timerJiffies[i], retransmits[i], c, cg, v6Only, ex, t, ns);
        }
    }
}
