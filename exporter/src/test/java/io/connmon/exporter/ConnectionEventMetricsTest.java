package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The counters from events and snapshots fed by hand: exact opened, the gauges' labels, listener changes. */
class ConnectionEventMetricsTest {

    private static final Instant START = Instant.parse("2026-11-25T12:00:00Z");
    private static final long LOOPBACK = 0x7F000001L;

    /** A feed whose events the test writes. */
    static final class Feed implements ConnectionEvents {
        final ClosedConnections closed = new ClosedConnections(10);
        long lost;

        @Override
        public ClosedConnections closed() {
            return closed;
        }

        @Override
        public long lost() {
            return lost;
        }

        @Override
        public long failures() {
            return 0;
        }

        @Override
        public String unavailableReason() {
            return null;
        }

        void close(int localPort, int remotePort, long sent, long received, long retrans, long rttMicros) {
            closed.closed(0, Family.IPV4, 0, LOOPBACK, localPort, 0, LOOPBACK, remotePort, 1, sent, received,
                    retrans, rttMicros);
        }
    }

    private final List<String> log = new ArrayList<>();
    private int step;

    private Exposition scrape(SocketMetrics metrics, List<SocketRecord> sockets) throws IOException {
        Snapshot s = new Snapshot(START.plus(Duration.ofSeconds(15L * step++)), "h", Sockets.table(sockets),
                Sockets.stats(), Duration.ofMillis(5), System.nanoTime());
        return expose(metrics.build(s));
    }

