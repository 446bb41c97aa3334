package io.connmon.exporter;

import io.connmon.parser.model.FileReport;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;

/**
 * connmon's metrics about itself: collections (count and time, one summary), failed collections, lines the
 * parser skipped; and, with {@link #registerProcessAndJvm}, the standard {@code process_*} and {@code jvm_*}
 * metrics every Prometheus client exports.
 *
 * <pre>{@code
 * SelfMetrics self = new SelfMetrics();
 * self.register(registry);
 * SelfMetrics.registerProcessAndJvm(registry);
 * service.addListener(self);
 * }</pre>
 */
public final class SelfMetrics implements SnapshotService.Listener {

    private Summary duration;
    private Counter failures;
    private Counter skipped;

    /** Registers {@code connmon_collection_duration_seconds}, {@code connmon_collection_errors_total} and
     * {@code connmon_parse_skipped_lines_total}. */
    public void register(PrometheusRegistry registry) {
        // A summary without quantiles: _count and _sum only, so that collection time is read one way
        // (rate(_sum) / rate(_count)); the last collection's time is connmon_last_collection_duration_seconds.
        duration = Summary.builder().name("connmon_collection_duration_seconds").unit(Unit.SECONDS)
                .help("Collections of the socket tables and counters, successful or not, and the time they took.")
                .withoutExemplars()
                .register(registry);
        failures = Counter.builder().name("connmon_collection_errors")
                .help("Collections that failed; the last good snapshot was served instead.")
                .withoutExemplars()
                .register(registry);
        skipped = Counter.builder().name("connmon_parse_skipped_lines")
                .help("Malformed lines skipped by the parser, by input file, counted at each collection.")
                .labelNames("file")
                .withoutExemplars()
                .register(registry);
    }

    /**
     * Registers the standard process metrics ({@code process_cpu_seconds_total}, {@code process_open_fds},
     * {@code process_max_fds}, {@code process_resident_memory_bytes} and {@code process_virtual_memory_bytes}
     * from {@code /proc/self/status} in kB, so right whatever the page size, {@code process_start_time_seconds})
     * and the JVM's memory, GC, buffer pools, class loading, threads and runtime. Not the JIT compilation
     * metrics, nor the per-pool allocation counters (a listener on every GC) nor native memory tracking.
     */
    public static void registerProcessAndJvm(PrometheusRegistry registry) {
        ProcessMetrics.builder().register(registry);
        JvmMemoryMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmClassLoadingMetrics.builder().register(registry);
        JvmThreadsMetrics.builder().register(registry);
        JvmRuntimeInfoMetric.builder().register(registry);
    }

    @Override
    public void collected(Snapshot s) {
        if (duration == null) {
            return;
        }
        duration.observe(s.collectionTime().toNanos() / 1e9);
        for (FileReport r : s.table().inputs()) {
            // One series per input file: a fixed, small set, present from the first collection on.
            skipped.labelValues(r.name()).inc(r.skipped());
        }
    }

    @Override
    public void failed(String reason, Duration took) {
        if (duration == null) {
            return;
        }
        duration.observe(took.toNanos() / 1e9);
        failures.inc();
    }
}
