package io.connmon.exporter;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code connmon_http_requests_total{path,code}}: the requests the HTTP server answered. The path label is one of
 * the server's paths or {@code other}, the code one the server sends: a bounded set of series.
 */
final class HttpMetrics implements Collector {

    static final String NAME = "connmon_http_requests";

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    /** Counts an answer; {@code path} is a known path or {@code other}, {@code code} the status sent. */
    void count(String path, int code) {
        if (code < 100 || code > 599) {
            return; // nothing was sent: the client went away first
        }
        counts.computeIfAbsent(path + "\u0000" + code, k -> new LongAdder()).increment();
    }

    /** The count for one path and code (for tests). */
    long get(String path, int code) {
        LongAdder a = counts.get(path + "\u0000" + code);
        return a == null ? 0 : a.sum();
    }

    @Override
    public String getPrometheusName() {
        return NAME;
    }

    @Override
    public MetricSnapshot collect() {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(NAME)
                .help("HTTP requests answered, by path (other: any unknown path) and status code.");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(counts).entrySet()) {
            int sep = e.getKey().indexOf('\u0000');
            b.dataPoint(CounterDataPointSnapshot.builder()
                    .labels(Labels.of("code", e.getKey().substring(sep + 1), "path", e.getKey().substring(0, sep)))
                    .value(e.getValue().sum()).build());
        }
        return b.build();
    }
}
