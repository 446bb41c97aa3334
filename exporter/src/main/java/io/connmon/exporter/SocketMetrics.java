package io.connmon.exporter;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The socket metrics, built from the latest {@link Snapshot} at each scrape.
 *
 * <p>A client_java {@link MultiCollector} rather than Micrometer gauges: the label sets (ports, listeners) come
 * and go with the data, and building fresh families from the snapshot at scrape time means a series whose
 * socket went away simply stops appearing, with nothing left to unregister and no memory that grows. The
 * families of one snapshot are built once and reused by every scrape that sees the same snapshot.
 */
public final class SocketMetrics implements MultiCollector {

    private static final SocketState[] STATES = SocketState.values();
    /** The labels of connmon_sockets by protocol, family and state ordinal: the same at every build. */
    private static final Labels[][][] SOCKET_LABELS = new Labels[Protocol.values().length][Family.values().length][];

    static {
        for (Protocol p : Protocol.values()) {
            for (Family f : Family.values()) {
                Labels[] byState = new Labels[STATES.length];
                for (SocketState st : STATES) {
                    byState[st.ordinal()] = Labels.of("protocol", p.label(), "family", f.label(), "state", st.label());
                }
                SOCKET_LABELS[p.ordinal()][f.ordinal()] = byState;
            }
        }
    }

    private final SnapshotService service;
    private final MetricsConfig config;
    private final String version;
    private final ListenerMemory listenerMemory;

    // Which snapshot the cached families describe, held weakly: a strong reference would keep a whole socket
    // table alive after the service has moved on (three tables in memory at once on a busy host).
    private java.lang.ref.WeakReference<Snapshot> builtFor = new java.lang.ref.WeakReference<>(null); // guarded by this
    private List<MetricSnapshot> built; // guarded by this
    private volatile ConnectionEventMetrics events; // connections over time, or null
    private NetnsFamilies netns; // --netns all: families per namespace; null otherwise
    // The labels of the last build's listeners and ports, for the next build: mostly the same listeners and ports,
    // whose labels are then not made again (an address formatted, label names checked by client_java). Only
    // what the last build used is kept. Guarded by this.
    private Map<ListenerKey, Labels[]> listenerLabels = Map.of();
    private Map<String, Labels[]> portLabels = Map.of();

    /** A listener's labels: {@code process} null when not attributing. */
    private record ListenerKey(Protocol protocol, io.connmon.parser.model.Endpoint local, String process) {
    }

    public SocketMetrics(SnapshotService service, MetricsConfig config, String version) {
        this(service, config, version, ListenerMemory.DEFAULT);
    }

    /** With listening ports remembered for {@code listenerMemory} after they were last seen. */
    SocketMetrics(SnapshotService service, MetricsConfig config, String version, java.time.Duration listenerMemory) {
        this.service = service;
        this.config = config;
        this.version = version;
        this.listenerMemory = new ListenerMemory(listenerMemory);
    }

    /**
     * Adds the connections-over-time families (opened, closed, what closed ones carried, listener changes) fed
     * by {@code feed}; {@code log} receives one line per listener change and the reason when the feed is
     * unavailable. Call before the first scrape.
     */
    public void connectionEvents(io.connmon.parser.events.ConnectionEvents feed,
            java.util.function.Consumer<String> log) {
        events = new ConnectionEventMetrics(feed, log);
        if (service != null) {
            // Closed connections are classified by the listeners of the last collection: tell them at every
            // collection, not only when a scrape comes (the families are built once per snapshot either way).
            service.addListener(new SnapshotService.Listener() {
                @Override
                public void collected(Snapshot snapshot) {
                    familiesOf(snapshot);
                }

                @Override
                public void failed(String reason, java.time.Duration took) {
                }
            });
        }
    }

