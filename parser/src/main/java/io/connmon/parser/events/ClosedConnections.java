package io.connmon.parser.events;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;

import java.util.ArrayList;
import java.util.List;

/**
 * The TCP connections that closed, as destroy events report them: running totals per direction and port, and
 * a ring of the last ones. Written by one thread (the subscription's) with no object per event: totals live in
 * preallocated {@code long} slots found through a port index, the ring in parallel primitive arrays. Readers copy
 * under the same short lock.
 *
 * <p>Keys are (direction, port); port 0 of a direction stands for "other": outbound connections to a remote
 * port folded by {@link #foldedOutboundPorts(boolean[])}, and the events of new keys once {@link #MAX_KEYS}
 * exist.
 *
 * <p>A connection is <em>inbound</em> when its local port is in the inbound set the exporter last published
 * ({@link #inboundPorts(boolean[])}: ports with a listener, remembered or named), else <em>outbound</em>, keyed by
 * its remote port: the classification of the per-port gauges, applied when the event arrives. An event without a
 * remote port (a listener closing, or a connection this host reset, whose remote port the kernel clears before
 * freeing it) has no direction or port and is only counted in {@link #withoutPeer()}.
 *
 * <pre>{@code
 * ClosedConnections closed = new ClosedConnections(1000);
 * closed.inboundPorts(listening);                 // after each collection
 * ClosedConnections.Totals t = closed.totals();   // at each collection
 * }</pre>
 */
public final class ClosedConnections {

    /** Direction index of inbound keys. */
    public static final int INBOUND = 0;
    /** Direction index of outbound keys. */
    public static final int OUTBOUND = 1;

    /** Upper bounds of the RTT-at-close histogram, in microseconds (0.1 ms .. 1 s); +Inf follows. */
    public static final long[] RTT_BOUNDS_MICROS = {100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000,
        100_000, 250_000, 500_000, 1_000_000};

    /** Fields of one slot. */
    public static final int CLOSED = 0;
    public static final int BYTES_SENT = 1;
    public static final int BYTES_RECEIVED = 2;
    public static final int RETRANSMITS = 3;
    public static final int RTT_SUM_MICROS = 4;
    public static final int RTT_COUNT = 5;
    /** First of {@code RTT_BOUNDS_MICROS.length + 1} non-cumulative bucket counts. */
    public static final int RTT_BUCKETS = 6;
    public static final int FIELDS = RTT_BUCKETS + RTT_BOUNDS_MICROS.length + 1;

    private static final int KEYS = 2 * 65536;
    /** Distinct keys kept apart at most; events of further keys sum into their direction's port 0 ("other"). */
    public static final int MAX_KEYS = 8192;

    private final int[] slotOf = new int[KEYS]; // key -> slot + 1; 0 for none
    private int[] keyOf = new int[64];
    private long[] slots = new long[64 * FIELDS];
    private int used;

    private final int ringSize;
    private final long[] rTime;
    private final long[] rLocalHigh;
    private final long[] rLocalLow;
    private final long[] rRemoteHigh;
    private final long[] rRemoteLow;
    private final int[] rPorts; // local << 16 | remote
    private final byte[] rFlags; // bit 0: IPv6, bit 1: inbound
    private final long[] rCookie;
    private final long[] rSent;
    private final long[] rReceived;
    private final long[] rRetrans;
    private final long[] rRtt;
    private long ringWritten;

    private volatile boolean[] inbound = new boolean[65536];
    private volatile boolean[] foldOutbound = new boolean[65536];
    private long withoutPeer;
    private long malformed;

    /** @param ringSize how many of the last closed connections to keep (0: none) */
    public ClosedConnections(int ringSize) {
        if (ringSize < 0) {
            throw new IllegalArgumentException("ring size must be 0 or more, not " + ringSize);
        }
        this.ringSize = ringSize;
        rTime = new long[ringSize];
        rLocalHigh = new long[ringSize];
        rLocalLow = new long[ringSize];
        rRemoteHigh = new long[ringSize];
        rRemoteLow = new long[ringSize];
        rPorts = new int[ringSize];
        rFlags = new byte[ringSize];
        rCookie = new long[ringSize];
        rSent = new long[ringSize];
        rReceived = new long[ringSize];
        rRetrans = new long[ringSize];
        rRtt = new long[ringSize];
    }

    /** The ring's capacity. */
    public int ringSize() {
        return ringSize;
    }

    /**
     * Publishes the local ports whose connections are inbound from now on (a copy is kept). Called by the
     * exporter after each collection, with the same set the per-port gauges used.
     */
    public void inboundPorts(boolean[] ports) {
        if (ports.length != 65536) {
            throw new IllegalArgumentException("expected 65536 ports, got " + ports.length);
        }
        inbound = ports.clone();
    }

    /**
     * Publishes the remote ports whose outbound connections are summed under port 0 (the exporter's "other")
     * from now on: the ephemeral range but the named ports, which are never outbound series of their own. Keeps
     * the number of keys down to real destinations.
     */
    public void foldedOutboundPorts(boolean[] ports) {
        if (ports.length != 65536) {
            throw new IllegalArgumentException("expected 65536 ports, got " + ports.length);
        }
        foldOutbound = ports.clone();
    }

