package io.connmon.exporter;

import io.connmon.parser.model.FileReport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * connmon's metrics about itself, kept by Micrometer: collection duration and count, failed collections, lines
 * the parser skipped, and the daemon's resident memory.
 *
 * <pre>{@code
 * SelfMetrics self = new SelfMetrics();
 * self.bindTo(registry);
 * service.addListener(self);
 * }</pre>
 */
public final class SelfMetrics implements MeterBinder, SnapshotService.Listener {

    private final Path statm;
    private MeterRegistry registry;
    private Timer duration;
    private Counter failures;

    public SelfMetrics() {
        this(Path.of("/proc/self/statm"));
    }

    SelfMetrics(Path statm) {
        this.statm = statm;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        duration = Timer.builder("connmon.collection.duration")
                .description("Time taken by collections of the socket tables and counters, successful or not.")
                .register(registry);
        failures = Counter.builder("connmon.collection.errors")
                .description("Collections that failed; the last good snapshot was served instead.")
                .register(registry);
        Gauge.builder("process.resident.memory", this, SelfMetrics::residentBytes)
                .description("Resident memory of the connmon process (from /proc/self/statm).")
                .baseUnit("bytes")
                .register(registry);
    }

    @Override
    public void collected(Snapshot s) {
        if (registry == null) {
            return;
        }
        duration.record(s.collectionTime());
        for (FileReport r : s.table().inputs()) {
            // One counter per input file: a fixed, small set.
            Counter c = Counter.builder("connmon.parse.skipped.lines")
                    .description("Malformed lines skipped by the parser, by input file, counted at each collection.")
                    .tag("file", r.name())
                    .register(registry);
            if (r.skipped() > 0) {
                c.increment(r.skipped());
            }
        }
    }

    @Override
    public void failed(String reason, Duration took) {
        if (registry == null) {
            return;
        }
        duration.record(took);
        failures.increment();
    }

    private double residentBytes() {
        try {
            String[] f = Files.readString(statm).trim().split(" ");
            return Long.parseLong(f[1]) * 4096.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