    /**
     * Reads the tcp_info of every established TCP connection (collections of their own, one per family, not
     * served) and keeps their RTT for {@code connmon_connections_rtt_seconds}; nothing without
     * {@link #connectionEvents}.
     */
    public void sampleConnectionRtt() throws io.connmon.parser.source.SourceException {
        ConnectionEventMetrics e = events;
        if (e == null || e.events().closed() == null) {
            return;
        }
        ConnectionEventMetrics.RttSample sample = e.startRttSample();
        if (sample == null) {
            return; // no snapshot yet to classify the connections with
        }
        // One collection per family, with the RTT alone of tcp_info: the table comes beside the snapshot served
        // (and the one a scrape may be reading); two smaller ones one after the other keep the heap's peak lower,
        // and so does a row of 37 bytes instead of 81. A source that cannot filter reads everything each time:
        // add() counts one family.
        for (Family f : Family.values()) {
            Snapshot s = service.collect(io.connmon.parser.source.SocketRequest.ALL.withRttOnly()
                    .onlyStates(java.util.EnumSet.of(SocketState.ESTABLISHED))
                    .only(java.util.EnumSet.of(Protocol.TCP), java.util.EnumSet.of(f)));
            try {
                sample.add(s, f);
            } finally {
                s.table().release(); // its columns serve the next collection
            }
        }
        e.publish(sample);
    }

    /**
     * Labels the socket families by network namespace (at most {@code max} one by one, the rest as
     * {@code other}), as {@code --netns all} wants; returns this.
     */
    public SocketMetrics perNamespace(int max) {
        NetnsFamilies f = new NetnsFamilies(config, version, listenerMemory.duration(), max);
        synchronized (this) {
            netns = f;
        }
        if (service != null) {
            service.addListener(f);
        }
        return this;
    }

    @Override
    public MetricSnapshots collect() {
        Snapshot s = service.latestRetained(); // held while the families are built from it, if they are not yet
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        if (s != null) {
            try {
                for (MetricSnapshot m : familiesOf(s)) {
                    out.metricSnapshot(m);
                }
            } finally {
                s.table().release();
            }
            out.metricSnapshot(gauge("connmon_snapshot_age_seconds",
                    "Age of the snapshot the metrics describe; grows while collections fail.", Unit.SECONDS,
                    point((service.nanoTime() - s.monotonicNanos()) / 1e9)));
        }
        out.metricSnapshot(InfoSnapshot.builder().name("connmon_build")
                .help("connmon's version.")
                .dataPoint(InfoDataPointSnapshot.builder().labels(Labels.of("version", version)).build()).build());
        out.metricSnapshot(InfoSnapshot.builder().name("connmon_source")
                .help("The socket source in use: netlink, procfs where sock_diag cannot be used, oshi where neither can.")
                .dataPoint(InfoDataPointSnapshot.builder().labels(Labels.of("source", service.sourceName())).build())
                .build());
        out.metricSnapshot(gauge("connmon_up", "1 if a collection has ever succeeded, else 0.", null,
                point(s == null ? 0 : 1)));
        return out.build();
    }

    private synchronized List<MetricSnapshot> familiesOf(Snapshot s) {
        if (s != builtFor.get()) {
            built = null; // let the old families go before building the new ones
            built = netns != null && !s.table().namespaces().isEmpty() ? withEvents(netns.build(s), s) : build(s);
            builtFor = new java.lang.ref.WeakReference<>(s);
        }
        return built;
    }

    /** The per-namespace families and, with a feed, the connections-over-time ones over all namespaces. */
    private List<MetricSnapshot> withEvents(List<MetricSnapshot> families, Snapshot s) {
        ConnectionEventMetrics e = events;
        if (e == null) {
            return families;
        }
        SocketSummary sum = new SocketSummary(s.sockets(), s.stats().ephemeralPorts(), config, s.attribution(),
                listenerMemory, s.timestamp());
        List<MetricSnapshot> out = new ArrayList<>(families);
        out.addAll(e.families(s, sum, config));
        return out;
    }