    /** The families as Prometheus text, parsed back. */
    private static Exposition expose(List<MetricSnapshot> families) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, MetricSnapshots.of(families.toArray(new MetricSnapshot[0])),
                EscapingScheme.ALLOW_UTF8);
        return Exposition.parse(out.toString(StandardCharsets.UTF_8));
    }

    /**
     * Advances {@code events} over two snapshots of a listener on 8080 with one connection to it, 15 s apart,
     * and returns the second with its summary: the classification the RTT samples use.
     */
    private static Advanced twoSnapshots(ConnectionEventMetrics events) {
        List<SocketRecord> sockets = List.of(Sockets.listen("0.0.0.0", 8080), estab(8080, 40001));
        Snapshot first = new Snapshot(START, "h", Sockets.table(sockets), Sockets.stats(), Duration.ofMillis(5),
                System.nanoTime());
        events.families(first, new SocketSummary(first.sockets(), Sockets.EPHEMERAL, MetricsConfig.DEFAULT),
                MetricsConfig.DEFAULT);
        Snapshot second = new Snapshot(START.plusSeconds(15), "h", Sockets.table(sockets), Sockets.stats(),
                Duration.ofMillis(5), System.nanoTime());
        SocketSummary sum = new SocketSummary(second.sockets(), Sockets.EPHEMERAL, MetricsConfig.DEFAULT);
        events.families(second, sum, MetricsConfig.DEFAULT);
        return new Advanced(second, sum);
    }

    private record Advanced(Snapshot second, SocketSummary sum) {
    }

    private SocketMetrics metrics(ConnectionEvents feed, MetricsConfig config) {
        SocketMetrics m = new SocketMetrics(null, config, "test");
        m.connectionEvents(feed, log::add);
        return m;
    }

    private static SocketRecord estab(int localPort, int remotePort) {
        return Sockets.tcp(SocketState.ESTABLISHED, "127.0.0.1", localPort, "127.0.0.1", remotePort);
    }

    @Test
    void liveConnectionsByKeyComeFromTheGaugesRows() {
        SocketSummary sum = new SocketSummary(List.of(
                Sockets.listen("0.0.0.0", 8080),
                estab(8080, 40001),
                estab(8080, 40002),
                Sockets.tcp(SocketState.TIME_WAIT, "127.0.0.1", 8080, "127.0.0.1", 40003), // not live
                Sockets.tcp(SocketState.NEW_SYN_RECV, "127.0.0.1", 8080, "127.0.0.1", 40004), // not yet
                Sockets.tcp(SocketState.CLOSE_WAIT, "127.0.0.1", 40005, "127.0.0.1", 5432),
                estab(40006, 5432),
                estab(9000, 45000), // outbound to an ephemeral remote port: folded
                Sockets.tcp(SocketState.SYN_SENT, "127.0.0.1", 9001, "127.0.0.1", 46000)), // folded as well
                Sockets.EPHEMERAL, MetricsConfig.DEFAULT);
        long[] live = ConnectionEventMetrics.liveByKey(sum,
                ConnectionEventMetrics.foldedOutbound(Sockets.EPHEMERAL, Set.of()));
        assertEquals(List.of(
                        (long) ClosedConnections.key(ClosedConnections.INBOUND, 8080) << 32 | 2,
                        (long) ClosedConnections.key(ClosedConnections.OUTBOUND, 0) << 32 | 2,
                        (long) ClosedConnections.key(ClosedConnections.OUTBOUND, 5432) << 32 | 2),
                java.util.Arrays.stream(live).boxed().toList());
    }

    @Test
    void foldedOutboundIsTheEphemeralRangeButTheNamedPorts() {
        boolean[] fold = ConnectionEventMetrics.foldedOutbound(Sockets.EPHEMERAL, Set.of(40000, 443));
        assertFalse(fold[32767]);
        assertTrue(fold[32768]);
        assertFalse(fold[40000]);
        assertTrue(fold[40001]);
        assertTrue(fold[60999]);
        assertFalse(fold[61000]);
        assertFalse(fold[443]);
        assertFalse(ConnectionEventMetrics.foldedOutbound(null, Set.of(443))[40000]);
    }

    @Test
    void openedIsClosedPlusLiveNowMinusLiveThen() throws IOException {
        Feed feed = new Feed();
        SocketMetrics m = metrics(feed, MetricsConfig.DEFAULT);
        SocketRecord listener = Sockets.listen("0.0.0.0", 8080);
        // two live inbound connections at the first scrape (the baseline)
        scrape(m, List.of(listener, estab(8080, 40001), estab(8080, 40002)));
        // between scrapes: 40001 closes, 5 short ones open and close, 3 new ones stay open
        feed.close(8080, 40001, 100, 10, 0, 200);
        for (int i = 0; i < 5; i++) {
            feed.close(8080, 41000 + i, 1000, 20, 2, 30_000);
        }
        Exposition e = scrape(m, List.of(listener, estab(8080, 40002), estab(8080, 40003), estab(8080, 40004),
                estab(8080, 40005),
                Sockets.tcp(SocketState.TIME_WAIT, "127.0.0.1", 8080, "127.0.0.1", 41000)));
        String[] in8080 = {"direction", "inbound", "port", "8080"};
        assertEquals(6, e.value("connmon_connections_closed_total", in8080));
        assertEquals(5 + 3, e.value("connmon_connections_opened_total", in8080), "6 closed + 4 live - 2 live");
        assertEquals(5100, e.value("connmon_connections_closed_sent_bytes_total", in8080));
        assertEquals(110, e.value("connmon_connections_closed_received_bytes_total", in8080));
        assertEquals(10, e.value("connmon_connections_closed_retransmitted_segments_total", in8080));
        assertEquals(1, e.value("connmon_connections_closed_rtt_seconds_bucket", "direction", "inbound", "port", "8080",
                "le", "2.5E-4"));
        assertEquals(6, e.value("connmon_connections_closed_rtt_seconds_bucket", "direction", "inbound", "port", "8080",
                "le", "0.05"));
        assertEquals(0.2 / 1000 + 5 * 0.03, e.value("connmon_connections_closed_rtt_seconds_sum", in8080), 1e-9);
        assertEquals(0, e.value("connmon_connections_opened_inconsistencies_total"));
        assertEquals(1, e.value("connmon_events_up"));
        // the gauge of the same port exists with the same labels (bar direction)
        assertTrue(e.has("connmon_inbound_connections", "port", "8080", "state", "established"));

        // a connection that vanished from the dump without an event: clamped and counted, never negative
        Exposition e3 = scrape(m, List.of(listener));
        assertEquals(8, e3.value("connmon_connections_opened_total", in8080));
        assertEquals(1, e3.value("connmon_connections_opened_inconsistencies_total"));
    }

    @Test
    void outboundFollowsTheGaugesEphemeralRuleAndNamedPorts() throws IOException {
        Feed feed = new Feed();
        SocketMetrics m = metrics(feed, new MetricsConfig(100, Set.of(), 20, 1000, 20, Set.of(50000)));
        scrape(m, List.of());
        feed.close(45000, 5432, 1, 1, 0, 100); // to a database
        feed.close(45001, 33333, 1, 1, 0, 100); // to an ephemeral-range port: a client's random port
        feed.close(45002, 50000, 1, 1, 0, 100); // in the range but named
        Exposition e = scrape(m, List.of());
        assertEquals(1, e.value("connmon_connections_closed_total", "direction", "outbound", "port", "5432"));
        assertEquals(1, e.value("connmon_connections_closed_total", "direction", "outbound", "port", "other"));
        assertEquals(1, e.value("connmon_connections_closed_total", "direction", "outbound", "port", "50000"));
        assertFalse(e.labelValues("connmon_connections_closed_total", "port").contains("33333"));
        for (String port : e.labelValues("connmon_outbound_connections", "port")) {
            assertTrue(e.has("connmon_connections_opened_total", "direction", "outbound", "port", port),
                    "every outbound gauge port has a counter: " + port);
        }
    }

    @Test
    void theCapSendsNewPortsToOther() throws IOException {
        Feed feed = new Feed();
        SocketMetrics m = metrics(feed, new MetricsConfig(100, Set.of(), 2, 1000, 20, Set.of()));
        scrape(m, List.of());
        for (int port = 1000; port < 1005; port++) {
            feed.close(45000, port, 1, 1, 0, 100);
        }
        Exposition e = scrape(m, List.of());
        assertEquals(Set.of("1000", "1001", "other"), e.labelValues("connmon_connections_closed_total", "port"));
        assertEquals(3, e.value("connmon_connections_closed_total", "direction", "outbound", "port", "other"));
    }

    @Test
    void listenerChangesAreLoggedAndCounted() throws IOException {
        Feed feed = new Feed();
        SocketMetrics m = metrics(feed, MetricsConfig.DEFAULT);
        scrape(m, List.of(Sockets.listen("0.0.0.0", 22)));
        Exposition e = scrape(m, List.of(Sockets.listen("127.0.0.1", 4444), Sockets.udp("0.0.0.0", 53)));
        assertEquals(1, e.value("connmon_listener_changes_total", "change", "appeared"), "UDP sockets are not");
        assertEquals(1, e.value("connmon_listener_changes_total", "change", "disappeared"));
        assertTrue(log.contains("listener appeared: tcp 127.0.0.1:4444"), log.toString());
        assertEquals(2, log.size(), log.toString());
        assertTrue(log.contains("listener disappeared: tcp 0.0.0.0:22"), log.toString());
    }

    @Test
    void withoutEventsTheCountersAreAbsentAndTheReasonSaidOnce() throws IOException {
        SocketMetrics m = metrics(ConnectionEvents.unavailable("the socket source is procfs"), MetricsConfig.DEFAULT);
        scrape(m, List.of());
        Exposition e = scrape(m, List.of(estab(40000, 5432)));
        assertEquals(0, e.value("connmon_events_up"));
        assertTrue(e.samples("connmon_connections_opened_total").isEmpty());
        assertTrue(e.samples("connmon_connections_closed_total").isEmpty());
        assertTrue(e.samples("connmon_events_lost_total").isEmpty());
        assertEquals(1, log.stream().filter(l -> l.contains("the socket source is procfs")).count());
        assertEquals(0, e.value("connmon_listener_changes_total", "change", "appeared"));
    }

    @Test
    void lostEventsAreExported() throws IOException {
        Feed feed = new Feed();
        feed.lost = 42;
        Exposition e = scrape(metrics(feed, MetricsConfig.DEFAULT), List.of());
        assertEquals(42, e.value("connmon_events_lost_total"));
    }

    @Test
    void theLiveRttHistogramUsesTheCountersLabels() throws IOException {
        Feed feed = new Feed();
        ConnectionEventMetrics events = new ConnectionEventMetrics(feed, log::add);
        Advanced advanced = twoSnapshots(events);
        Snapshot second = advanced.second();
        SocketSummary sum = advanced.sum();
        Snapshot info = new Snapshot(START.plusSeconds(20), "h", Sockets.table(List.of(
                withRtt(8080, 40001, 80), withRtt(8080, 40002, 3_000), withRtt(45000, 443, 40_000))),
                Sockets.stats(), Duration.ofMillis(5), System.nanoTime());
        events.sampleRtt(info);
        Exposition e = expose(events.families(second, sum, MetricsConfig.DEFAULT));
        assertEquals(1, e.value("connmon_connections_rtt_seconds_bucket", "direction", "inbound", "port", "8080",
                "le", "1.0E-4"));
        assertEquals(2, e.value("connmon_connections_rtt_seconds_bucket", "direction", "inbound", "port", "8080",
                "le", "0.005"));
        // port 443 has no counter series yet: its connection counts in other, as the counters would
        assertEquals(1, e.value("connmon_connections_rtt_seconds_bucket", "direction", "outbound", "port", "other",
                "le", "0.05"));
        assertEquals(0.00308, e.value("connmon_connections_rtt_seconds_gsum", "direction", "inbound", "port", "8080"),
                1e-9);
    }

    @Test
    void anRttSampleTakenOneFamilyAtATimeCountsEachConnectionOnce() throws IOException {
        Feed feed = new Feed();
        ConnectionEventMetrics events = new ConnectionEventMetrics(feed, log::add);
        assertEquals(null, events.startRttSample(), "no snapshot yet to classify with");
        Advanced advanced = twoSnapshots(events);
        Snapshot second = advanced.second();
        SocketSummary sum = advanced.sum();
        // A source that cannot filter by family hands both families to each part: each part counts its own.
        Snapshot info = new Snapshot(START.plusSeconds(20), "h", Sockets.table(List.of(
                withRtt(8080, 40001, 80), withRtt(8080, 40002, 3_000), withRtt6(8080, 40003, 90))),
                Sockets.stats(), Duration.ofMillis(5), System.nanoTime());
        ConnectionEventMetrics.RttSample sample = events.startRttSample();
        sample.add(info, Family.IPV4);
        sample.add(info, Family.IPV6);
        events.publish(sample);
        Exposition e = expose(events.families(second, sum, MetricsConfig.DEFAULT));
        assertEquals(2, e.value("connmon_connections_rtt_seconds_bucket", "direction", "inbound", "port", "8080",
                "le", "1.0E-4"));
        assertEquals(3, e.value("connmon_connections_rtt_seconds_gcount", "direction", "inbound", "port", "8080"));
    }

    private static SocketRecord withRtt6(int localPort, int remotePort, long rttMicros) {
        return new SocketRecord(io.connmon.parser.model.Protocol.TCP, Family.IPV6, SocketState.ESTABLISHED, 0,
                1, localPort, 0, 1, remotePort, 0, 0, 1000, 1, 0, 0, 0, 1, 0, -1, 0,
                new io.connmon.parser.model.TcpInfo(rttMicros, 1, 0, 1, 1, 1));
    }

    private static SocketRecord withRtt(int localPort, int remotePort, long rttMicros) {
        return new SocketRecord(io.connmon.parser.model.Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0,
                LOOPBACK, localPort, 0, LOOPBACK, remotePort, 0, 0, 1000, 1, 0, 0, 0, 1, 0, -1, 0,
                new io.connmon.parser.model.TcpInfo(rttMicros, 1, 0, 1, 1, 1));
    }
}
