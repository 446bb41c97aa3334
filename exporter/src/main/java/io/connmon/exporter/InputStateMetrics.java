package io.connmon.exporter;

import io.connmon.parser.model.FileReport;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code connmon_input_state}: what became of each input of the latest snapshot (the socket tables such as
 * {@code net/tcp}, and the counter files), one series per input and state, 1 for the input's current state and
 * 0 for the others; and one log line when an input's state changes, not one per scrape.
 *
 * <p>The state is the source's verdict ({@link FileReport#state()}): this class only renders and logs it. A
 * failed {@code net/tcp} means its sockets are unknown, not zero, even though the collection (and
 * {@code connmon_up}) succeeded with the other tables.
 *
 * <pre>{@code
 * InputStateMetrics inputs = new InputStateMetrics(service);
 * registry.register(inputs);
 * service.addListener(inputs);
 * }</pre>
 */
public final class InputStateMetrics implements MultiCollector, SnapshotService.Listener {

    static final String NAME = "connmon_input_state";
    private static final FileReport.State[] STATES = FileReport.State.values();
    private static final System.Logger LOG = System.getLogger("connmon");

    private final SnapshotService service;
    private final Map<String, FileReport.State> logged = new HashMap<>(); // guarded by this

    public InputStateMetrics(SnapshotService service) {
        this.service = service;
    }

    /** Every input of a snapshot: the socket tables, then the counter files. */
    static List<FileReport> inputs(Snapshot s) {
        List<FileReport> all = new ArrayList<>(s.table().inputs());
        all.addAll(s.stats().inputs());
        return all;
    }

    @Override
    public MetricSnapshots collect() {
        Snapshot s = service.latest();
        if (s == null) {
            return MetricSnapshots.builder().build(); // no collection yet: connmon_up says so
        }
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(NAME)
                .help("State of each input of the last collection, 1 for the current one: read, absent (as "
                        + "expected, such as the IPv6 tables with IPv6 off) or failed (its data is unknown).");
        for (FileReport r : inputs(s)) {
            for (FileReport.State st : STATES) {
                b.dataPoint(GaugeDataPointSnapshot.builder().value(r.state() == st ? 1 : 0)
                        .labels(Labels.of("input", r.name(), "state", st.label())).build());
            }
        }
        return MetricSnapshots.builder().metricSnapshot(b.build()).build();
    }

    /** Logs each input whose state changed since the last collection (at the first: each one not read). */
    @Override
    public synchronized void collected(Snapshot s) {
        for (FileReport r : inputs(s)) {
            FileReport.State before = logged.put(r.name(), r.state());
            if (before == r.state() || (before == null && r.state() == FileReport.State.READ)) {
                continue;
            }
            switch (r.state()) {
                case FAILED:
                    LOG.log(System.Logger.Level.WARNING, r.name() + ": failed, its data is unknown: " + r.error());
                    break;
                case ABSENT:
                    LOG.log(System.Logger.Level.INFO, r.name() + ": absent, as expected (no data)");
                    break;
                default:
                    LOG.log(System.Logger.Level.INFO, r.name() + ": read again (was " + before.label() + ")");
                    break;
            }
        }
    }

    @Override
    public void failed(String reason, Duration took) {
        // A failed collection has no inputs to judge; the failure log and connmon_up tell that story.
    }
}
