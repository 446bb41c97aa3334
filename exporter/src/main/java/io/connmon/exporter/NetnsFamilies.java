package io.connmon.exporter;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.ContainerRef;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.NetNamespace;
import io.connmon.parser.model.SocketTable;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The socket families of a snapshot of every network namespace ({@code --netns all}): each family
 * {@link SocketMetrics} builds, built for each namespace from its own sockets, counters and ephemeral port
 * range, with a {@code netns} label (the namespace's inode, or {@code pid:PID} where the inode is unknowable).
 * At most {@code max} namespaces are exported one by one (connmon's own first, then those with the most
 * sockets); the sockets of the rest are summed as {@code netns="other"} (their counters and port ranges, which
 * do not add up, are left out). Beside them: {@code connmon_netns_info} per namespace exported,
 * {@code connmon_network_namespaces} and {@code connmon_netns_skipped_total}.
 */
final class NetnsFamilies implements SnapshotService.Listener {

    static final String OTHER = "other";
    /** Families that describe the collection, not a namespace: exported once, without a netns label. */
    private static final Set<String> WHOLE = Set.of("connmon_last_collection_duration_seconds",
            "connmon_last_success_timestamp_seconds", "connmon_attribution_complete");

    private final MetricsConfig config;
    private final String version;
    private final Duration listenerMemory;
    private final int max;
    private final Map<String, SocketMetrics> perNamespace = new HashMap<>(); // by netns label value
    private final AtomicLong skipped = new AtomicLong();

    NetnsFamilies(MetricsConfig config, String version, Duration listenerMemory, int max) {
        if (max < 0) {
            throw new IllegalArgumentException("netns-max must not be negative");
        }
        this.config = config;
        this.version = version;
        this.listenerMemory = listenerMemory;
        this.max = max;
    }

    @Override
    public void collected(Snapshot snapshot) {
        for (NetNamespace ns : snapshot.table().namespaces()) {
            if (ns.error() != null) {
                skipped.incrementAndGet();
            }
        }
    }

    @Override
    public void failed(String reason, Duration took) {
    }

    /** The families of {@code s}, labelled by namespace. */
    synchronized List<MetricSnapshot> build(Snapshot s) {
        SocketTable table = s.table();
        List<NetNamespace> all = table.namespaces();
        List<NetNamespace> order = new ArrayList<>();
        for (NetNamespace ns : all) {
            if (ns.error() == null) { // one not read this time: no series (zeros would be a lie), only the skip count
                order.add(ns);
            }
        }
        order.sort(Comparator.comparing((NetNamespace n) -> !n.own()).thenComparing(n -> -n.count()));
        List<NetNamespace> oneByOne = order.subList(0, Math.min(max, order.size()));
        List<NetNamespace> rest = order.subList(oneByOne.size(), order.size());
        CompactSocketList sockets = CompactSocketList.copyOf(table.sockets());

        Map<String, Family> families = new LinkedHashMap<>();
        Set<String> live = new HashSet<>();
        for (NetNamespace ns : oneByOne) {
            List<FileReport> inputs = new ArrayList<>();
            for (FileReport r : table.inputs()) {
                String prefix = ns.id() + " ";
                if (r.name().startsWith(prefix)) {
                    inputs.add(new FileReport(r.name().substring(prefix.length()), r.present(), r.records(),
                            r.skipped(), r.problems(), r.error()));
                }
            }
            SocketTable sub = new SocketTable(table.source(), sockets.range(ns.first(), ns.first() + ns.count()),
                    inputs, table.knows(), 0, List.of(ns));
            add(families, ns.id(), s, sub, ns.stats());
            live.add(ns.id());
        }
        if (!rest.isEmpty()) {
            List<CompactSocketList> parts = new ArrayList<>();
            for (NetNamespace ns : rest) {
                parts.add(sockets.range(ns.first(), ns.first() + ns.count()));
            }
            SocketTable sub = new SocketTable(table.source(), CompactSocketList.concat(parts, new int[parts.size()]),
                    List.of(), table.knows(), 0, List.of());
            add(families, OTHER, s, sub, NetStats.EMPTY);
            live.add(OTHER);
        }
        perNamespace.keySet().retainAll(live); // a namespace gone takes its remembered listeners with it

        List<MetricSnapshot> out = new ArrayList<>();
        for (Family f : families.values()) {
            out.add(f.build());
        }
        InfoSnapshot.Builder info = InfoSnapshot.builder().name("connmon_netns")
                .help("One per network namespace exported one by one: its ip netns name, representative pid, "
                        + "container, Kubernetes pod uid, systemd unit and reader; join on netns.");
        for (NetNamespace ns : oneByOne) {
            ContainerRef c = ns.container();
            info.dataPoint(InfoDataPointSnapshot.builder().labels(Labels.of("netns", ns.id(),
                    "name", text(ns.name()), "pid", ns.pid() < 0 ? "" : Integer.toString(ns.pid()),
                    "container", text(c.id()), "runtime", text(c.runtime()), "pod_uid", text(c.podUid()),
                    "unit", text(c.unit()), "reader", text(ns.reader()))).build());
        }
        out.add(info.build());
        out.add(GaugeSnapshot.builder().name("connmon_network_namespaces")
                .help("Network namespaces seen in the last collection, including those that could not be read.")
                .dataPoint(GaugeDataPointSnapshot.builder().value(all.size()).build()).build());
        out.add(CounterSnapshot.builder().name("connmon_netns_skipped")
                .help("Namespaces whose tables could not be read in a collection (process gone, namespace gone, "
                        + "tables unreadable), summed over collections.")
                .dataPoint(CounterDataPointSnapshot.builder().value(skipped.get()).build()).build());
        return out;
    }

    private void add(Map<String, Family> families, String id, Snapshot s, SocketTable sub, NetStats stats) {
        SocketMetrics m = perNamespace.computeIfAbsent(id, k -> new SocketMetrics(null, config, version,
                listenerMemory));
        Snapshot one = new Snapshot(s.timestamp(), s.host(), sub, stats, s.collectionTime(), s.monotonicNanos(),
                s.attribution());
        for (MetricSnapshot ms : m.build(one)) {
            if (WHOLE.contains(ms.getMetadata().getPrometheusName())) {
                families.putIfAbsent(ms.getMetadata().getPrometheusName(), new Family(ms, true));
                continue;
            }
            Family f = families.computeIfAbsent(ms.getMetadata().getPrometheusName(), k -> new Family(ms));
            f.add(ms, id);
        }
    }

    private static String text(String s) {
        return s == null ? "" : s;
    }

    /** One family's points from every namespace. */
    private static final class Family {
        final MetricMetadata metadata;
        final boolean counter;
        final List<GaugeDataPointSnapshot> gauges = new ArrayList<>();
        final List<CounterDataPointSnapshot> counters = new ArrayList<>();
        final MetricSnapshot whole; // a family of the whole collection, as it is

        Family(MetricSnapshot first) {
            metadata = first.getMetadata();
            counter = first instanceof CounterSnapshot;
            whole = null;
        }

        Family(MetricSnapshot asIs, boolean unlabelled) {
            metadata = asIs.getMetadata();
            counter = false;
            whole = asIs;
        }

        void add(MetricSnapshot ms, String id) {
            if (ms instanceof GaugeSnapshot && !counter) {
                for (GaugeDataPointSnapshot p : ((GaugeSnapshot) ms).getDataPoints()) {
                    gauges.add(new GaugeDataPointSnapshot(p.getValue(), p.getLabels().add("netns", id), null));
                }
            } else if (ms instanceof CounterSnapshot && counter) {
                for (CounterDataPointSnapshot p : ((CounterSnapshot) ms).getDataPoints()) {
                    counters.add(new CounterDataPointSnapshot(p.getValue(), p.getLabels().add("netns", id), null, 0));
                }
            }
        }

        MetricSnapshot build() {
            if (whole != null) {
                return whole;
            }
            return counter ? new CounterSnapshot(metadata, counters) : new GaugeSnapshot(metadata, gauges);
        }
    }
}
