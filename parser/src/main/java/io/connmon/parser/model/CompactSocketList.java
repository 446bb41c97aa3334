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
    private final int size;

    private CompactSocketList(Builder[] segments) {
        this.segments = segments;
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

    @Override
    public SocketRecord get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + size);
        }
        int s = segments.length - 1;
        while (starts[s] > index) {
            s--;
        }
        return segments[s].get(index - starts[s]);
    }

    /**
     * Collects sockets into columns; it is a {@code Consumer<SocketRecord>}, so a reader can fill it directly.
     * Rows of any protocol and family may be mixed; IPv4 rows keep their addresses in ints.
     */
    public static final class Builder implements Consumer<SocketRecord> {
        private int size;
        private boolean sealed;
        private byte[] kind; // protocol bit 0, family bit 1, state ordinal bits 2..6
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

        /** A builder with room for {@code expected} sockets before it grows. */
        public Builder(int expected) {
            int n = Math.max(16, expected);
            kind = new byte[n];
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

        @Override
        public void accept(SocketRecord r) {
            if (sealed) {
                throw new IllegalStateException("builder already made into a list");
            }
            if (size == kind.length) {
                grow();
            }
            int i = size++;
            boolean v6 = r.family() == Family.IPV6;
            kind[i] = (byte) ((r.protocol() == Protocol.UDP ? 1 : 0) | (v6 ? 2 : 0) | r.state().ordinal() << 2);
            if (v6) {
                if (localHigh == null) {
                    localHigh = new long[kind.length];
                    localLow = new long[kind.length];
                    remoteHigh = new long[kind.length];
                    remoteLow = new long[kind.length];
                }
                localHigh[i] = r.localHigh();
                localLow[i] = r.localLow();
                remoteHigh[i] = r.remoteHigh();
                remoteLow[i] = r.remoteLow();
            } else {
                local4[i] = (int) r.localLow();
                remote4[i] = (int) r.remoteLow();
            }
            ports[i] = r.localPort() << 16 | r.remotePort();
            sendQueue[i] = r.sendQueue();
            receiveQueue[i] = r.receiveQueue();
            uid[i] = r.uid() < 0 || r.uid() > 0xFFFFFFFEL ? -1 : (int) r.uid();
            inode[i] = r.inode();
            timer[i] = (byte) r.timerActive();
            timerJiffies[i] = r.timerJiffies();
            retransmits[i] = r.retransmits();
        }

        private void grow() {
            int n = kind.length + (kind.length >> 1) + 16;
            kind = Arrays.copyOf(kind, n);
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
        }

        SocketRecord get(int i) {
            int k = kind[i];
            Protocol protocol = (k & 1) == 0 ? Protocol.TCP : Protocol.UDP;
            boolean v6 = (k & 2) != 0;
            SocketState state = STATES[(k >>> 2) & 0x1F];
            int p = ports[i];
            long u = uid[i] == -1 ? -1 : Integer.toUnsignedLong(uid[i]);
            if (v6) {
                return new SocketRecord(protocol, Family.IPV6, state, localHigh[i], localLow[i], p >>> 16,
                        remoteHigh[i], remoteLow[i], p & 0xFFFF, sendQueue[i], receiveQueue[i], u, inode[i],
                        timer[i] & 0xFF, timerJiffies[i], retransmits[i]);
            }
            return new SocketRecord(protocol, Family.IPV4, state, 0, local4[i] & 0xFFFFFFFFL, p >>> 16,
                    0, remote4[i] & 0xFFFFFFFFL, p & 0xFFFF, sendQueue[i], receiveQueue[i], u, inode[i],
                    timer[i] & 0xFF, timerJiffies[i], retransmits[i]);
        }
    }
}
