package io.connmon.parser.model;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An immutable list of sockets stored as columns of primitives, handing out {@link SocketRecord} values on
 * {@link #get(int)}.
 *
 * <p>A host with 300,000 sockets holds two tables while a collection runs (the one served and the one being
 * read). As objects a socket costs about 125 bytes; here an IPv4 one from sock_diag costs about 40 and an IPv6
 * one 72, with no per-socket object for the collector to trace. The records a reader or renderer gets are
 * short-lived values; {@link SocketCursor} reads the columns without them.
 *
 * <p>A source that collects again and again can build each table in the columns of one nobody reads any more
 * ({@link ColumnSpares}): its holders say when they are done ({@link #retain}, {@link #release}), and the list is
 * immutable until then.
 *
 * <pre>{@code
 * CompactSocketList.Builder b = new CompactSocketList.Builder(1024);
 * reader.read("net/tcp", channel, parser, b);     // the builder is the reader's sink
 * List<SocketRecord> sockets = CompactSocketList.of(List.of(b));
 * }</pre>
 */
public final class CompactSocketList extends AbstractList<SocketRecord> implements RandomAccess {

    private static final SocketState[] STATES = SocketState.values();
    // shared by every empty table: it counts no holders, or one release would spoil it for all
    private static final CompactSocketList EMPTY = new CompactSocketList(new Builder[0], new int[0], false);

    private final Builder[] segments;
    private final int[] starts;
    private final int[] netns; // per segment: the namespace index its rows carry (unless a row has its own)
    private final int size;
    // holders of a list that owns its builders' columns (made by of()); at 0 the columns go back to their spares
    private final AtomicInteger holders;

    private CompactSocketList(Builder[] segments) {
        this(segments, new int[segments.length], true);
    }

    private CompactSocketList(Builder[] segments, int[] netns) {
        this(segments, netns, false);
    }

    private CompactSocketList(Builder[] segments, int[] netns, boolean owner) {
        this.segments = segments;
        this.holders = owner ? new AtomicInteger(1) : null;
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
            b.sealed = true;
            if (b.size > 0) {
                kept.add(b);
            } else if (b.spares != null) {
                b.recycleLoose(); // nothing to read: its columns go back at once
            }
        }
        return kept.isEmpty() ? EMPTY : new CompactSocketList(kept.toArray(new Builder[0]));
    }

    /**
     * One more holder of this list: until it calls {@link #release}, the columns stay as they are. A list made by
     * {@link #of} has one holder, its maker, to begin with; other lists (views, {@link #concat}) do not count.
     *
     * @return false when the list was released by its last holder already (its columns may be another list's by
     *     now): the caller must not read it
     */
    public boolean retain() {
        if (holders == null) {
            return true;
        }
        for (int h = holders.get(); h > 0; h = holders.get()) {
            if (holders.compareAndSet(h, h + 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A holder is done with this list. When the last one is, builders made with {@link ColumnSpares} give their
     * columns back for the next table; reading the list after that fails (it does not answer with another
     * table's rows). Views and {@link #concat} lists do not count holders: releasing one does nothing.
     */
    public void release() {
        if (holders == null) {
            return;
        }
        for (int h = holders.get(); h > 0; h = holders.get()) {
            if (holders.compareAndSet(h, h - 1)) {
                if (h == 1) {
                    recycle();
                }
                return;
            }
        }
    }

    private void recycle() {
        ColumnSpares spares = null;
        List<Object> arrays = new ArrayList<>();
        for (Builder b : segments) {
            if (b.spares != null) {
                spares = b.spares;
                b.giveBack(arrays);
            }
        }
        if (spares != null) {
            spares.giveTable(arrays);
        }
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

    /** A cursor over the columns, before the first socket; see {@link SocketCursor#over}. */
    SocketCursor cursor() {
        return new Cursor();
    }

    private final class Cursor extends SocketCursor {
        private int seg;
        private int row = -1;
        private int index = -1;
        private Builder b = segments.length > 0 ? segments[0] : null;

        @Override
        public boolean next() {
            if (b == null) {
                return false;
            }
            if (++row >= b.size) {
                if (++seg >= segments.length) {
                    b = null;
                    return false;
                }
                b = segments[seg];
                row = 0;
            }
            index++;
            return true;
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public Protocol protocol() {
            return (b.kind[row] & 1) == 0 ? Protocol.TCP : Protocol.UDP;
        }

        @Override
        public Family family() {
            return (b.kind[row] & 2) == 0 ? Family.IPV4 : Family.IPV6;
        }

        @Override
        public SocketState state() {
            return STATES[(b.kind[row] >>> 2) & 0x1F];
        }

        @Override
        public int localPort() {
            return b.ports[row] >>> 16;
        }

        @Override
        public int remotePort() {
            return b.ports[row] & 0xFFFF;
        }

        @Override
        public long remoteHigh() {
            return (b.kind[row] & 2) == 0 ? 0 : b.remoteHigh[row];
        }

        @Override
        public long remoteLow() {
            return (b.kind[row] & 2) == 0 ? b.remote4[row] & 0xFFFFFFFFL : b.remoteLow[row];
        }

        @Override
        public long sendQueue() {
            return b.sendQueue.get(row);
        }

        @Override
        public long receiveQueue() {
            return b.receiveQueue.get(row);
        }

        @Override
        public SocketRecord record() {
            return b.get(row);
        }
    }

    /**
     * Collects sockets into columns; it is a {@code Consumer<SocketRecord>}, so a reader can fill it directly,
     * and a binary source appends primitives with {@link #append} without making a record per socket.
     * Rows of any protocol and family may be mixed; IPv4 rows keep their addresses in ints. Inode, timer and
     * cookie are kept in 32 bits a row while every value of a column fits (the kernel's fields are 32 bits but
     * for the cookie, kept as an offset from the first), and widen to 64 bits at the first value that does not;
     * queues, expiry, uid, cgroup id and retransmits, which mostly take few distinct values (most connections
     * have empty queues and no timer), are kept as one-byte codes into a table of up to 256 values (then as a
     * 32/64-bit column). The columns only sock_diag fills (cookie,
     * cgroup id, expiry, tcp_info) are allocated with the first row that has them, and a timer in clock ticks
     * that is the expiry in milliseconds divided by 10 (as sock_diag's are) is not stored twice.
     */
    public static final class Builder implements Consumer<SocketRecord> {
        private static final int INFO = 6; // longs per row of tcp_info
        private static final int JIFFIES_DERIVED = 8; // flags bit: timerJiffies is expires / 10

        private final ColumnSpares spares; // null: columns are allocated, and left to the garbage collector
        private int size;
        private boolean sealed;
        private byte[] kind; // protocol bit 0, family bit 1, state ordinal bits 2..6
        private byte[] flags; // v6only + 1 in bits 0..1 (0 unknown), tcp_info present bit 2, JIFFIES_DERIVED
        private int[] local4;
        private int[] remote4;
        private long[] localHigh; // allocated with the first IPv6 row
        private long[] localLow;
        private long[] remoteHigh;
        private long[] remoteLow;
        private int[] ports; // local << 16 | remote
        private final Dict sendQueue; // most queues are empty: a byte a row while they take few values
        private final Dict receiveQueue;
        private final Dict uid; // -1 unknown
        private final Column inode;
        private byte[] timer;
        private Column timerJiffies; // allocated with the first row whose ticks are not expires / 10
        private final Dict retransmits;
        private Column cookie; // allocated with the first row that has one; 0 unknown
        private Dict cgroupId; // likewise
        private Dict expires; // likewise; -1 unknown (0 without a timer, as most connections are)
        private long[] info; // INFO longs per row, allocated with the first tcp_info
        private boolean rttOnly; // tcp_info keeps the RTT alone, in rtt
        private Column rtt; // with rttOnly: microseconds, allocated with the first tcp_info
        private int[] netnsRow; // a row's own namespace index, allocated with the first record that has one
        private LongSet cookiesSeen; // with dropRepeatedCookies: every cookie appended so far
        private int droppedOnAppend; // rows refused by append for a cookie seen before
        private boolean fullPassNeeded; // a row without a cookie, or a repeat from before cookies were tracked

        /** A builder with room for {@code expected} sockets before it grows. */
        public Builder(int expected) {
            this(expected, null);
        }

        /**
         * A builder with room for at least {@code expected} sockets ({@link ColumnSpares#sizeClass}) that takes
         * its columns from {@code spares} where it has arrays of their length; the list made of it gives them
         * back when it is {@link CompactSocketList#release released}.
         */
        public Builder(int expected, ColumnSpares spares) {
            this.spares = spares;
            int n = spares == null ? Math.max(16, expected) : ColumnSpares.sizeClass(expected);
            kind = bytes(n);
            flags = bytes(n);
            local4 = ints(n);
            remote4 = ints(n);
            ports = ints(n);
            sendQueue = new Dict(bytes(n));
            receiveQueue = new Dict(bytes(n));
            uid = new Dict(bytes(n));
            inode = new Column(ints(n), 0);
            timer = bytes(n);
            retransmits = new Dict(bytes(n));
        }

        private byte[] bytes(int n) {
            return spares == null ? new byte[n] : spares.bytes(n);
        }

        private int[] ints(int n) {
            return spares == null ? new int[n] : spares.ints(n);
        }

        private long[] longs(int n) {
            return spares == null ? new long[n] : spares.longs(n);
        }

        /**
         * Puts every column array into {@code out} and forgets them: reading this builder afterwards fails.
         * Called once, when the list made of it is released (or at once, for an empty builder).
         */
        private void giveBack(List<Object> out) {
            Object[] arrays = {kind, flags, local4, remote4, localHigh, localLow, remoteHigh, remoteLow, ports, timer,
                    info, netnsRow};
            for (Object a : arrays) {
                if (a != null) {
                    out.add(a);
                }
            }
            for (Column c : new Column[] {inode, timerJiffies, cookie, rtt}) {
                if (c != null) {
                    c.giveBack(out);
                }
            }
            for (Dict d : new Dict[] {sendQueue, receiveQueue, uid, retransmits, cgroupId, expires}) {
                if (d != null) {
                    d.giveBack(out);
                }
            }
            if (cookiesSeen != null) {
                out.add(cookiesSeen.slots);
                cookiesSeen = null;
            }
            kind = null;
            flags = null;
            local4 = null;
            remote4 = null;
            localHigh = null;
            localLow = null;
            remoteHigh = null;
            remoteLow = null;
            ports = null;
            timer = null;
            info = null;
            netnsRow = null;
        }

        /** Gives the columns of a builder that no list holds back to the spares, as loose arrays. */
        private void recycleLoose() {
            List<Object> arrays = new ArrayList<>();
            giveBack(arrays);
            for (Object a : arrays) {
                spares.giveLoose(a);
            }
        }

        /**
         * From now on until {@link #dropDuplicates}, {@link #append} refuses a row whose cookie it has appended
         * before (returning -1), so a source that knows every socket's cookie deduplicates while it reads, on the
         * thread that parses, instead of in a pass of its own afterwards; {@link #dropDuplicates} then has nothing
         * left to do but report them.
         */
        public Builder dropRepeatedCookies() {
            if (cookiesSeen == null) {
                cookiesSeen = new LongSet(LongSet.capacity(kind.length), spares);
                for (int i = 0; i < size; i++) {
                    long c = cookie == null ? 0 : cookie.get(i);
                    if (c == 0 || !cookiesSeen.add(c)) {
                        fullPassNeeded = true; // rows appended before: dropDuplicates looks at every row
                    }
                }
            }
            return this;
        }

        /**
         * From now on, tcp_info keeps the RTT alone (4 bytes a row instead of 48; the other fields read as
         * unknown, -1): for a caller that reads nothing else of it, as an RTT sample. Call before any tcp_info.
         */
        public Builder keepRttOnly() {
            if (info != null) {
                throw new IllegalStateException("tcp_info already kept whole");
            }
            rttOnly = true;
            return this;
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
            n += rtt == null ? 0 : 8;
            return n;
        }

        @Override
        public void accept(SocketRecord r) {
            int i = append(r.protocol(), r.family(), r.state(), r.localHigh(), r.localLow(), r.localPort(),
                    r.remoteHigh(), r.remoteLow(), r.remotePort(), r.sendQueue(), r.receiveQueue(), r.uid(),
                    r.inode(), r.timerActive(), r.timerJiffies(), r.retransmits(), r.cookie(), r.cgroupId(),
                    r.v6Only(), r.expiresMillis());
            if (i < 0) {
                return; // a repeat, refused
            }
            TcpInfo t = r.tcpInfo();
            if (t != null) {
                setTcpInfo(i, t.rttMicros(), t.rttVarMicros(), t.retransmits(), t.bytesAcked(), t.bytesReceived(),
                        t.deliveryRate());
            }
            if (r.netns() != 0 || netnsRow != null) {
                if (netnsRow == null) {
                    netnsRow = ints(kind.length);
                    Arrays.fill(netnsRow, 0, i, -1);
                }
                netnsRow[i] = r.netns();
            }
        }

        /**
         * Appends one socket from primitives, the fields as {@link SocketRecord} holds them (an IPv4 address in
         * the low 32 bits of {@code localLow}/{@code remoteLow}, {@code localHigh}/{@code remoteHigh} 0).
         *
         * @return the row's index, for {@link #setTcpInfo}; -1 when the row was refused as a repeat (see
         *     {@link #dropRepeatedCookies})
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
            if (cookiesSeen != null) {
                if (cookie == 0) {
                    fullPassNeeded = true;
                } else if (!cookiesSeen.add(cookie)) {
                    droppedOnAppend++;
                    return -1;
                }
            }
            if (size == kind.length) {
                grow();
            }
            int i = size++;
            kind[i] = (byte) ((protocol == Protocol.UDP ? 1 : 0) | (v6 ? 2 : 0) | state.ordinal() << 2);
            flags[i] = (byte) (v6Only < 0 || v6Only > 1 ? 0 : v6Only + 1);
            if (v6) {
                if (this.localHigh == null) {
                    this.localHigh = longs(kind.length);
                    this.localLow = longs(kind.length);
                    this.remoteHigh = longs(kind.length);
                    this.remoteLow = longs(kind.length);
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
            this.sendQueue.set(i, sendQueue);
            this.receiveQueue.set(i, receiveQueue);
            this.uid.set(i, uid < 0 || uid > 0xFFFFFFFEL ? -1 : uid);
            this.inode.set(i, inode);
            timer[i] = (byte) timerActive;
            this.retransmits.set(i, retransmits);
            if (cookie != 0 || this.cookie != null) {
                if (this.cookie == null) {
                    this.cookie = new Column(ints(kind.length), cookie);
                    this.cookie.fill(0, i, 0);
                }
                this.cookie.set(i, cookie);
            }
            if (cgroupId != 0 || this.cgroupId != null) {
                if (this.cgroupId == null) {
                    this.cgroupId = new Dict(bytes(kind.length));
                    this.cgroupId.fill(0, i, 0);
                }
                this.cgroupId.set(i, cgroupId);
            }
            if (expiresMillis != -1 || expires != null) {
                if (expires == null) {
                    expires = new Dict(bytes(kind.length));
                    expires.fill(0, i, -1);
                }
                expires.set(i, expiresMillis);
            }
            if (expiresMillis >= 0 && timerJiffies == expiresMillis / 10) {
                flags[i] |= JIFFIES_DERIVED;
            } else {
                if (this.timerJiffies == null) {
                    this.timerJiffies = new Column(ints(kind.length), 0); // rows before it derive theirs
                }
                this.timerJiffies.set(i, timerJiffies);
            }
            return i;
        }

        /** Attaches tcp_info figures (see {@link TcpInfo}; -1 for a field the kernel did not send) to row {@code row}. */
        public void setTcpInfo(int row, long rttMicros, long rttVarMicros, long retransmits, long bytesAcked,
                long bytesReceived, long deliveryRate) {
            if (row < 0 || row >= size || sealed) {
                throw new IllegalArgumentException("no open row " + row);
            }
            if (rttOnly) {
                if (rtt == null) {
                    rtt = new Column(ints(kind.length), 0);
                }
                rtt.set(row, rttMicros);
                flags[row] |= 4;
                return;
            }
            if (info == null) {
                info = longs(kind.length * INFO);
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
            boolean tracked = cookiesSeen != null && !fullPassNeeded;
            if (cookiesSeen != null && spares != null) {
                spares.giveLoose(cookiesSeen.slots); // for the next dump's set
            }
            cookiesSeen = null; // tracking ends here, and the set is garbage
            fullPassNeeded = false;
            if (tracked) {
                int dropped = droppedOnAppend; // every row has a cookie, and append kept each cookie once
                droppedOnAppend = 0;
                return dropped;
            }
            LongSet byCookie = null;
            LongSet byInode = null;
            LongIntMap byTuple = null;
            int out = 0;
            for (int i = 0; i < size; i++) {
                long c = cookie == null ? 0 : cookie.get(i);
                long ino;
                boolean duplicate;
                if (c != 0) {
                    byCookie = byCookie == null ? new LongSet(size) : byCookie;
                    duplicate = !byCookie.add(c);
                } else if ((ino = inode.get(i)) != 0) {
                    byInode = byInode == null ? new LongSet(size) : byInode;
                    duplicate = !byInode.add(ino);
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
            int dropped = size - out + droppedOnAppend;
            droppedOnAppend = 0;
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
            sendQueue.move(from, to);
            receiveQueue.move(from, to);
            uid.move(from, to);
            inode.move(from, to);
            timer[to] = timer[from];
            if (timerJiffies != null) {
                timerJiffies.move(from, to);
            }
            retransmits.move(from, to);
            if (cookie != null) {
                cookie.move(from, to);
            }
            if (cgroupId != null) {
                cgroupId.move(from, to);
            }
            if (expires != null) {
                expires.move(from, to);
            }
            if (info != null) {
                System.arraycopy(info, from * INFO, info, to * INFO, INFO);
            }
            if (rtt != null) {
                rtt.move(from, to);
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
            sendQueue.grow(n);
            receiveQueue.grow(n);
            uid.grow(n);
            inode.grow(n);
            timer = Arrays.copyOf(timer, n);
            if (timerJiffies != null) {
                timerJiffies.grow(n);
            }
            retransmits.grow(n);
            if (cookie != null) {
                cookie.grow(n);
            }
            if (cgroupId != null) {
                cgroupId.grow(n);
            }
            if (expires != null) {
                expires.grow(n);
            }
            if (info != null) {
                info = Arrays.copyOf(info, n * INFO);
            }
            if (rtt != null) {
                rtt.grow(n);
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
            long u = uid.get(i);
            int f = flags[i];
            int v6Only = (f & 3) - 1;
            long c = cookie == null ? 0 : cookie.get(i);
            long cg = cgroupId == null ? 0 : cgroupId.get(i);
            long ex = expires == null ? -1 : expires.get(i);
            long tj = (f & JIFFIES_DERIVED) != 0 ? ex / 10 : timerJiffies.get(i);
            TcpInfo t = null;
            if ((f & 4) != 0 && rtt != null) {
                t = new TcpInfo(rtt.get(i), -1, -1, -1, -1, -1);
            } else if ((f & 4) != 0) {
                int at = i * INFO;
                t = new TcpInfo(info[at], info[at + 1], info[at + 2], info[at + 3], info[at + 4], info[at + 5]);
            }
            if (v6) {
                return new SocketRecord(protocol, Family.IPV6, state, localHigh[i], localLow[i], p >>> 16,
                        remoteHigh[i], remoteLow[i], p & 0xFFFF, sendQueue.get(i), receiveQueue.get(i), u,
                        inode.get(i), timer[i] & 0xFF, tj, retransmits.get(i), c, cg, v6Only, ex, t, ns);
            }
            return new SocketRecord(protocol, Family.IPV4, state, 0, local4[i] & 0xFFFFFFFFL, p >>> 16,
                    0, remote4[i] & 0xFFFFFFFFL, p & 0xFFFF, sendQueue.get(i), receiveQueue.get(i), u,
                    inode.get(i), timer[i] & 0xFF, tj, retransmits.get(i), c, cg, v6Only, ex, t, ns);
        }
    }

    /**
     * A column of longs kept as 32-bit offsets from a base while every value fits, widened to 64 bits at the
     * first value that does not.
     */
    static final class Column {
        private final long base;
        private int[] narrow;
        private long[] wide;

        Column(int capacity, long base) {
            this(new int[capacity], base);
        }

        /** A column in {@code narrow}, which must be all zeros. */
        Column(int[] narrow, long base) {
            this.base = base;
            this.narrow = narrow;
        }

        void giveBack(List<Object> out) {
            out.add(wide != null ? wide : narrow);
            wide = null;
            narrow = null;
        }

        long get(int i) {
            return wide != null ? wide[i] : base + narrow[i];
        }

        void set(int i, long v) {
            if (wide != null) {
                wide[i] = v;
                return;
            }
            long d = v - base;
            if (d == (int) d && ((v ^ base) >= 0 || (d ^ v) >= 0)) { // no overflow in v - base
                narrow[i] = (int) d;
            } else {
                widen();
                wide[i] = v;
            }
        }

        void fill(int from, int to, long v) {
            for (int i = from; i < to; i++) {
                set(i, v);
            }
        }

        void move(int from, int to) {
            if (wide != null) {
                wide[to] = wide[from];
            } else {
                narrow[to] = narrow[from];
            }
        }

        void grow(int n) {
            if (wide != null) {
                wide = Arrays.copyOf(wide, n);
            } else {
                narrow = Arrays.copyOf(narrow, n);
            }
        }

        private void widen() {
            long[] w = new long[narrow.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = base + narrow[i];
            }
            wide = w;
            narrow = null;
        }
    }

    /**
     * A column of few distinct longs (uids, cgroup ids, retransmit counts): one byte a row, a code into a table
     * of up to 256 values; at the 257th distinct value it becomes a {@link Column}.
     */
    static final class Dict {
        private static final int SLOTS = 512; // hash slots for at most 256 values: always a free one
        private byte[] codes;
        private final long[] table = new long[256];
        private int count;
        private final long[] slotKeys = new long[SLOTS];
        private final short[] slotCodes = new short[SLOTS]; // code + 1; 0 free
        private Column column; // after 256 distinct values

        Dict(int capacity) {
            this(new byte[capacity]);
        }

        /** A column in {@code codes}, which must be all zeros. */
        Dict(byte[] codes) {
            this.codes = codes;
        }

        void giveBack(List<Object> out) {
            if (column != null) {
                column.giveBack(out);
            } else {
                out.add(codes);
                codes = null;
            }
        }

        long get(int i) {
            return column != null ? column.get(i) : table[codes[i] & 0xFF];
        }

        void set(int i, long v) {
            if (column == null) {
                int code = code(v);
                if (code >= 0) {
                    codes[i] = (byte) code;
                    return;
                }
                widen();
            }
            column.set(i, v);
        }

        private int code(long v) {
            long h = v * 0x9E3779B97F4A7C15L;
            for (int s = (int) (h >>> 55) & (SLOTS - 1); ; s = (s + 1) & (SLOTS - 1)) {
                int c = slotCodes[s];
                if (c == 0) {
                    if (count == table.length) {
                        return -1;
                    }
                    table[count] = v;
                    slotKeys[s] = v;
                    slotCodes[s] = (short) (count + 1);
                    return count++;
                }
                if (slotKeys[s] == v) {
                    return c - 1;
                }
            }
        }

        void fill(int from, int to, long v) {
            for (int i = from; i < to; i++) {
                set(i, v);
            }
        }

        void move(int from, int to) {
            if (column != null) {
                column.move(from, to);
            } else {
                codes[to] = codes[from];
            }
        }

        void grow(int n) {
            if (column != null) {
                column.grow(n);
            } else {
                codes = Arrays.copyOf(codes, n);
            }
        }

        private void widen() {
            Column c = new Column(codes.length, 0);
            for (int i = 0; i < codes.length; i++) {
                c.set(i, table[codes[i] & 0xFF]);
            }
            column = c;
            codes = null;
        }
    }

    /**
     * A set of non-zero longs (cookies, inodes) for finding duplicates: open addressing, 8 bytes a slot, doubled
     * when it is three quarters full (100,000 keys in 1 MiB).
     */
    static final class LongSet {
        private long[] slots;
        private int mask;
        private int size;

        /** A set with room for about {@code expected} keys before it grows. */
        LongSet(int expected) {
            this(capacity(expected), null);
        }

        /** A set of {@code slots} slots (a power of two), taken from {@code spares} where it has them. */
        LongSet(int slots, ColumnSpares spares) {
            this.slots = spares == null ? new long[slots] : spares.longs(slots);
            mask = slots - 1;
        }

        /** The power of two that holds {@code expected} keys at most three quarters full. */
        static int capacity(int expected) {
            long want = Math.max(16L, (long) expected * 4 / 3 + 1);
            return (int) Math.min(1L << 30, Long.highestOneBit(want - 1) << 1);
        }


        /** Adds {@code key} (not 0); false when it was there already. */
        boolean add(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            for (int i = (int) (h ^ (h >>> 32)) & mask; ; i = (i + 1) & mask) {
                long k = slots[i];
                if (k == key) {
                    return false;
                }
                if (k == 0) {
                    slots[i] = key;
                    if (++size > slots.length - (slots.length >>> 2)) {
                        grow();
                    }
                    return true;
                }
            }
        }

        private void grow() {
            long[] old = slots;
            slots = new long[old.length << 1];
            mask = slots.length - 1;
            for (long key : old) {
                if (key != 0) {
                    long h = key * 0x9E3779B97F4A7C15L;
                    int i = (int) (h ^ (h >>> 32)) & mask;
                    while (slots[i] != 0) {
                        i = (i + 1) & mask;
                    }
                    slots[i] = key;
                }
            }
        }
    }
}