    synchronized List<MetricSnapshot> build(Snapshot s) {
        NetStats stats = s.stats();
        boolean attributing = s.attribution().enabled();
        SocketSummary sum = new SocketSummary(s.sockets(), stats.ephemeralPorts(), config, s.attribution(),
                listenerMemory, s.timestamp());
        List<MetricSnapshot> out = new ArrayList<>();

        GaugeSnapshot.Builder sockets = GaugeSnapshot.builder().name("connmon_sockets")
                .help("Sockets by protocol, family and state; every TCP state is always present.");
        for (Protocol p : Protocol.values()) {
            for (Family f : Family.values()) {
                long[] byState = sum.counts[p.ordinal()][f.ordinal()];
                for (SocketState st : STATES) {
                    boolean always = p == Protocol.TCP ? st.code() > 0
                            : st == SocketState.UNCONN || st == SocketState.ESTABLISHED;
                    if (always || byState[st.ordinal()] > 0) {
                        sockets.dataPoint(point(byState[st.ordinal()],
                                SOCKET_LABELS[p.ordinal()][f.ordinal()][st.ordinal()]));
                    }
                }
            }
        }
        out.add(sockets.build());

        GaugeSnapshot.Builder listeners = GaugeSnapshot.builder().name("connmon_listeners")
                .help("Listening sockets (TCP LISTEN, bound unconnected UDP) by protocol, address and port.");
        GaugeSnapshot.Builder acceptQueue = GaugeSnapshot.builder().name("connmon_listener_accept_queue")
                .help("Connections waiting in a TCP listener's accept queue.");
        GaugeSnapshot.Builder backlog = GaugeSnapshot.builder().name("connmon_listener_accept_queue_limit")
                .help("The accept queue's limit (the listen backlog) of a TCP listener, where the source reports "
                        + "it (/proc/net/tcp does not).");
        GaugeSnapshot.Builder saturation = GaugeSnapshot.builder().name("connmon_listener_accept_queue_saturation")
                .help("A TCP listener's accept queue over its limit, where the limit is known; at 1 or above "
                        + "(the kernel admits limit + 1) new connections are dropped.");
        boolean limitKnown = s.table().knows().backlogLimit();
        Map<ListenerKey, Labels[]> labelsNow = new java.util.HashMap<>();
        for (SocketSummary.Listener l : sum.listeners) {
            ListenerKey key = new ListenerKey(l.protocol, l.local,
                    attributing ? (l.process == null ? "unknown" : l.process) : null);
            Labels[] ls = listenerLabels.get(key);
            if (ls == null) {
                ls = listenerLabels(key);
            }
            labelsNow.put(key, ls);
            listeners.dataPoint(point(l.sockets, ls[0]));
            if (l.protocol == Protocol.TCP) {
                Labels tcp = ls[1];
                acceptQueue.dataPoint(point(l.acceptQueue, tcp));
                if (limitKnown) { // /proc/net/tcp prints 0 (write_seq - snd_una) for listeners: unknown
                    backlog.dataPoint(point(l.backlog, tcp));
                    if (l.backlog > 0) {
                        saturation.dataPoint(point((double) l.acceptQueue / l.backlog, tcp));
                    }
                }
            }
        }
        listenerLabels = labelsNow;
        out.add(listeners.build());
        out.add(acceptQueue.build());
        out.add(backlog.build());
        out.add(saturation.build());
        out.add(gauge("connmon_last_collection_duplicate_sockets",
                "Sockets the source listed twice in the last collection (a non-atomic read under churn), dropped.",
                null, point(s.table().duplicatesDropped())));
        out.add(gauge("connmon_listeners_not_exported",
                "Listening sockets left out of connmon_listeners by the cap.", null, point(sum.listenersDropped)));

        Map<String, Labels[]> portsNow = new java.util.HashMap<>();
        out.add(portFamily(portsNow, "connmon_inbound_connections",
                "TCP connections to local ports that have (or had in the last 10 minutes) a listener, by local port "
                        + "and state.", sum.inbound));
        out.add(portFamily(portsNow, "connmon_outbound_connections",
                "TCP connections from local ports without a listener, by remote port and state; remote ports in "
                        + "the ephemeral range count as port=\"other\".", sum.outbound));
        portLabels = portsNow;

        if (attributing) {
            GaugeSnapshot.Builder byProcess = GaugeSnapshot.builder().name("connmon_process_connections")
                    .help("TCP connections (listeners excluded) by owning process name and state; the busiest "
                            + "processes one by one, the rest as process=\"other\".");
            for (Map.Entry<String, long[]> e : sum.byProcess.entrySet()) {
                for (SocketState st : STATES) {
                    long n = e.getValue()[st.ordinal()];
                    if (n > 0) {
                        byProcess.dataPoint(point(n, "process", e.getKey(), "state", st.label()));
                    }
                }
            }
            out.add(byProcess.build());
            out.add(gauge("connmon_unattributed_sockets",
                    "Sockets with an inode whose owning process was not found (another user's process without "
                            + "CAP_SYS_PTRACE, or not scanned yet).", null,
                    point(s.attribution().unattributed())));
            out.add(gauge("connmon_attribution_complete",
                    "1 if every socket's owner was looked up to date in the last collection; 0 if the budget left "
                            + "work for the next ones, or sockets stay unattributed for want of privilege.",
                    null, point(s.attribution().complete() ? 1 : 0)));
        }

        GaugeSnapshot.Builder sendQ = GaugeSnapshot.builder().name("connmon_send_queue_bytes").unit(Unit.BYTES)
                .help("Bytes in send queues, summed by protocol (listeners excluded).");
        GaugeSnapshot.Builder recvQ = GaugeSnapshot.builder().name("connmon_receive_queue_bytes").unit(Unit.BYTES)
                .help("Bytes in receive queues, summed by protocol (listeners excluded).");
        for (Protocol p : Protocol.values()) {
            sendQ.dataPoint(point(sum.sendQueueBytes[p.ordinal()], "protocol", p.label()));
            recvQ.dataPoint(point(sum.receiveQueueBytes[p.ordinal()], "protocol", p.label()));
        }
        out.add(sendQ.build());
        out.add(recvQ.build());

        if (sum.ephemeralRange != null) {
            out.add(gauge("connmon_ephemeral_ports",
                    "Ports in the ephemeral range (net.ipv4.ip_local_port_range).", null,
                    point(sum.ephemeralRange.size())));
            out.add(gauge("connmon_ephemeral_ports_used",
                    "Ephemeral-range ports in use by TCP sockets in any state, TIME_WAIT included.", null,
                    point(sum.ephemeralUsed)));
            out.add(gauge("connmon_ephemeral_ports_used_max_per_destination",
                    "The most ephemeral ports in use towards one remote address:port: what runs out first.", null,
                    point(sum.ephemeralMaxPerDestination)));
            GaugeSnapshot.Builder busiest = GaugeSnapshot.builder().name("connmon_ephemeral_ports_busiest_destination")
                    .help("The remote address:port with the most ephemeral ports in use, and that number.");
            if (sum.ephemeralBusiestDestination != null) {
                busiest.dataPoint(point(sum.ephemeralMaxPerDestination,
                        "address", sum.ephemeralBusiestDestination.address(),
                        "port", Integer.toString(sum.ephemeralBusiestDestination.port())));
            }
            out.add(busiest.build());
        }

        addCounters(out, stats);
        addSelf(out, s);
        ConnectionEventMetrics e = events;
        if (e != null) {
            out.addAll(e.families(s, sum, config));
        }
        return out;
    }

