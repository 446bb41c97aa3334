package io.connmon.exporter;

import io.connmon.parser.model.FileReport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * connmon's operational meters, kept by Micrometer: collections (count and time), failed collections, lines
 * the parser skipped; and, with {@link #registerProcessAndJvm}, the standard {@code process_*} and {@code jvm_*}
 * metrics of client_java on the registry underneath (no Micrometer system, processor or JVM binders).
 *
 * <p>In the Prometheus exposition: {@code connmon_collection_duration_seconds} (a summary of {@code _count} and
 * {@code _sum} only: a function timer, so no {@code _max} gauge, no quantiles), {@code connmon_collection_errors_total}
 * and {@code connmon_parse_skipped_lines_total{file}}.
 *
 * <pre>{@code
 * PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * SelfMetrics self = new SelfMetrics();
 * self.bindTo(meters);
 * SelfMetrics.registerProcessAndJvm(meters.getPrometheusRegistry());
 * service.addListener(self);
 * }</pre>
 */
public final class SelfMetrics implements MeterBinder, SnapshotService.Listener {

    private final Iterable<Tag> tags;
    private final LongAdder collections = new LongAdder();
    private final LongAdder collectionNanos = new LongAdder();
    private final Map<String, Counter> skipped = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;
    private volatile Counter failures;

    public SelfMetrics() {
        this(Tags.empty());
    }

    /** With tags on every meter (tests: a registry shared by several binders). */
    SelfMetrics(Iterable<Tag> tags) {
        this.tags = tags;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        // Count and total time only, so that collection time is read one way (rate(_sum) / rate(_count)); the
        // last collection's time is connmon_last_collection_duration_seconds. A Timer would add a _max gauge.
        FunctionTimer.builder("connmon.collection.duration", this, s -> s.collections.sum(),
                        s -> s.collectionNanos.sum(), TimeUnit.NANOSECONDS)
                .description("Collections of the socket tables and counters, successful or not, and the time they took.")
                .tags(tags)
                .register(registry);
        failures = Counter.builder("connmon.collection.errors")
                .description("Collections that failed; the last good snapshot was served instead.")
                .tags(tags)
                .register(registry);
        this.registry = registry;
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
        MeterRegistry r = registry;
        if (r == null) {
            return;
        }
        record(s.collectionTime());
        for (FileReport f : s.table().inputs()) {
            // One series per input file: a fixed, small set, present from the first collection on.
            skipped.computeIfAbsent(f.name(), name -> Counter.builder("connmon.parse.skipped.lines")
                    .description("Malformed lines skipped by the parser, by input file, counted at each collection.")
                    .tags(tags).tag("file", name)
                    .register(r)).increment(f.skipped());
        }
    }

    @Override
    public void failed(String reason, Duration took) {
        Counter f = failures;
        if (f == null) {
            return;
        }
        record(took);
        f.increment();
    }

    private void record(Duration took) {
        collectionNanos.add(took.toNanos());
        collections.increment();
    }
}
