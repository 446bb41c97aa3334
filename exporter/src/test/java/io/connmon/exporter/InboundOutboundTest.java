package io.connmon.exporter;

import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Inbound versus outbound under churn: a web service whose clients come and go from random ports, restarts of
 * that service (its listener gone for a while, its accepted connections left in TIME_WAIT), and a few real
 * outbound destinations. Minutes of it are simulated with a sequence of snapshots 15 seconds apart (the
 * snapshots carry their own time), so nothing sleeps.
 */
class InboundOutboundTest {

    /** The real destinations this host connects to. */
    private static final List<Integer> DESTINATIONS = List.of(443, 5432, 6379, 3306, 9200, 11211, 8443, 25);
    private static final Instant START = Instant.parse("2026-11-24T18:00:00Z");

    private final Random random = new Random(13);

    /** One moment of the host: the service on :8080 listens unless {@code restarting}. */
    private List<SocketRecord> host(boolean listening, List<SocketRecord> leftovers) {
        List<SocketRecord> s = new ArrayList<>();
        if (listening) {
            s.add(listen("0.0.0.0", 8080));
        }
        // 30 clients of the web service, each from a fresh random port (other hosts' ephemeral ranges).
        if (listening) {
            for (int i = 0; i < 30; i++) {
                s.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 8080, "10.0.9." + i, 32768 + random.nextInt(28232)));
            }
        }
        s.addAll(leftovers);
        // Two connections to each real destination, from this host's ephemeral ports.
        for (int d = 0; d < DESTINATIONS.size(); d++) {
            for (int i = 0; i < 2; i++) {
                s.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 33000 + random.nextInt(20000), "10.0.5." + d,
                        DESTINATIONS.get(d)));
            }
        }
        return s;
    }

    /** The server-side TIME_WAIT sockets a restart leaves: accepted connections to :8080 from random ports. */
    private List<SocketRecord> timeWaits(int n) {
        List<SocketRecord> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            s.add(tcp(SocketState.TIME_WAIT, "10.0.0.1", 8080, "10.0.8." + (i % 250), 32768 + random.nextInt(28232)));
        }
        return s;
    }

    private static Snapshot at(Duration t, List<SocketRecord> sockets) {
        return new Snapshot(START.plus(t), "h", Sockets.table(sockets), Sockets.stats(), Duration.ofMillis(5),
                System.nanoTime());
    }

    private static Exposition render(SocketMetrics metrics, Snapshot s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, MetricSnapshots.of(metrics.build(s).toArray(
                new io.prometheus.metrics.model.snapshots.MetricSnapshot[0])), EscapingScheme.ALLOW_UTF8);
        return Exposition.parse(out.toString(StandardCharsets.UTF_8));
    }

    private static SocketMetrics metrics(MetricsConfig config) {
        return new SocketMetrics(null, config, "test");
    }

    @Test
    void thirtyFiveMinutesOfChurnAndRestartsKeepOutboundSeriesToTheRealDestinations() throws IOException {
        SocketMetrics metrics = metrics(MetricsConfig.DEFAULT);
        Set<String> seriesEver = new TreeSet<>();
        for (int step = 0; step < 35 * 4; step++) {
            Duration t = Duration.ofSeconds(15L * step);
            // The service restarts at 10 and 25 minutes: 45 seconds without a listener, 200 TIME_WAITs left.
            boolean restarting = step >= 40 && step < 43 || step >= 100 && step < 103;
            List<SocketRecord> leftovers = restarting || step >= 40 && step < 48 || step >= 100 && step < 108
                    ? timeWaits(200) : List.of();
            Exposition m = render(metrics, at(t, host(!restarting, leftovers)));
            for (Exposition.Sample sample : m.samples("connmon_outbound_connections")) {
                seriesEver.add(sample.labels().get("port") + "/" + sample.labels().get("state"));
            }
            for (int port : DESTINATIONS) {
                assertEquals(2, m.value("connmon_outbound_connections", "port", Integer.toString(port),
                        "state", "established"), "step " + step + ", port " + port);
            }
            assertFalse(m.has("connmon_outbound_connections", "port", "other", "state", "time_wait"),
                    "step " + step + ": the service's own TIME_WAITs counted as outbound");
            if (!leftovers.isEmpty()) {
                assertEquals(200, m.value("connmon_inbound_connections", "port", "8080", "state", "time_wait"),
                        "step " + step);
            }
        }
        Set<String> expected = new TreeSet<>();
        for (int port : DESTINATIONS) {
            expected.add(port + "/established");
        }
        assertEquals(expected, seriesEver);
    }

    @Test
    void withoutMemoryAClientsRandomPortIsStillNeverAnOutboundDestination() throws IOException {
        // connmon itself started while the service was down: it never saw the listener.
        SocketMetrics metrics = metrics(MetricsConfig.DEFAULT);
        Exposition m = render(metrics, at(Duration.ZERO, host(false, timeWaits(200))));
        Set<String> ports = m.labelValues("connmon_outbound_connections", "port");
        Set<String> expected = new TreeSet<>();
        for (int port : DESTINATIONS) {
            expected.add(Integer.toString(port));
        }
        expected.add("other");
        assertEquals(expected, ports);
        assertEquals(200, m.value("connmon_outbound_connections", "port", "other", "state", "time_wait"));
    }

    @Test
    void aListenerIsForgottenTenMinutesAfterItWasLastSeen() throws IOException {
        SocketMetrics metrics = metrics(MetricsConfig.DEFAULT);
        List<SocketRecord> leftover = List.of(tcp(SocketState.TIME_WAIT, "10.0.0.1", 8080, "10.0.8.1", 1000));
        render(metrics, at(Duration.ZERO, List.of(listen("0.0.0.0", 8080))));
        Exposition within = render(metrics, at(Duration.ofMinutes(10), leftover));
        assertEquals(1, within.value("connmon_inbound_connections", "port", "8080", "state", "time_wait"));
        Exposition after = render(metrics, at(Duration.ofMinutes(10).plusSeconds(1), leftover));
        assertFalse(after.has("connmon_inbound_connections", "port", "8080", "state", "time_wait"));
        // port 1000 lies outside the ephemeral range: an outbound destination of its own
        assertEquals(1, after.value("connmon_outbound_connections", "port", "1000", "state", "time_wait"));
    }

    @Test
    void aNamedOutboundPortInsideTheEphemeralRangeIsExported() throws IOException {
        MetricsConfig config = new MetricsConfig(100, Set.of(), 20, 1000, 20, Set.of(50000));
        List<SocketRecord> s = List.of(
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.5.1", 50000),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40001, "10.0.5.1", 50001));
        Exposition named = render(metrics(config), at(Duration.ZERO, s));
        assertEquals(1, named.value("connmon_outbound_connections", "port", "50000", "state", "established"));
        assertEquals(1, named.value("connmon_outbound_connections", "port", "other", "state", "established"));
        Exposition unnamed = render(metrics(MetricsConfig.DEFAULT), at(Duration.ZERO, s));
        assertEquals(Set.of("other"), unnamed.labelValues("connmon_outbound_connections", "port"));
        assertEquals(2, unnamed.value("connmon_outbound_connections", "port", "other", "state", "established"));
    }

    @Test
    void negativeCapsAreRefusedByName() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new MetricsConfig(-1, Set.of(), 20, 1000));
        assertTrue(e.getMessage().startsWith("inboundPortsMax"), e.getMessage());
    }
}