    /** The labels of a listener's series: all of them, then address and port (TCP only, else null). */
    private static Labels[] listenerLabels(ListenerKey key) {
        String address = key.local().address();
        String port = Integer.toString(key.local().port());
        Labels all = key.process() != null
                ? Labels.of("protocol", key.protocol().label(), "address", address, "port", port,
                        "process", key.process())
                : Labels.of("protocol", key.protocol().label(), "address", address, "port", port);
        return new Labels[] {all, key.protocol() == Protocol.TCP ? Labels.of("address", address, "port", port) : null};
    }

    /** A family by port and state; {@code labels} collects the labels used (by port, then state ordinal). */
    private MetricSnapshot portFamily(Map<String, Labels[]> labels, String name, String help,
            Map<String, long[]> rows) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (Map.Entry<String, long[]> e : rows.entrySet()) {
            long[] byState = e.getValue();
            Labels[] byPort = labels.get(e.getKey());
            if (byPort == null) {
                byPort = portLabels.getOrDefault(e.getKey(), new Labels[STATES.length]);
                labels.put(e.getKey(), byPort);
            }
            for (SocketState st : STATES) {
                long n = byState[st.ordinal()];
                if (n > 0 || st == SocketState.ESTABLISHED) {
                    Labels l = byPort[st.ordinal()];
                    if (l == null) {
                        l = Labels.of("port", e.getKey(), "state", st.label());
                        byPort[st.ordinal()] = l;
                    }
                    b.dataPoint(point(n, l));
                }
            }
        }
        return b.build();
    }

    /** The netstat -s counters: name, help, group, kernel name; UDP ones per family. */
    private static final String[][] TCP_COUNTERS = {
        {"connmon_tcp_active_opens", "TCP connections opened by this host (connect), IPv4 and IPv6.", "Tcp", "ActiveOpens"},
        {"connmon_tcp_passive_opens", "TCP connections accepted by this host.", "Tcp", "PassiveOpens"},
        {"connmon_tcp_attempt_fails", "Failed TCP connection attempts (refused connects land here).", "Tcp", "AttemptFails"},
        {"connmon_tcp_established_resets", "TCP connections reset from ESTABLISHED or CLOSE_WAIT.", "Tcp", "EstabResets"},
        {"connmon_tcp_retransmitted_segments", "TCP segments retransmitted.", "Tcp", "RetransSegs"},
        {"connmon_tcp_in_errors", "TCP segments received in error.", "Tcp", "InErrs"},
        {"connmon_tcp_out_resets", "TCP segments sent with the RST flag.", "Tcp", "OutRsts"},
        {"connmon_tcp_listen_overflows", "Times a listener's accept queue was full.", "TcpExt", "ListenOverflows"},
        {"connmon_tcp_listen_drops", "SYNs dropped at listeners, overflows included.", "TcpExt", "ListenDrops"},
        {"connmon_tcp_time_wait_overflows", "TIME_WAIT sockets not created for lack of memory or the tw bucket limit.", "TcpExt", "TCPTimeWaitOverflow"},
    };

    private static final String[][] UDP_COUNTERS = {
        {"connmon_udp_datagrams_received", "UDP datagrams delivered to sockets.", "InDatagrams"},
        {"connmon_udp_datagrams_sent", "UDP datagrams sent.", "OutDatagrams"},
        {"connmon_udp_no_port", "UDP datagrams to ports with no socket.", "NoPorts"},
        {"connmon_udp_receive_errors", "UDP datagrams that could not be delivered (buffer errors included).", "InErrors"},
        {"connmon_udp_receive_buffer_errors", "UDP datagrams dropped for a full receive buffer.", "RcvbufErrors"},
        {"connmon_udp_send_buffer_errors", "UDP datagrams not sent for a full send buffer.", "SndbufErrors"},
    };

    private static void addCounters(List<MetricSnapshot> out, NetStats stats) {
        for (String[] c : TCP_COUNTERS) {
            long v = stats.counter(c[2], c[3], -1);
            if (v >= 0) {
                out.add(CounterSnapshot.builder().name(c[0]).help(c[1] + " (" + c[2] + " " + c[3] + ")")
                        .dataPoint(CounterDataPointSnapshot.builder().value(v).build()).build());
            }
        }
        for (String[] c : UDP_COUNTERS) {
            CounterSnapshot.Builder b = CounterSnapshot.builder().name(c[0]).help(c[1] + " (Udp/Udp6 " + c[2] + ")");
            boolean any = false;
            long v4 = stats.counter("Udp", c[2], -1);
            if (v4 >= 0) {
                b.dataPoint(CounterDataPointSnapshot.builder().value(v4).labels(Labels.of("family", "ipv4")).build());
                any = true;
            }
            long v6 = stats.counter("Udp6", c[2], -1);
            if (v6 >= 0) {
                b.dataPoint(CounterDataPointSnapshot.builder().value(v6).labels(Labels.of("family", "ipv6")).build());
                any = true;
            }
            if (any) {
                out.add(b.build());
            }
        }
    }

    private void addSelf(List<MetricSnapshot> out, Snapshot s) {
        out.add(gauge("connmon_last_success_timestamp_seconds",
                "When the last successful collection finished (Unix time).", Unit.SECONDS,
                point(s.timestamp().toEpochMilli() / 1000.0)));
        out.add(gauge("connmon_last_collection_duration_seconds",
                "How long the last successful collection took.", Unit.SECONDS,
                point(s.collectionTime().toNanos() / 1e9)));
        GaugeSnapshot.Builder skipped = GaugeSnapshot.builder().name("connmon_last_collection_skipped_lines")
                .help("Malformed lines the last collection skipped, by input file.");
        for (FileReport r : s.table().inputs()) {
            skipped.dataPoint(point(r.skipped(), "file", r.name()));
        }
        out.add(skipped.build());
    }

    private static MetricSnapshot gauge(String name, String help, Unit unit, GaugeDataPointSnapshot p) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help).dataPoint(p);
        if (unit != null) {
            b.unit(unit);
        }
        return b.build();
    }

    private static GaugeDataPointSnapshot point(double value, Labels labels) {
        return GaugeDataPointSnapshot.builder().value(value).labels(labels).build();
    }

    private static GaugeDataPointSnapshot point(double value, String... labels) {
        GaugeDataPointSnapshot.Builder b = GaugeDataPointSnapshot.builder().value(value);
        if (labels.length > 0) {
            b.labels(Labels.of(labels));
        }
        return b.build();
    }
}
