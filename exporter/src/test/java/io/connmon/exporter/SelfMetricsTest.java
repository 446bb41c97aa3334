package io.connmon.exporter;

import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.SocketTable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SelfMetricsTest {

    private static Snapshot collected(Duration took, long tcpSkipped, long udpSkipped) {
        SocketTable table = new SocketTable("fake", List.of(), List.of(
                new FileReport("net/tcp", true, 0, tcpSkipped, List.of(), null),
                new FileReport("net/udp", true, 0, udpSkipped, List.of(), null)));
        return new Snapshot(Instant.parse("2026-11-24T18:00:00Z"), "testhost", table, Sockets.stats(), took, 0L);
    }

    @Test
    void collectionsFailuresAndSkippedLinesAreMicrometerMeters() {
        MeterRegistry meters = new SimpleMeterRegistry();
        SelfMetrics self = new SelfMetrics();
        self.bindTo(meters);
        self.collected(collected(Duration.ofMillis(250), 3, 0));
        self.collected(collected(Duration.ofMillis(500), 1, 2));
        self.failed("timed out", Duration.ofSeconds(2));

        FunctionTimer duration = meters.get("connmon.collection.duration").functionTimer();
        assertEquals(3, duration.count());
        assertEquals(2.75, duration.totalTime(TimeUnit.SECONDS), 1e-9);
        assertEquals(1, meters.get("connmon.collection.errors").counter().count());
        assertEquals(4, meters.get("connmon.parse.skipped.lines").tag("file", "net/tcp").counter().count());
        assertEquals(2, meters.get("connmon.parse.skipped.lines").tag("file", "net/udp").counter().count());
    }

    @Test
    void nothingIsCountedBeforeBinding() {
        SelfMetrics self = new SelfMetrics();
        self.collected(collected(Duration.ofMillis(250), 3, 0));
        self.failed("timed out", Duration.ofSeconds(2));
        MeterRegistry meters = new SimpleMeterRegistry();
        self.bindTo(meters);
        assertEquals(0, meters.get("connmon.collection.duration").functionTimer().count());
        assertEquals(0, meters.get("connmon.collection.errors").counter().count());
        assertNull(meters.find("connmon.parse.skipped.lines").counter());
    }

    @Test
    void theConstructorSeamPutsItsTagsOnEveryMeter() {
        MeterRegistry meters = new SimpleMeterRegistry();
        SelfMetrics self = new SelfMetrics(Tags.of("instance", "a"));
        self.bindTo(meters);
        self.collected(collected(Duration.ofMillis(1), 0, 0));
        assertEquals(4, meters.getMeters().size());
        meters.getMeters().forEach(m -> assertEquals("a", m.getId().getTag("instance"), m.getId().toString()));
    }

    /** What Prometheus scrapes: the names, types and help texts of docs/metrics.md, a summary without _max. */
    @Test
    void prometheusExpositionIsExactlyTheDocumentedFamilies() {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SelfMetrics self = new SelfMetrics();
        self.bindTo(meters);
        self.collected(collected(Duration.ofMillis(250), 3, 0));
        self.failed("timed out", Duration.ofMillis(500));
        String text = SocketMetricsTest.text(meters.getPrometheusRegistry()).lines()
                .collect(Collectors.joining("\n", "", "\n"));
        assertEquals("""
                # HELP connmon_collection_duration_seconds Collections of the socket tables and counters, successful or not, and the time they took.
                # TYPE connmon_collection_duration_seconds summary
                connmon_collection_duration_seconds_count 2
                connmon_collection_duration_seconds_sum 0.75
                # HELP connmon_collection_errors_total Collections that failed; the last good snapshot was served instead.
                # TYPE connmon_collection_errors_total counter
                connmon_collection_errors_total 1.0
                # HELP connmon_parse_skipped_lines_total Malformed lines skipped by the parser, by input file, counted at each collection.
                # TYPE connmon_parse_skipped_lines_total counter
                connmon_parse_skipped_lines_total{file="net/tcp"} 3.0
                connmon_parse_skipped_lines_total{file="net/udp"} 0.0
                """, text);
    }
}
