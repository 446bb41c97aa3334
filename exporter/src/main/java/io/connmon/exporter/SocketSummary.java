package io.connmon.exporter;

import io.connmon.parser.attribution.Attribution;
import io.connmon.parser.attribution.SocketOwner;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketCursor;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The aggregates the metrics are made of, computed in one pass over a snapshot's sockets (two in the rare case
 * of a listener listed after its connections).
 *
 * <p>A TCP connection is <em>inbound</em> when its local port has a TCP listener, had one recently (see
 * {@link ListenerMemory}) or is in the allow-list, and <em>outbound</em> otherwise; outbound connections are
 * grouped by remote port. A remote port inside the ephemeral range is never an outbound destination of its own
 * (it is a client's random port, seen from a server whose listener is gone) unless configured in
 * {@link MetricsConfig#outboundPorts()}: such connections count in {@code other}.
 */
final class SocketSummary {

    static final int STATES = SocketState.values().length;
    static final String OTHER = "other";

    /** Local ports whose connections are inbound: listening, remembered or named (indexed by port). */
    final boolean[] inboundPort;
    /** Sockets by protocol, family and state ordinal. */
    final long[][][] counts = new long[Protocol.values().length][Family.values().length][STATES];
    /** Queue bytes by protocol, listeners excluded (their columns are accept queue and backlog). */
    final long[] sendQueueBytes = new long[Protocol.values().length];
    final long[] receiveQueueBytes = new long[Protocol.values().length];
    /** Listening sockets by protocol, address and port, the busiest first, capped. */
    final List<Listener> listeners;
    final long listenersDropped;
    /** TCP connections by port (a number or {@code other}) and state ordinal. */
    final Map<String, long[]> inbound;
    final Map<String, long[]> outbound;
    final PortRange ephemeralRange;
    final int ephemeralUsed;
    final int ephemeralMaxPerDestination;
    final Endpoint ephemeralBusiestDestination;
    /** TCP connections (LISTEN excluded) by owning process name and state ordinal; empty without attribution. */
    final Map<String, long[]> byProcess;
    /**
     * Every row of {@link #inbound} and {@link #outbound} before the caps: per port (in the last element), the
     * TCP connections by state ordinal, named ports included; in no particular order.
     */
    final List<long[]> inboundRows;
    final List<long[]> outboundRows;
    /** The TCP sockets in LISTEN, in list order. */
    final List<SocketRecord> tcpListenSockets;

    /**
     * The working arrays of a summary (port indexes of 65,536 ints each way, port bit sets, the destination
     * table), kept from one summary to the next rather than made (and zeroed) anew each time: one set for the
     * process, taken by a summary and given back cleared (the indexes only where it touched them). Two summaries
     * at once (per-namespace families, tests) each get one; one that throws gives nothing back.
     */
    private static final class Scratch {
        private static final java.util.concurrent.atomic.AtomicReference<Scratch> SPARE =
                new java.util.concurrent.atomic.AtomicReference<>();

        final int[] inRow = new int[65536];
        final int[] outRow = new int[65536];
        final long[] used = new long[65536 / 64]; // a bit per port
        final long[] outboundLocal = new long[65536 / 64];
        final Destinations destinations = new Destinations();

        static Scratch take() {
            Scratch s = SPARE.getAndSet(null);
            return s == null ? new Scratch() : s;
        }

        /** Clears the index entries of {@code inRows} and {@code outRows}. */
        void clearRows(List<long[]> inRows, List<long[]> outRows) {
            for (long[] r : inRows) {
                inRow[(int) r[STATES]] = 0;
            }
            for (long[] r : outRows) {
                outRow[(int) r[STATES]] = 0;
            }
        }

        void give(List<long[]> inRows, List<long[]> outRows) {
            clearRows(inRows, outRows);
            java.util.Arrays.fill(used, 0);
            java.util.Arrays.fill(outboundLocal, 0);
            destinations.clear();
            SPARE.set(this);
        }
    }

    /** One listening address:port; several SO_REUSEPORT sockets fold into one. */
    static final class Listener {
        final Protocol protocol;
        final Endpoint local;
        String process;
        long sockets;
        long acceptQueue;
        long backlog;

        Listener(Protocol protocol, Endpoint local) {
            this.protocol = protocol;
            this.local = local;
        }
    }

    SocketSummary(List<SocketRecord> sockets, PortRange ephemeral, MetricsConfig config) {
        this(sockets, ephemeral, config, Attribution.NONE);
    }

    SocketSummary(List<SocketRecord> sockets, PortRange ephemeral, MetricsConfig config, Attribution owners) {
        this(sockets, ephemeral, config, owners, null, null);
    }

    /**
     * @param memory listening ports remembered across snapshots, or {@code null} for none
     * @param now the snapshot's time, for the memory
     */
    SocketSummary(List<SocketRecord> sockets, PortRange ephemeral, MetricsConfig config, Attribution owners,
            ListenerMemory memory, java.time.Instant now) {
        boolean[] listenPort = new boolean[65536];
        Map<Endpoint, Listener> tcpListeners = new LinkedHashMap<>();
        Map<Endpoint, Listener> udpListeners = new LinkedHashMap<>();
        List<SocketRecord> tcpListening = new ArrayList<>();
        // One pass over the sockets. The cursor reads a compact list's columns, each of its reads a call that is
        // not inlined where the daemon runs C1 only, so each column is read once, and a record made for listeners
        // only. The inbound/outbound split wants every listening port first: the remembered and named ones are
        // known before, and a dump lists listeners before connections (sock_diag walks the listening hash first;
        // /proc/net/tcp prints them first), so a connection on a port with no listener yet is taken as outbound.
        // Should a TCP listener come after such a connection (an IPv4 connection to a new dual-stack listener when
        // the families are read one after the other), a second pass splits the connections again.
        if (memory != null) {
            memory.markRemembered(listenPort, now);
        }
        for (int p : config.inboundPorts()) {
            listenPort[p] = true;
        }
        // The port indexes are kept between summaries (see Scratch), and handed back cleared.
        Scratch scratch = Scratch.take();
        long[] used = scratch.used;
        long[] outboundLocal = scratch.outboundLocal; // local ports of connections taken as outbound
        Rows in = new Rows(scratch.inRow);
        Rows out = new Rows(scratch.outRow);
        Destinations perDestination = scratch.destinations;
        boolean ephemeralKnown = ephemeral != null;
        int ephemeralLow = ephemeralKnown ? ephemeral.low() : 0;
        int ephemeralHigh = ephemeralKnown ? ephemeral.high() : -1;
        boolean lateListener = false;
        for (SocketCursor r = SocketCursor.over(sockets); r.next(); ) {
            Protocol protocol = r.protocol();
            Family family = r.family();
            SocketState state = r.state();
            int localPort = r.localPort();
            counts[protocol.ordinal()][family.ordinal()][state.ordinal()]++;
            if (state == SocketState.LISTEN || state == SocketState.UNCONN && localPort != 0) {
                SocketRecord rec = r.record();
                Map<Endpoint, Listener> m = protocol == Protocol.TCP ? tcpListeners : udpListeners;
                Endpoint local = rec.local();
                Listener l = m.get(local);
                if (l == null) { // not computeIfAbsent: its lambda would capture rec, one object per socket
                    l = new Listener(protocol, local);
                    m.put(local, l);
                }
                l.sockets++;
                if (l.process == null && owners.enabled()) {
                    SocketOwner o = owners.ownerOf(rec);
                    l.process = o == null ? null : o.process();
                }
                if (protocol == Protocol.TCP) {
                    if ((outboundLocal[localPort >>> 6] & 1L << localPort) != 0) {
                        lateListener = true;
                    }
                    listenPort[localPort] = true;
                    l.acceptQueue += rec.receiveQueue();
                    l.backlog += rec.sendQueue();
                    if (state == SocketState.LISTEN) {
                        tcpListening.add(rec);
                    }
                } else {
                    l.acceptQueue += rec.receiveQueue();
                }
            } else {
                sendQueueBytes[protocol.ordinal()] += r.sendQueue();
                receiveQueueBytes[protocol.ordinal()] += r.receiveQueue();
            }
            if (protocol != Protocol.TCP) {
                continue;
            }
            boolean ephemeralLocal = localPort >= ephemeralLow && localPort <= ephemeralHigh;
            if (ephemeralLocal) {
                used[localPort >>> 6] |= 1L << localPort;
            }
            if (state == SocketState.LISTEN) {
                continue;
            }
            if (listenPort[localPort]) {
                in.at(localPort)[state.ordinal()]++;
            } else {
                outboundLocal[localPort >>> 6] |= 1L << localPort;
                int port = r.remotePort();
                out.at(port)[state.ordinal()]++;
                if (ephemeralLocal) {
                    long high = family == Family.IPV4 ? 0 : r.remoteHigh();
                    long low = r.remoteLow();
                    perDestination.add(destinationKey(family, high, low, port), high, low, port, r.index());
                }
            }
        }
        if (lateListener) {
            scratch.clearRows(in.list(), out.list());
            perDestination.clear();
            in = new Rows(scratch.inRow);
            out = new Rows(scratch.outRow);
            for (SocketCursor r = SocketCursor.over(sockets); r.next(); ) {
                SocketState state = r.state();
                if (state == SocketState.LISTEN || r.protocol() != Protocol.TCP) {
                    continue;
                }
                int localPort = r.localPort();
                if (listenPort[localPort]) {
                    in.at(localPort)[state.ordinal()]++;
                } else {
                    int port = r.remotePort();
                    out.at(port)[state.ordinal()]++;
                    if (localPort >= ephemeralLow && localPort <= ephemeralHigh) {
                        Family family = r.family();
                        long high = family == Family.IPV4 ? 0 : r.remoteHigh();
                        long low = r.remoteLow();
                        perDestination.add(destinationKey(family, high, low, port), high, low, port, r.index());
                    }
                }
            }
        }
        tcpListenSockets = tcpListening;
        if (memory != null) {
            int[] listening = new int[tcpListeners.size()];
            int n = 0;
            for (Endpoint e : tcpListeners.keySet()) {
                listening[n++] = e.port();
            }
            memory.apply(listenPort, listening, now); // marks no port the remembered ones did not
        }
        inboundPort = listenPort;

        List<Listener> all = new ArrayList<>(tcpListeners.values());
        all.addAll(udpListeners.values());
        if (all.size() > config.listenersMax()) {
            all.sort(Comparator.comparingLong((Listener l) -> -l.acceptQueue)
                    .thenComparing(l -> l.protocol)
                    .thenComparingInt(l -> l.local.port()));
            listenersDropped = all.size() - config.listenersMax();
            all = new ArrayList<>(all.subList(0, config.listenersMax()));
        } else {
            listenersDropped = 0;
        }
        listeners = all;

        // Named ports are always exported, established at 0 when they have no connection, as documented.
        for (int p : config.inboundPorts()) {
            in.at(p);
        }
        for (int p : config.outboundPorts()) {
            out.at(p);
        }
        int usedPorts = 0;
        for (long w : used) {
            usedPorts += Long.bitCount(w);
        }
        ephemeralUsed = usedPorts;
        // The busiest destination: the most ports, ties to the lower address then port (see before).
        int max = 0;
        int busiest = -1; // the index of its last socket
        long busiestKey = 0;
        long busiestHigh = 0;
        long busiestLow = 0;
        int busiestPort = 0;
        for (int i = 0; i < perDestination.keys.length; i++) {
            long key = perDestination.keys[i];
            int n = perDestination.counts[i];
            if (key != 0 && (n > max || n == max
                    && before(key, perDestination.high[i], perDestination.low[i], perDestination.port[i],
                            busiestKey, busiestHigh, busiestLow, busiestPort))) {
                max = n;
                busiest = perDestination.lastIndex[i];
                busiestKey = key;
                busiestHigh = perDestination.high[i];
                busiestLow = perDestination.low[i];
                busiestPort = perDestination.port[i];
            }
        }
        List<long[]> inRows = in.list();
        List<long[]> outRows = out.list();
        scratch.give(inRows, outRows);
        inboundRows = inRows;
        outboundRows = outRows;
        boolean allowList = !config.inboundPorts().isEmpty();
        inbound = capped(inRows, allowList ? 0 : config.inboundPortsMax(),
                allowList ? config.inboundPorts() : null, null);
        java.util.Set<Integer> named = config.outboundPorts();
        outbound = capped(outRows, config.outboundPortsMax(), named.isEmpty() ? null : named,
                ephemeral == null ? null : p -> ephemeral.contains(p) && !named.contains(p));
        ephemeralRange = ephemeral;
        ephemeralMaxPerDestination = max;
        ephemeralBusiestDestination = busiest < 0 ? null : sockets.get(busiest).remote();

        Map<String, long[]> perProcess = new HashMap<>();
        if (owners.enabled()) {
            for (SocketRecord r : sockets) {
                if (r.protocol() == Protocol.TCP && r.state() != SocketState.LISTEN) {
                    SocketOwner o = owners.ownerOf(r);
                    if (o != null) {
                        perProcess.computeIfAbsent(o.process(), k -> new long[STATES])[r.state().ordinal()]++;
                    }
                }
            }
        }
        byProcess = cappedByName(perProcess, config.processesMax());
    }

    private static long destinationKey(Family family, long remoteHigh, long remoteLow, int remotePort) {
        if (family == Family.IPV4) {
            return 1L << 62 | remoteLow << 16 | remotePort;
        }
        long h = remoteHigh * 0x9E3779B97F4A7C15L;
        h = (h ^ (h >>> 29) ^ remoteLow) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 32) ^ remotePort) * 0x94D049BB133111EBL;
        return (h ^ (h >>> 31)) | Long.MIN_VALUE; // never 0, never an IPv4 key
    }

    /**
     * Ties between destinations (by {@link #destinationKey}, address and port) go to the lower address, then port:
     * IPv4 first, unsigned order.
     */
    private static boolean before(long aKey, long ah, long al, int ap, long bKey, long bh, long bl, int bp) {
        boolean a4 = aKey > 0; // an IPv4 key has bit 62 set, an IPv6 one bit 63
        boolean b4 = bKey > 0;
        if (a4 != b4) {
            return a4;
        }
        int c = Long.compareUnsigned(ah, bh);
        if (c == 0) {
            c = Long.compareUnsigned(al, bl);
        }
        return c < 0 || c == 0 && ap < bp;
    }

    /**
     * Ephemeral ports in use per destination: an open-addressing table keyed without allocating by
     * {@link #destinationKey} (an IPv4 destination is its address and port in one long; an IPv6 one a 64-bit mix
     * of its 144 bits, a collision would take billions), with each destination's address, port and last socket.
     */
    static final class Destinations {
        private static final int KEPT = 1 << 12; // slots kept between summaries; a larger table is let go

        long[] keys = new long[256];
        int[] counts = new int[256];
        long[] high = new long[256];
        long[] low = new long[256];
        int[] port = new int[256];
        int[] lastIndex = new int[256];
        private int size;

        /** One more socket towards the destination {@code key} (never 0), the socket at {@code index}. */
        void add(long key, long remoteHigh, long remoteLow, int remotePort, int index) {
            int mask = keys.length - 1;
            int i = (int) (key ^ key >>> 29 ^ key >>> 47) * 0x9E3779B9 >>> 7 & mask;
            while (keys[i] != key) {
                if (keys[i] == 0) {
                    if (2 * (size + 1) > keys.length) {
                        grow();
                        add(key, remoteHigh, remoteLow, remotePort, index);
                        return;
                    }
                    keys[i] = key;
                    high[i] = remoteHigh;
                    low[i] = remoteLow;
                    port[i] = remotePort;
                    size++;
                    break;
                }
                i = i + 1 & mask;
            }
            counts[i]++;
            lastIndex[i] = index;
        }

        private void grow() {
            Destinations bigger = new Destinations(keys.length * 2);
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != 0) {
                    bigger.put(keys[i], counts[i], high[i], low[i], port[i], lastIndex[i]);
                }
            }
            copyFrom(bigger);
        }

        private Destinations(int capacity) {
            resize(capacity);
        }

        Destinations() {
        }

        private void resize(int capacity) {
            keys = new long[capacity];
            counts = new int[capacity];
            high = new long[capacity];
            low = new long[capacity];
            port = new int[capacity];
            lastIndex = new int[capacity];
            size = 0;
        }

        private void put(long key, int count, long h, long l, int p, int last) {
            int mask = keys.length - 1;
            int i = (int) (key ^ key >>> 29 ^ key >>> 47) * 0x9E3779B9 >>> 7 & mask;
            while (keys[i] != 0) {
                i = i + 1 & mask;
            }
            keys[i] = key;
            counts[i] = count;
            high[i] = h;
            low[i] = l;
            port[i] = p;
            lastIndex[i] = last;
            size++;
        }

        private void copyFrom(Destinations o) {
            keys = o.keys;
            counts = o.counts;
            high = o.high;
            low = o.low;
            port = o.port;
            lastIndex = o.lastIndex;
            size = o.size;
        }

        /** Empties the table (the counts only where a key was), back to its first size if it grew large. */
        void clear() {
            if (keys.length > KEPT) {
                resize(256);
                return;
            }
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != 0) {
                    keys[i] = 0;
                    counts[i] = 0;
                }
            }
            size = 0;
        }
    }

    /** Rows of counts by state, one per port (in its last element), found through an index by port. */
    private static final class Rows {
        private final int[] index; // port -> row number + 1, 0 for none
        private long[][] rows = new long[16][];
        private int size;

        Rows(int[] index) {
            this.index = index;
        }

        /** The port's row, made at first use. Small enough for C1 to inline (the call is once per socket). */
        long[] at(int port) {
            int i = index[port];
            return i != 0 ? rows[i - 1] : add(port);
        }

        private long[] add(int port) {
            if (size == rows.length) {
                rows = java.util.Arrays.copyOf(rows, size * 2);
            }
            long[] r = new long[STATES + 1];
            r[STATES] = port;
            rows[size++] = r;
            index[port] = size;
            return r;
        }

        List<long[]> list() {
            return java.util.Arrays.asList(java.util.Arrays.copyOf(rows, size));
        }
    }

    /**
     * Keeps the busiest {@code max} ports, summing the rest into "other". With {@code allowed} and {@code max} 0,
     * exactly the allowed ones; with {@code allowed} and a cap, the allowed ones always and the busiest others up
     * to the cap. Ports {@code never} accepts always go to "other".
     */
    private static Map<String, long[]> capped(List<long[]> rows, int max, java.util.Set<Integer> allowed,
            java.util.function.IntPredicate never) {
        List<long[]> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingLong(SocketSummary::total).reversed()
                .thenComparingLong(r -> r[STATES]));
        Map<String, long[]> out = new LinkedHashMap<>();
        long[] other = null;
        int kept = 0;
        for (long[] r : sorted) {
            int port = (int) r[STATES];
            boolean always = allowed != null && allowed.contains(port);
            boolean keep = always || kept < max && (never == null || !never.test(port));
            if (keep) {
                out.put(Integer.toString(port), r);
                if (!always) {
                    kept++;
                }
            } else {
                if (other == null) {
                    other = new long[STATES + 1];
                }
                for (int s = 0; s < STATES; s++) {
                    other[s] += r[s];
                }
            }
        }
        if (other != null) {
            out.put(OTHER, other);
        }
        return out;
    }

    /** Keeps the {@code max} names with the most sockets, summing the rest into "other". */
    private static Map<String, long[]> cappedByName(Map<String, long[]> rows, int max) {
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(rows.entrySet());
        sorted.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -sum(e.getValue()))
                .thenComparing(Map.Entry::getKey));
        Map<String, long[]> out = new LinkedHashMap<>();
        long[] other = null;
        for (Map.Entry<String, long[]> e : sorted) {
            if (out.size() < max && !e.getKey().equals(OTHER)) {
                out.put(e.getKey(), e.getValue());
            } else {
                if (other == null) {
                    other = new long[STATES];
                }
                for (int s = 0; s < STATES; s++) {
                    other[s] += e.getValue()[s];
                }
            }
        }
        if (other != null) {
            out.put(OTHER, other);
        }
        return out;
    }

    private static long sum(long[] row) {
        long t = 0;
        for (long v : row) {
            t += v;
        }
        return t;
    }

    private static long total(long[] row) {
        long t = 0;
        for (int s = 0; s < STATES; s++) {
            t += row[s];
        }
        return t;
    }
}
