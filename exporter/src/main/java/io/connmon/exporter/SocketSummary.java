package io.connmon.exporter;

import io.connmon.parser.attribution.Attribution;
import io.connmon.parser.attribution.SocketOwner;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.LongIntMap;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketCursor;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The aggregates the metrics are made of, computed in one pass over a snapshot's sockets.
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
        // The cursor reads a compact list's columns: no record per socket but for listeners.
        for (SocketCursor c = SocketCursor.over(sockets); c.next(); ) {
            Protocol protocol = c.protocol();
            SocketState state = c.state();
            counts[protocol.ordinal()][c.family().ordinal()][state.ordinal()]++;
            boolean listening = state == SocketState.LISTEN
                    || state == SocketState.UNCONN && c.localPort() != 0;
            if (listening) {
                SocketRecord r = c.record();
                Map<Endpoint, Listener> m = r.protocol() == Protocol.TCP ? tcpListeners : udpListeners;
                Listener l = m.computeIfAbsent(r.local(), e -> new Listener(r.protocol(), e));
                l.sockets++;
                if (l.process == null && owners.enabled()) {
                    SocketOwner o = owners.ownerOf(r);
                    l.process = o == null ? null : o.process();
                }
                if (r.protocol() == Protocol.TCP) {
                    listenPort[r.localPort()] = true;
                    l.acceptQueue += r.receiveQueue();
                    l.backlog += r.sendQueue();
                } else {
                    l.acceptQueue += r.receiveQueue();
                }
            } else {
                sendQueueBytes[protocol.ordinal()] += c.sendQueue();
                receiveQueueBytes[protocol.ordinal()] += c.receiveQueue();
            }
        }
        if (memory != null) {
            memory.apply(listenPort, now);
        }
        for (int p : config.inboundPorts()) {
            listenPort[p] = true;
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

        // Inbound and outbound TCP connections by port; ephemeral port use.
        int[] inRow = new int[65536];
        int[] outRow = new int[65536];
        List<long[]> inRows = new ArrayList<>();
        List<long[]> outRows = new ArrayList<>();
        BitSet used = new BitSet(65536);
        // Ephemeral ports in use per destination, keyed without allocating: an IPv4 destination is its address
        // and port in one long; an IPv6 one a 64-bit mix of its 144 bits (a collision would take billions).
        LongIntMap perDestination = new LongIntMap(1024);
        int max = 0;
        int busiest = -1; // its index; its remote end in the locals below
        Family busiestFamily = null;
        long busiestHigh = 0;
        long busiestLow = 0;
        int busiestPort = 0;
        for (SocketCursor r = SocketCursor.over(sockets); r.next(); ) {
            if (r.protocol() != Protocol.TCP) {
                continue;
            }
            int localPort = r.localPort();
            if (ephemeral != null && ephemeral.contains(localPort)) {
                used.set(localPort);
            }
            SocketState state = r.state();
            if (state == SocketState.LISTEN) {
                continue;
            }
            if (listenPort[localPort]) {
                row(inRow, inRows, localPort)[state.ordinal()]++;
            } else {
                row(outRow, outRows, r.remotePort())[state.ordinal()]++;
                if (ephemeral != null && ephemeral.contains(localPort)) {
                    Family family = r.family();
                    long high = r.remoteHigh();
                    long low = r.remoteLow();
                    int port = r.remotePort();
                    int n = perDestination.increment(destinationKey(family, high, low, port));
                    if (n > max || n == max && (busiest < 0
                            || before(family, high, low, port, busiestFamily, busiestHigh, busiestLow, busiestPort))) {
                        max = n;
                        busiest = r.index();
                        busiestFamily = family;
                        busiestHigh = high;
                        busiestLow = low;
                        busiestPort = port;
                    }
                }
            }
        }
        // Named ports are always exported, established at 0 when they have no connection, as documented.
        for (int p : config.inboundPorts()) {
            row(inRow, inRows, p);
        }
        for (int p : config.outboundPorts()) {
            row(outRow, outRows, p);
        }
        boolean allowList = !config.inboundPorts().isEmpty();
        inbound = capped(inRows, allowList ? 0 : config.inboundPortsMax(),
                allowList ? config.inboundPorts() : null, null);
        java.util.Set<Integer> named = config.outboundPorts();
        outbound = capped(outRows, config.outboundPortsMax(), named.isEmpty() ? null : named,
                ephemeral == null ? null : p -> ephemeral.contains(p) && !named.contains(p));
        ephemeralRange = ephemeral;
        ephemeralUsed = used.cardinality();
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

    /** Ties between destinations go to the lower address, then port: IPv4 first, unsigned order. */
    private static boolean before(Family af, long ah, long al, int ap, Family bf, long bh, long bl, int bp) {
        if (af != bf) {
            return af == Family.IPV4;
        }
        int c = Long.compareUnsigned(ah, bh);
        if (c == 0) {
            c = Long.compareUnsigned(al, bl);
        }
        return c < 0 || c == 0 && ap < bp;
    }

    private static long[] row(int[] index, List<long[]> rows, int port) {
        int i = index[port];
        if (i == 0) {
            long[] r = new long[STATES + 1];
            r[STATES] = port;
            rows.add(r);
            index[port] = rows.size();
            return r;
        }
        return rows.get(i - 1);
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
