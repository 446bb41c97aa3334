package io.connmon.exporter;

import io.connmon.parser.attribution.SocketOwner;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;
import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Connections over time, per direction and port: opened and closed counters, and what the closed ones carried
 * (bytes, retransmits, RTT at close) from their destroy events; listener changes between collections.
 *
 * <p>Advanced once per snapshot, by {@link SocketMetrics} with the {@link SocketSummary} of the per-port gauges,
 * so that the counters use their classification (inbound: the local port has, had within 10 minutes, or is
 * named as having a listener; else outbound by remote port), their port selection (a port the gauges export
 * one by one is a counter series too) and their caps (a port the gauges do not export gets a series of its own
 * while fewer than the cap do, else it counts in {@code port="other"}; a remote port in the ephemeral range is
 * never an outbound series unless named). A series the gauges no longer export and that stays idle for
 * {@link #IDLE} is dropped (a later one starts again from 0, which {@code rate()} reads as a reset).
 *
 * <p>Opened is exact: per key, the closes since the last snapshot plus the live connections now minus those of
 * the last snapshot. Live means in the dump and not yet closed as far as events go: TIME_WAIT (the connection's
 * socket is freed, and its event sent, on entering it) and NEW_SYN_RECV (not a connection yet) are left out.
 * A negative figure (an event that arrived after the dump that no longer listed its connection, a connection
 * reset by this host whose event carries no port) is clamped to 0 and counted in
 * {@code connmon_connections_opened_inconsistencies_total}.
 */
final class ConnectionEventMetrics {

    /** How long a counter series the gauges no longer export is kept without activity. */
    static final Duration IDLE = ListenerMemory.DEFAULT;

    private static final String[] DIRECTIONS = {"inbound", "outbound"};
    private static final String UP_HELP = "1 if connmon receives the kernel's connection destroy events (the "
            + "connmon_connections_* counters exist); 0 if it does not (the reason is logged once) or not now (a "
            + "failed subscription reopening).";
    private static final double[] RTT_BOUNDS_SECONDS;

    static {
        long[] micros = ClosedConnections.RTT_BOUNDS_MICROS;
        RTT_BOUNDS_SECONDS = new double[micros.length + 1];
        for (int i = 0; i < micros.length; i++) {
            RTT_BOUNDS_SECONDS[i] = micros[i] / 1e6;
        }
        RTT_BOUNDS_SECONDS[micros.length] = Double.POSITIVE_INFINITY;
    }

    private final ConnectionEvents events;
    private final Consumer<String> log;

    // State between snapshots; guarded by this.
    private long[] liveThen; // key << 32 | live connections, by key, the keys with none left out
    private boolean[] fold; // foldedOutbound of foldRange and foldNamed
    private ClosedConnections publishedTo; // the feed inboundThen and foldPublished were last given to
    private boolean[] foldPublished;
    private Map<Endpoint, String> listenerKeys = Map.of(); // "tcp " + endpoint of the last snapshot's listeners
    private PortRange foldRange;
    private Set<Integer> foldNamed;
    private long[] closedThen = new long[0]; // by slot of ClosedConnections.Totals: fields of each slot
    private final Map<String, Series>[] series = newSeriesMaps();
    private long inconsistencies;
    private Map<String, String> listenersThen; // "tcp 127.0.0.1:80" -> process or null
    private final long[] listenerChanges = new long[2]; // appeared, disappeared
    private boolean reasonLogged;
    private boolean[] inboundThen; // the inbound ports of the last snapshot, for RTT samples
    private Map<String, long[]>[] liveRtt; // the last RTT sample: label -> buckets, then sum in micros, then count

    /** One counter series: what the label set has accumulated. */
    static final class Series {
        long opened;
        final long[] closed = new long[ClosedConnections.FIELDS];
        long lastActiveMillis;
    }

    ConnectionEventMetrics(ConnectionEvents events, Consumer<String> log) {
        this.events = events;
        this.log = log;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Series>[] newSeriesMaps() {
        return new Map[] {new LinkedHashMap<>(), new LinkedHashMap<>()};
    }

    /** The feed, for the closed-connection listing. */
    ConnectionEvents events() {
        return events;
    }

    /** Advances to snapshot {@code s} and returns the families. Called once per snapshot. */
    synchronized List<MetricSnapshot> families(Snapshot s, SocketSummary sum, MetricsConfig config) {
        List<MetricSnapshot> out = new ArrayList<>();
        listenerChanges(s, sum, out);
        ClosedConnections closed = events.closed();
        if (closed == null) {
            if (!reasonLogged) {
                log.accept("connections over time unavailable: " + events.unavailableReason()
                        + " (connmon_connections_opened_total, _closed_total and the closed list are absent)");
                reasonLogged = true;
            }
            out.add(gauge("connmon_events_up", UP_HELP, 0));
            return out;
        }
        boolean[] fold = foldedOutboundCached(s.stats().ephemeralPorts(), config.outboundPorts());
        // Published (each a 64 KiB copy) when they differ from what this feed was last given.
        if (closed != publishedTo || inboundThen == null || !java.util.Arrays.equals(sum.inboundPort, inboundThen)) {
            closed.inboundPorts(sum.inboundPort);
        }
        if (closed != publishedTo || fold != foldPublished) {
            closed.foldedOutboundPorts(fold);
            foldPublished = fold;
        }
        publishedTo = closed;
        inboundThen = sum.inboundPort;
        advance(s, sum, config, closed, fold);
        render(out, closed);
        return out;
    }

    /** Remote ports never an outbound series of their own: the ephemeral range but the named ports. */
    static boolean[] foldedOutbound(PortRange ephemeral, Set<Integer> named) {
        boolean[] fold = new boolean[65536];
        if (ephemeral != null) {
            java.util.Arrays.fill(fold, ephemeral.low(), ephemeral.high() + 1, true);
            for (int p : named) {
                fold[p] = false;
            }
        }
        return fold;
    }

    /** As {@link #foldedOutbound}, made again only when the range or the named ports change (never written). */
    private boolean[] foldedOutboundCached(PortRange ephemeral, Set<Integer> named) {
        if (fold == null || !java.util.Objects.equals(ephemeral, foldRange) || !named.equals(foldNamed)) {
            fold = foldedOutbound(ephemeral, named);
            foldRange = ephemeral;
            foldNamed = named;
        }
        return fold;
    }

    /**
     * The live connections of {@code sum} by key, ascending, as {@code key << 32 | count}, keys with none left
     * out: the per-port rows of the gauges, TIME_WAIT and NEW_SYN_RECV taken out (LISTEN is in no row), folded
     * outbound ports summed under port 0.
     */
    static long[] liveByKey(SocketSummary sum, boolean[] fold) {
        long[] out = new long[sum.inboundRows.size() + sum.outboundRows.size() + 1];
        int n = 0;
        for (long[] row : sum.inboundRows) {
            long live = live(row);
            if (live > 0) {
                out[n++] = (long) ClosedConnections.key(ClosedConnections.INBOUND, (int) row[SocketSummary.STATES])
                        << 32 | live;
            }
        }
        long folded = 0;
        for (long[] row : sum.outboundRows) {
            int port = (int) row[SocketSummary.STATES];
            long live = live(row);
            if (fold[port] || port == 0) {
                folded += live;
            } else if (live > 0) {
                out[n++] = (long) ClosedConnections.key(ClosedConnections.OUTBOUND, port) << 32 | live;
            }
        }
        if (folded > 0) {
            out[n++] = (long) ClosedConnections.key(ClosedConnections.OUTBOUND, 0) << 32 | folded;
        }
        long[] live = java.util.Arrays.copyOf(out, n);
        java.util.Arrays.sort(live);
        return live;
    }

    private static long live(long[] row) {
        long n = 0;
        for (int st = 0; st < SocketSummary.STATES; st++) {
            n += row[st];
        }
        return n - row[SocketState.TIME_WAIT.ordinal()] - row[SocketState.NEW_SYN_RECV.ordinal()];
    }

    private static final long NO_KEY = Long.MAX_VALUE;

    private static long keyAt(long[] sorted, int i) {
        return i < sorted.length ? sorted[i] >>> 32 : NO_KEY;
    }

    private void advance(Snapshot s, SocketSummary sum, MetricsConfig config, ClosedConnections closed,
            boolean[] fold) {
        long now = s.timestamp().toEpochMilli();
        // The live connections per key come from the gauges' per-port rows (no pass over the sockets), a few
        // hundred keys rather than an array of all 2 x 65536 of them.
        long[] liveNow = liveByKey(sum, fold);
        ClosedConnections.Totals totals = closed.totals();
        int fields = ClosedConnections.FIELDS;
        long[] values = totals.values();
        if (liveThen == null) { // the first snapshot: the baseline, nothing counted yet
            liveThen = liveNow;
            closedThen = values;
            return;
        }
        long[] slotsByKey = new long[totals.keys().length]; // key << 32 | slot, ascending
        for (int i = 0; i < slotsByKey.length; i++) {
            slotsByKey[i] = (long) totals.keys()[i] << 32 | i;
        }
        java.util.Arrays.sort(slotsByKey);
        int[][] exported = {selected(sum.inbound), selected(sum.outbound)};
        PortRange ephemeral = s.stats().ephemeralPorts();
        Set<Integer> named = config.outboundPorts();
        long[] delta = new long[fields];
        // The keys in ascending order, as they come in any of the three: live now, live then, closed.
        int iNow = 0;
        int iThen = 0;
        int iSlot = 0;
        while (true) {
            long key = Math.min(keyAt(liveNow, iNow), Math.min(keyAt(liveThen, iThen), keyAt(slotsByKey, iSlot)));
            if (key == NO_KEY) {
                break;
            }
            long liveNowKey = 0;
            long liveThenKey = 0;
            if (keyAt(liveNow, iNow) == key) {
                liveNowKey = liveNow[iNow++] & 0xFFFFFFFFL;
            }
            if (keyAt(liveThen, iThen) == key) {
                liveThenKey = liveThen[iThen++] & 0xFFFFFFFFL;
            }
            boolean anyClosed = false;
            if (keyAt(slotsByKey, iSlot) == key) {
                int base = (int) slotsByKey[iSlot++] * fields;
                for (int f = 0; f < fields; f++) {
                    long before = base + f < closedThen.length ? closedThen[base + f] : 0;
                    delta[f] = values[base + f] - before;
                }
                anyClosed = delta[ClosedConnections.CLOSED] > 0;
            }
            if (!anyClosed && liveNowKey == liveThenKey) {
                continue;
            }
            long opened = (anyClosed ? delta[ClosedConnections.CLOSED] : 0) + liveNowKey - liveThenKey;
            if (opened < 0) {
                inconsistencies++;
                opened = 0;
            }
            int direction = (int) (key >>> 16);
            int port = (int) (key & 0xFFFF);
            String label = label(direction, port, exported[direction], config, ephemeral, named);
            Series se = series[direction].computeIfAbsent(label, k -> new Series());
            se.opened += opened;
            if (anyClosed) {
                for (int f = 0; f < fields; f++) {
                    se.closed[f] += delta[f];
                }
            }
            if (opened > 0 || anyClosed) {
                se.lastActiveMillis = now;
            }
        }
        // Series the gauges export are present even when idle, as the gauges are.
        for (int d = 0; d < 2; d++) {
            for (int p : exported[d]) {
                series[d].computeIfAbsent(Integer.toString(p), k -> new Series()).lastActiveMillis = now;
            }
            series[d].values().removeIf(x -> now - x.lastActiveMillis > IDLE.toMillis());
        }
        liveThen = liveNow;
        closedThen = values;
    }

    /**
     * Keeps the RTT of the established TCP connections of {@code s} (a collection with tcp_info) per direction
     * and port, for {@code connmon_connections_rtt_seconds}: the counters' classification and labels (a port
     * without a counter series counts in {@code other}). Sockets without tcp_info are left out.
     */
    void sampleRtt(Snapshot s) {
        RttSample sample = startRttSample();
        if (sample != null) {
            sample.add(s, null);
            publish(sample);
        }
    }

    /** An RTT sample to take in parts (one collection per family, say), or {@code null} before the first snapshot. */
    synchronized RttSample startRttSample() {
        return inboundThen == null ? null : new RttSample();
    }

    /** Makes {@code sample} the one {@code connmon_connections_rtt_seconds} shows. */
    synchronized void publish(RttSample sample) {
        liveRtt = sample.byLabel;
    }

    /** RTT histograms by direction and label, added to part by part. */
    final class RttSample {
        @SuppressWarnings("unchecked")
        private final Map<String, long[]>[] byLabel = new Map[] {new LinkedHashMap<>(), new LinkedHashMap<>()};

        private RttSample() {
        }

        /** Adds the established TCP connections of {@code s} with tcp_info, of {@code family} only unless null. */
        void add(Snapshot s, Family family) {
            synchronized (ConnectionEventMetrics.this) {
                int buckets = RTT_BOUNDS_SECONDS.length;
                for (SocketRecord r : s.sockets()) {
                    if (r.protocol() != Protocol.TCP || r.state() != SocketState.ESTABLISHED || r.tcpInfo() == null
                            || r.tcpInfo().rttMicros() < 0 || family != null && r.family() != family) {
                        continue;
                    }
                    boolean in = inboundThen[r.localPort()];
                    int d = in ? ClosedConnections.INBOUND : ClosedConnections.OUTBOUND;
                    String p = Integer.toString(in ? r.localPort() : r.remotePort());
                    String label = series[d].containsKey(p) ? p : SocketSummary.OTHER;
                    long[] h = byLabel[d].computeIfAbsent(label, k -> new long[buckets + 2]);
                    long rtt = r.tcpInfo().rttMicros();
                    h[bucketOf(rtt)]++;
                    h[buckets] += rtt;
                    h[buckets + 1]++;
                }
            }
        }
    }

    private static int bucketOf(long micros) {
        long[] bounds = ClosedConnections.RTT_BOUNDS_MICROS;
        for (int b = 0; b < bounds.length; b++) {
            if (micros <= bounds[b]) {
                return b;
            }
        }
        return bounds.length;
    }

    /** The label of a key, following the gauges' selection (see the class comment). */
    private String label(int direction, int port, int[] exported, MetricsConfig config, PortRange ephemeral,
            Set<Integer> named) {
        if (port == 0) {
            return SocketSummary.OTHER; // folded: see ClosedConnections
        }
        String p = Integer.toString(port);
        if (java.util.Arrays.binarySearch(exported, port) >= 0) {
            return p;
        }
        if (direction == ClosedConnections.INBOUND && !config.inboundPorts().isEmpty()) {
            return SocketSummary.OTHER; // an allow-list: exactly the named ports
        }
        if (direction == ClosedConnections.OUTBOUND && ephemeral != null && ephemeral.contains(port)
                && !named.contains(port)) {
            return SocketSummary.OTHER; // a client's random port, never a series
        }
        if (series[direction].containsKey(p)) {
            return p;
        }
        int cap = direction == ClosedConnections.INBOUND ? config.inboundPortsMax() : config.outboundPortsMax();
        int own = 0;
        for (String k : series[direction].keySet()) {
            if (!k.equals(SocketSummary.OTHER) && java.util.Arrays.binarySearch(exported, Integer.parseInt(k)) < 0) {
                own++;
            }
        }
        return own < cap ? p : SocketSummary.OTHER;
    }

    /** The ports {@code rows} exports one by one, ascending. */
    private static int[] selected(Map<String, long[]> rows) {
        int[] ports = new int[rows.size()];
        int n = 0;
        for (Map.Entry<String, long[]> e : rows.entrySet()) {
            if (!e.getKey().equals(SocketSummary.OTHER)) {
                ports[n++] = (int) e.getValue()[SocketSummary.STATES];
            }
        }
        ports = java.util.Arrays.copyOf(ports, n);
        java.util.Arrays.sort(ports);
        return ports;
    }

    private void render(List<MetricSnapshot> out, ClosedConnections closed) {
        CounterSnapshot.Builder opened = CounterSnapshot.builder().name("connmon_connections_opened")
                .help("TCP connections opened, by direction (inbound: to a local port with a listener; outbound: "
                        + "by remote port) and port: closed since the last collection plus live now minus live then.");
        CounterSnapshot.Builder closedC = CounterSnapshot.builder().name("connmon_connections_closed")
                .help("TCP connections closed (the kernel's destroy events), by direction and port.");
        CounterSnapshot.Builder sent = CounterSnapshot.builder().name("connmon_connections_closed_sent_bytes")
                .unit(Unit.BYTES).help("Bytes sent over TCP connections that closed, as the peer acknowledged them "
                        + "(final tcpi_bytes_acked; SYN and FIN count one each), by direction and port.");
        CounterSnapshot.Builder received = CounterSnapshot.builder().name("connmon_connections_closed_received_bytes")
                .unit(Unit.BYTES).help("Bytes received over TCP connections that closed (final "
                        + "tcpi_bytes_received), by direction and port.");
        CounterSnapshot.Builder retrans = CounterSnapshot.builder()
                .name("connmon_connections_closed_retransmitted_segments")
                .help("Segments retransmitted over TCP connections that closed (final tcpi_total_retrans), by "
                        + "direction and port.");
        HistogramSnapshot.Builder rtt = HistogramSnapshot.builder().name("connmon_connections_closed_rtt_seconds")
                .unit(Unit.SECONDS).help("Smoothed round-trip time of TCP connections when they closed (final "
                        + "tcpi_rtt), by direction and port.");
        for (int d = 0; d < 2; d++) {
            Map<String, Series> sorted = new TreeMap<>(SocketSummaryOrder.PORTS);
            sorted.putAll(series[d]);
            for (Map.Entry<String, Series> e : sorted.entrySet()) {
                Labels labels = Labels.of("direction", DIRECTIONS[d], "port", e.getKey());
                Series se = e.getValue();
                opened.dataPoint(counter(se.opened, labels));
                closedC.dataPoint(counter(se.closed[ClosedConnections.CLOSED], labels));
                sent.dataPoint(counter(se.closed[ClosedConnections.BYTES_SENT], labels));
                received.dataPoint(counter(se.closed[ClosedConnections.BYTES_RECEIVED], labels));
                retrans.dataPoint(counter(se.closed[ClosedConnections.RETRANSMITS], labels));
                long[] buckets = new long[RTT_BOUNDS_SECONDS.length];
                System.arraycopy(se.closed, ClosedConnections.RTT_BUCKETS, buckets, 0, buckets.length);
                rtt.dataPoint(HistogramDataPointSnapshot.builder().labels(labels)
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(RTT_BOUNDS_SECONDS, buckets))
                        .sum(se.closed[ClosedConnections.RTT_SUM_MICROS] / 1e6).build());
            }
        }
        out.add(opened.build());
        out.add(closedC.build());
        out.add(sent.build());
        out.add(received.build());
        out.add(retrans.build());
        out.add(rtt.build());
        if (liveRtt != null) {
            HistogramSnapshot.Builder live = HistogramSnapshot.builder().name("connmon_connections_rtt_seconds")
                    .unit(Unit.SECONDS).gaugeHistogram(true).help("Smoothed RTT (tcpi_rtt) of the established TCP "
                            + "connections at the last tcp_info sample (--tcp-info-interval), by direction and port: "
                            + "a distribution now, not a count over time.");
            for (int d = 0; d < 2; d++) {
                Map<String, long[]> sorted = new TreeMap<>(SocketSummaryOrder.PORTS);
                sorted.putAll(liveRtt[d]);
                for (Map.Entry<String, long[]> e : sorted.entrySet()) {
                    long[] h = e.getValue();
                    long[] counts = java.util.Arrays.copyOf(h, RTT_BOUNDS_SECONDS.length);
                    live.dataPoint(HistogramDataPointSnapshot.builder()
                            .labels(Labels.of("direction", DIRECTIONS[d], "port", e.getKey()))
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(RTT_BOUNDS_SECONDS, counts))
                            .sum(h[RTT_BOUNDS_SECONDS.length] / 1e6).build());
                }
            }
            out.add(live.build());
        }
        out.add(CounterSnapshot.builder().name("connmon_connections_opened_inconsistencies")
                .help("Times a port's opened count came out negative (an event that arrived after the dump, a "
                        + "connection reset by this host whose event carries no port) and was clamped to 0.")
                .dataPoint(counter(inconsistencies, Labels.EMPTY)).build());
        out.add(CounterSnapshot.builder().name("connmon_connections_closed_without_peer")
                .help("Destroy events without a remote port: listeners closing, and connections this host reset "
                        + "(the kernel clears the port first); not in connmon_connections_closed_total.")
                .dataPoint(counter(closed.withoutPeer(), Labels.EMPTY)).build());
        out.add(CounterSnapshot.builder().name("connmon_events_lost")
                .help("Connection destroy events the kernel could not deliver (connmon's receive buffer was full): "
                        + "the closed and opened counters miss that many.")
                .dataPoint(counter(events.lost(), Labels.EMPTY)).build());
        out.add(CounterSnapshot.builder().name("connmon_events_malformed")
                .help("Destroy event messages that could not be parsed, skipped.")
                .dataPoint(counter(closed.malformedMessages(), Labels.EMPTY)).build());
        out.add(CounterSnapshot.builder().name("connmon_events_failures")
                .help("Times the destroy event subscription failed and was reopened; events in between are "
                        + "unknown.").dataPoint(counter(events.failures(), Labels.EMPTY)).build());
        out.add(gauge("connmon_events_up", UP_HELP, events.receiving() ? 1 : 0));
    }

    /** Compares the snapshot's listeners with the last snapshot's, logs and counts each change. */
    private void listenerChanges(Snapshot s, SocketSummary sum, List<MetricSnapshot> out) {
        Map<String, String> now = new HashMap<>();
        boolean attributing = s.attribution().enabled();
        // TCP only: bound unconnected UDP sockets come and go with every DNS lookup of a resolver
        Map<Endpoint, String> keys = new HashMap<>();
        for (SocketRecord r : sum.tcpListenSockets) { // the summary's: no pass over the sockets
            Endpoint local = r.local();
            String key = listenerKeys.get(local); // the same listeners from one snapshot to the next
            if (key == null) {
                key = "tcp " + local;
            }
            keys.put(local, key);
            if (!now.containsKey(key) || now.get(key) == null) {
                SocketOwner o = attributing ? s.attribution().ownerOf(r) : null;
                now.put(key, o == null ? null : o.process());
            }
        }
        if (listenersThen != null) {
            for (Map.Entry<String, String> e : now.entrySet()) {
                if (!listenersThen.containsKey(e.getKey())) {
                    listenerChanges[0]++;
                    log.accept("listener appeared: " + e.getKey() + process(e.getValue(), attributing));
                }
            }
            for (Map.Entry<String, String> e : listenersThen.entrySet()) {
                if (!now.containsKey(e.getKey())) {
                    listenerChanges[1]++;
                    log.accept("listener disappeared: " + e.getKey() + process(e.getValue(), attributing));
                }
            }
        }
        listenersThen = now;
        listenerKeys = keys;
        out.add(CounterSnapshot.builder().name("connmon_listener_changes")
                .help("TCP listeners (by address and port) that appeared or disappeared between two collections, "
                        + "each also logged as one line.")
                .dataPoint(counter(listenerChanges[0], Labels.of("change", "appeared")))
                .dataPoint(counter(listenerChanges[1], Labels.of("change", "disappeared"))).build());
    }

    private static String process(String name, boolean attributing) {
        return !attributing ? "" : " process " + (name == null ? "unknown" : name);
    }

    private static CounterDataPointSnapshot counter(long v, Labels labels) {
        return CounterDataPointSnapshot.builder().value(v).labels(labels).build();
    }

    private static MetricSnapshot gauge(String name, String help, double v) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().value(v).build()).build();
    }

    /** Port labels in numeric order, "other" last. */
    private static final class SocketSummaryOrder {
        static final java.util.Comparator<String> PORTS = (a, b) -> {
            boolean ao = a.equals(SocketSummary.OTHER);
            boolean bo = b.equals(SocketSummary.OTHER);
            if (ao || bo) {
                return ao == bo ? 0 : ao ? 1 : -1;
            }
            return Integer.compare(Integer.parseInt(a), Integer.parseInt(b));
        };
    }
}