    /** The key of a connection: direction * 65536 + port. */
    public static int key(int direction, int port) {
        return direction << 16 | port;
    }

    /**
     * Records one closed connection. Addresses as two longs each (an IPv4 address in the low 32 bits of
     * {@code low}); a tcp_info figure the kernel did not send is -1.
     */
    public synchronized void closed(long nowMillis, Family family, long localHigh, long localLow, int localPort,
            long remoteHigh, long remoteLow, int remotePort, long cookie, long bytesSent, long bytesReceived,
            long retransmits, long rttMicros) {
        if (remotePort == 0) {
            withoutPeer++;
            return;
        }
        boolean in = inbound[localPort];
        int key = key(in ? INBOUND : OUTBOUND, in ? localPort : foldOutbound[remotePort] ? 0 : remotePort);
        int base = slot(key) * FIELDS;
        long[] s = slots;
        s[base + CLOSED]++;
        if (bytesSent >= 0) {
            s[base + BYTES_SENT] += bytesSent;
        }
        if (bytesReceived >= 0) {
            s[base + BYTES_RECEIVED] += bytesReceived;
        }
        if (retransmits >= 0) {
            s[base + RETRANSMITS] += retransmits;
        }
        if (rttMicros >= 0) {
            s[base + RTT_SUM_MICROS] += rttMicros;
            s[base + RTT_COUNT]++;
            s[base + RTT_BUCKETS + bucket(rttMicros)]++;
        }
        if (ringSize > 0) {
            int i = (int) (ringWritten % ringSize);
            rTime[i] = nowMillis;
            rLocalHigh[i] = localHigh;
            rLocalLow[i] = localLow;
            rRemoteHigh[i] = remoteHigh;
            rRemoteLow[i] = remoteLow;
            rPorts[i] = localPort << 16 | remotePort;
            rFlags[i] = (byte) ((family == Family.IPV6 ? 1 : 0) | (in ? 2 : 0));
            rCookie[i] = cookie;
            rSent[i] = bytesSent;
            rReceived[i] = bytesReceived;
            rRetrans[i] = retransmits;
            rRtt[i] = rttMicros;
        }
        ringWritten++;
    }

    /** Counts a destroy message that could not be parsed. */
    public synchronized void malformed() {
        malformed++;
    }

    /** Destroy messages that could not be parsed (truncated, unknown family). */
    public synchronized long malformedMessages() {
        return malformed;
    }

    /** Destroy events without a remote port: listeners closing, and connections this host aborted (a close with SO_LINGER 0 or unread data resets the socket and clears its remote port before it is freed), whose direction and port cannot be known. */
    public synchronized long withoutPeer() {
        return withoutPeer;
    }

    /** Connections recorded since the start. */
    public synchronized long total() {
        return ringWritten;
    }

    static int bucket(long rttMicros) {
        for (int b = 0; b < RTT_BOUNDS_MICROS.length; b++) {
            if (rttMicros <= RTT_BOUNDS_MICROS[b]) {
                return b;
            }
        }
        return RTT_BOUNDS_MICROS.length;
    }

    private int slot(int key) {
        int s = slotOf[key];
        if (s != 0) {
            return s - 1;
        }
        if (used >= MAX_KEYS - 2 && (key & 0xFFFF) != 0) {
            return slot(key & ~0xFFFF); // full: the direction's port 0, which always has room
        }
        if (used == keyOf.length) {
            keyOf = java.util.Arrays.copyOf(keyOf, used * 2);
            slots = java.util.Arrays.copyOf(slots, used * 2 * FIELDS);
        }
        keyOf[used] = key;
        slotOf[key] = ++used;
        return used - 1;
    }

    /** A copy of the running totals. */
    public synchronized Totals totals() {
        return new Totals(java.util.Arrays.copyOf(keyOf, used), java.util.Arrays.copyOf(slots, used * FIELDS));
    }

    /**
     * Running totals since the start, per key ({@link #key(int, int)}), each {@link #FIELDS} longs.
     *
     * @param keys the keys, in the order slots were made
     * @param values {@code keys.length * FIELDS} values
     */
    public record Totals(int[] keys, long[] values) {
        /** The value of {@code field} for the key at {@code index}. */
        public long get(int index, int field) {
            return values[index * FIELDS + field];
        }
    }

    /** The last closed connections, newest first, at most {@code max}. */
    public synchronized List<ClosedConnection> last(int max) {
        int n = (int) Math.min(Math.min(ringWritten, ringSize), Math.max(max, 0));
        List<ClosedConnection> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            int i = (int) ((ringWritten - 1 - k) % ringSize);
            boolean v6 = (rFlags[i] & 1) != 0;
            Family f = v6 ? Family.IPV6 : Family.IPV4;
            out.add(new ClosedConnection(rTime[i], endpoint(f, rLocalHigh[i], rLocalLow[i], rPorts[i] >>> 16),
                    endpoint(f, rRemoteHigh[i], rRemoteLow[i], rPorts[i] & 0xFFFF), (rFlags[i] & 2) != 0,
                    rCookie[i], rSent[i], rReceived[i], rRetrans[i], rRtt[i]));
        }
        return out;
    }

    private static Endpoint endpoint(Family f, long high, long low, int port) {
        return new Endpoint(f, high, low, port);
    }
}
