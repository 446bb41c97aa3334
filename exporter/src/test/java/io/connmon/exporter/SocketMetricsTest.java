package io.connmon.exporter;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SourceCapabilities;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;

import static io.connmon.exporter.Sockets.ep;
import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static io.connmon.exporter.Sockets.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketMetricsTest {

    @TempDir
    Path tmp;

    /** A registry assembled as the daemon assembles it, over a fake source. */
    private static final class Daemon {
        final SnapshotService service;
        final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final PrometheusRegistry registry = meters.getPrometheusRegistry();

        Daemon(SocketSource source, MetricsConfig config, Supplier<NetStats> stats) {
            this.service = new SnapshotService(source, stats, Duration.ZERO, Sockets.tickingClock(), "testhost");
            registry.register(new SocketMetrics(service, config, "1.2.3"));
            SelfMetrics self = new SelfMetrics();
            self.bindTo(meters);
            SelfMetrics.registerProcessAndJvm(registry);
            service.addListener(self);
        }

        Daemon(List<SocketRecord> sockets) {
            this(new FakeSource(sockets), MetricsConfig.DEFAULT, Sockets::stats);
        }

        /** Collects (as a /metrics request does), then renders. */
        Exposition scrape() {
            try {
                service.current();
            } catch (SourceException e) {
                // as the handler: the scrape still answers
            }
            return Exposition.parse(text(registry));
        }
    }

    /** The registry in the Prometheus text format, as /metrics renders it by default. */
    static String text(PrometheusRegistry registry) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, registry.scrape(),
                    io.prometheus.metrics.config.EscapingScheme.ALLOW_UTF8);
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void everyTcpStateIsAlwaysExportedEvenAtZero() {
        Exposition m = new Daemon(List.of()).scrape();
        for (String family : List.of("ipv4", "ipv6")) {
            for (SocketState st : SocketState.tcpStates()) {
                assertEquals(0, m.value("connmon_sockets", "protocol", "tcp", "family", family, "state", st.label()));
            }
            assertEquals(0, m.value("connmon_sockets", "protocol", "udp", "family", family, "state", "unconn"));
            assertEquals(0, m.value("connmon_sockets", "protocol", "udp", "family", family, "state", "established"));
        }
        assertEquals(2 * 12 + 2 * 2, m.samples("connmon_sockets").size());
        assertEquals("gauge", m.types.get("connmon_sockets"));
    }

    @Test
    void socketsAreCountedByProtocolFamilyAndState() {
        Exposition m = new Daemon(List.of(
                listen("0.0.0.0", 22),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "10.0.0.9", 50000),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "10.0.0.9", 50001),
                tcp(SocketState.TIME_WAIT, "2001:db8::1", 40000, "2001:db8::2", 443),
                SocketRecord.of(Protocol.TCP, SocketState.UNKNOWN, ep("10.0.0.1", 1), ep("10.0.0.2", 2), 0, 0),
                udp("::", 5353))).scrape();
        assertEquals(1, m.value("connmon_sockets", "protocol", "tcp", "family", "ipv4", "state", "listen"));
        assertEquals(2, m.value("connmon_sockets", "protocol", "tcp", "family", "ipv4", "state", "established"));
        assertEquals(1, m.value("connmon_sockets", "protocol", "tcp", "family", "ipv6", "state", "time_wait"));
        assertEquals(1, m.value("connmon_sockets", "protocol", "tcp", "family", "ipv4", "state", "unknown"));
        assertEquals(1, m.value("connmon_sockets", "protocol", "udp", "family", "ipv6", "state", "unconn"));
        assertFalse(m.has("connmon_sockets", "protocol", "tcp", "family", "ipv6", "state", "unknown"));
        assertFalse(m.has("connmon_sockets", "protocol", "tcp", "family", "ipv4", "state", "unconn"));
    }

    @Test
    void listenersAreAnInventoryWithTheirAcceptQueues() {
        Exposition m = new Daemon(List.of(
                listen("127.0.0.1", 9469, 0, 64),
                listen("::", 443, 3, 511),
                listen("::", 443, 2, 511),
                udp("127.0.0.53", 53))).scrape();
        assertEquals(1, m.value("connmon_listeners", "protocol", "tcp", "address", "127.0.0.1", "port", "9469"));
        assertEquals(2, m.value("connmon_listeners", "protocol", "tcp", "address", "::", "port", "443"));
        assertEquals(1, m.value("connmon_listeners", "protocol", "udp", "address", "127.0.0.53", "port", "53"));
        assertEquals(5, m.value("connmon_listener_accept_queue", "address", "::", "port", "443"));
        assertEquals(0, m.value("connmon_listener_accept_queue", "address", "127.0.0.1", "port", "9469"));
        assertEquals(1022, m.value("connmon_listener_accept_queue_limit", "address", "::", "port", "443"));
        assertEquals(64, m.value("connmon_listener_accept_queue_limit", "address", "127.0.0.1", "port", "9469"));
        assertEquals(2, m.samples("connmon_listener_accept_queue").size(), "no accept queue for UDP");
        assertEquals(2, m.samples("connmon_listener_accept_queue_limit").size());
        assertEquals(0, m.value("connmon_listeners_not_exported"));
    }

    @Test
    void aBacklogTheSourceDoesNotKnowIsNotExported() {
        // /proc/net/tcp prints 0 in a listener's tx_queue column: the limit is unknown, not 0.
        Exposition m = new Daemon(new FakeSource(List.of(listen("127.0.0.1", 9469, 2, 0), listen("127.0.0.1", 22, 0, 128)))
                .knows(SourceCapabilities.PROCFS), MetricsConfig.DEFAULT, Sockets::stats).scrape();
        assertEquals(2, m.value("connmon_listener_accept_queue", "address", "127.0.0.1", "port", "9469"));
        assertTrue(m.samples("connmon_listener_accept_queue_limit").isEmpty());
        assertTrue(m.samples("connmon_listener_accept_queue_saturation").isEmpty());
    }

    @Test
    void aKnownBacklogGivesTheLimitAndTheSaturation() {
        // sock_diag: a listener's wqueue is its limit; a backlog of 2 admits 3 connections
        Exposition m = new Daemon(List.of(listen("127.0.0.1", 9469, 3, 2), listen("127.0.0.1", 22, 0, 128),
                listen("127.0.0.1", 7, 0, 0))).scrape();
        assertEquals(2, m.value("connmon_listener_accept_queue_limit", "address", "127.0.0.1", "port", "9469"));
        assertEquals(1.5, m.value("connmon_listener_accept_queue_saturation", "address", "127.0.0.1", "port", "9469"));
        assertEquals(0, m.value("connmon_listener_accept_queue_saturation", "address", "127.0.0.1", "port", "22"));
        assertEquals(0, m.value("connmon_listener_accept_queue_limit", "address", "127.0.0.1", "port", "7"));
        assertFalse(m.has("connmon_listener_accept_queue_saturation", "address", "127.0.0.1", "port", "7"),
                "no ratio over a limit of 0");
    }

    @Test
    void aSeriesWhoseSocketWentAwayLeavesTheExposition() {
        FakeSource source = new FakeSource(n -> n == 1
                ? List.of(listen("0.0.0.0", 8080, 1, 128),
                        tcp(SocketState.ESTABLISHED, "10.0.0.1", 8080, "10.0.0.9", 50000),
                        tcp(SocketState.ESTABLISHED, "10.0.0.1", 41000, "10.0.0.7", 6379),
                        listen("0.0.0.0", 22))
                : List.of(listen("0.0.0.0", 22)));
        Daemon d = new Daemon(source, MetricsConfig.DEFAULT, Sockets::stats);
        Exposition first = d.scrape();
        assertEquals(1, first.value("connmon_listeners", "protocol", "tcp", "address", "0.0.0.0", "port", "8080"));
        assertEquals(1, first.value("connmon_inbound_connections", "port", "8080", "state", "established"));
        assertEquals(1, first.value("connmon_outbound_connections", "port", "6379", "state", "established"));

        Exposition second = d.scrape();
        assertEquals(2, source.calls());
        List<Exposition.Sample> stale = second.samples.stream()
                .filter(s -> "8080".equals(s.labels().get("port")) || "6379".equals(s.labels().get("port")))
                .collect(Collectors.toList());
        assertEquals(List.of(), stale);
        assertEquals(1, second.value("connmon_listeners", "protocol", "tcp", "address", "0.0.0.0", "port", "22"));
    }

    @Test
    void inboundPortsAreCappedAtAHundredByDefaultTheRestSumIntoOther() {
        List<SocketRecord> sockets = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            sockets.add(listen("0.0.0.0", 1000 + i));
            for (int c = 0; c <= i; c++) {
                sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 1000 + i, "10.0.0.9", 30000 + c));
            }
        }
        sockets.add(tcp(SocketState.TIME_WAIT, "10.0.0.1", 1000, "10.0.0.9", 29999));
        Exposition m = new Daemon(sockets).scrape();
        Set<String> ports = m.labelValues("connmon_inbound_connections", "port");
        assertEquals(101, ports.size());
        assertTrue(ports.contains("other"));
        assertTrue(ports.contains("1149"));
        assertFalse(ports.contains("1049"));
        assertEquals(1275, m.value("connmon_inbound_connections", "port", "other", "state", "established"));
        assertEquals(1, m.value("connmon_inbound_connections", "port", "other", "state", "time_wait"));
        assertEquals(150, m.value("connmon_inbound_connections", "port", "1149", "state", "established"));
        // Zero rows are left out, except established which is always there.
        assertFalse(m.has("connmon_inbound_connections", "port", "1149", "state", "time_wait"));
        // All 150 listeners are still in the inventory (a separate, larger cap).
        assertEquals(150 + 0, m.samples("connmon_listeners").size());
    }

    @Test
    void anAllowListNamesTheInboundPorts() {
        Daemon d = new Daemon(new FakeSource(List.of(
                listen("0.0.0.0", 22), listen("0.0.0.0", 80),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "10.0.0.9", 50000),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 80, "10.0.0.9", 50001),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 80, "10.0.0.9", 50002))),
                new MetricsConfig(100, Set.of(22), 20, 1000), Sockets::stats);
        Exposition m = d.scrape();
        assertEquals(Set.of("22", "other"), m.labelValues("connmon_inbound_connections", "port"));
        assertEquals(1, m.value("connmon_inbound_connections", "port", "22", "state", "established"));
        assertEquals(2, m.value("connmon_inbound_connections", "port", "other", "state", "established"));
    }

    @Test
    void outboundConnectionsByRemotePortTopNAndOther() {
        List<SocketRecord> sockets = new ArrayList<>();
        int local = 40000;
        for (int remotePort = 1; remotePort <= 25; remotePort++) {
            for (int c = 0; c < remotePort; c++) {
                sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", local++, "10.0.0.7", remotePort));
            }
        }
        Exposition m = new Daemon(sockets).scrape();
        Set<String> ports = m.labelValues("connmon_outbound_connections", "port");
        assertEquals(21, ports.size());
        assertTrue(ports.contains("25") && ports.contains("6") && ports.contains("other"));
        assertFalse(ports.contains("5"));
        assertEquals(1 + 2 + 3 + 4 + 5, m.value("connmon_outbound_connections", "port", "other", "state",
                "established"));
        assertEquals(25, m.value("connmon_outbound_connections", "port", "25", "state", "established"));
    }

    @Test
    void queuesAreSummedByProtocolWithoutListeners() {
        Exposition m = new Daemon(List.of(
                listen("0.0.0.0", 80, 5, 4096),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 80, "10.0.0.9", 50000, 100, 7),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 41000, "10.0.0.9", 443, 20, 3))).scrape();
        assertEquals(120, m.value("connmon_send_queue_bytes", "protocol", "tcp"));
        assertEquals(10, m.value("connmon_receive_queue_bytes", "protocol", "tcp"));
        assertEquals(0, m.value("connmon_send_queue_bytes", "protocol", "udp"));
        assertEquals(0, m.value("connmon_receive_queue_bytes", "protocol", "udp"));
    }

    @Test
    void ephemeralPortUseAgainstTheRange() {
        Exposition m = new Daemon(List.of(
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.7", 443),
                tcp(SocketState.TIME_WAIT, "10.0.0.1", 40001, "10.0.0.7", 443),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 50000, "10.0.0.8", 5432))).scrape();
        assertEquals(28232, m.value("connmon_ephemeral_ports"));
        assertEquals(3, m.value("connmon_ephemeral_ports_used"));
        assertEquals(2, m.value("connmon_ephemeral_ports_used_max_per_destination"));
        assertEquals(2, m.value("connmon_ephemeral_ports_busiest_destination", "address", "10.0.0.7", "port", "443"));
    }

    @Test
    void withoutAPortRangeTheEphemeralFamiliesAreAbsent() {
        Daemon d = new Daemon(new FakeSource(List.of(tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.7",
                443))), MetricsConfig.DEFAULT, () -> NetStats.EMPTY);
        Exposition m = d.scrape();
        assertTrue(m.samples.stream().noneMatch(s -> s.name().startsWith("connmon_ephemeral")), m.text);
        assertTrue(m.samples.stream().noneMatch(s -> s.name().startsWith("connmon_tcp_")), m.text);
    }

    @Test
    void netstatCountersAreCounters() {
        Exposition m = new Daemon(List.of()).scrape();
        assertEquals("counter", m.types.get("connmon_tcp_active_opens_total"));
        assertEquals(42, m.value("connmon_tcp_active_opens_total"));
        assertEquals(7, m.value("connmon_tcp_passive_opens_total"));
        assertEquals(3, m.value("connmon_tcp_retransmitted_segments_total"));
        assertEquals(5, m.value("connmon_tcp_listen_overflows_total"));
        assertEquals(100, m.value("connmon_udp_datagrams_received_total", "family", "ipv4"));
        assertEquals(60, m.value("connmon_udp_datagrams_received_total", "family", "ipv6"));
        assertEquals(2, m.value("connmon_udp_no_port_total", "family", "ipv4"));
        assertFalse(m.has("connmon_udp_no_port_total", "family", "ipv6"));
        // Counters the kernel did not give are left out rather than exported as 0.
        assertTrue(m.samples("connmon_tcp_attempt_fails_total").isEmpty());
        assertTrue(m.samples("connmon_udp_send_buffer_errors_total").isEmpty());
    }

    @Test
    void beforeAnyCollectionOnlyUpBuildAndSourceAreExported() {
        Daemon d = new Daemon(new FakeSource(List.of()).fail("cannot read"), MetricsConfig.DEFAULT,
                Sockets::stats);
        Exposition m = d.scrape();
        assertEquals(0, m.value("connmon_up"));
        assertEquals(1, m.value("connmon_build_info", "version", "1.2.3"));
        assertEquals(1, m.value("connmon_source_info", "source", "fake"));
        assertTrue(m.samples("connmon_sockets").isEmpty());
        assertTrue(m.samples("connmon_snapshot_age_seconds").isEmpty());
        assertEquals(1, m.value("connmon_collection_errors_total"));
    }

    @Test
    void whenCollectionsFailTheLastGoodSnapshotIsExportedAndItsAgeGrows() throws Exception {
        FakeSource source = new FakeSource(List.of(listen("0.0.0.0", 22)));
        Daemon d = new Daemon(source, MetricsConfig.DEFAULT, Sockets::stats);
        Exposition ok = d.scrape();
        assertEquals(1, ok.value("connmon_up"));
        assertEquals(0, ok.value("connmon_collection_errors_total"));
        double age0 = ok.value("connmon_snapshot_age_seconds");
        assertTrue(age0 >= 0 && age0 < 5, "age " + age0);

        source.fail("net/tcp: permission denied");
        Thread.sleep(300);
        Exposition failed1 = d.scrape();
        Thread.sleep(300);
        Exposition failed2 = d.scrape();
        assertEquals(1, failed1.value("connmon_collection_errors_total"));
        assertEquals(2, failed2.value("connmon_collection_errors_total"));
        double age1 = failed1.value("connmon_snapshot_age_seconds");
        double age2 = failed2.value("connmon_snapshot_age_seconds");
        assertTrue(age1 >= age0 + 0.29, age0 + " then " + age1);
        assertTrue(age2 >= age1 + 0.29, age1 + " then " + age2);
        assertEquals(1, failed2.value("connmon_up"));
        assertEquals(ok.value("connmon_last_success_timestamp_seconds"),
                failed2.value("connmon_last_success_timestamp_seconds"));
        assertEquals(1, failed2.value("connmon_listeners", "protocol", "tcp", "address", "0.0.0.0", "port", "22"));
        assertEquals(3, failed2.value("connmon_collection_duration_seconds_count"));
    }

    @Test
    void selfMetricsDescribeCollectionsParsingAndMemory() throws IOException {
        SocketSource skipping = new SocketSource() {
            @Override
            public String name() {
                return "fake";
            }

            @Override
            public SocketTable collect() {
                return new SocketTable("fake", List.of(listen("0.0.0.0", 22)), List.of(
                        new FileReport("net/tcp", true, 1, 2, List.of("line 3: bad", "line 4: bad"), null),
                        FileReport.absent("net/tcp6")));
            }
        };
        Daemon d = new Daemon(skipping, MetricsConfig.DEFAULT, Sockets::stats);
        d.scrape();
        Exposition m = d.scrape();
        assertEquals(2, m.value("connmon_collection_duration_seconds_count"));
        assertTrue(m.value("connmon_collection_duration_seconds_sum") >= 0);
        assertEquals(4, m.value("connmon_parse_skipped_lines_total", "file", "net/tcp"));
        assertEquals(0, m.value("connmon_parse_skipped_lines_total", "file", "net/tcp6"));
        assertEquals(2, m.value("connmon_last_collection_skipped_lines", "file", "net/tcp"));
        assertEquals(0, m.value("connmon_last_collection_skipped_lines", "file", "net/tcp6"));
        assertEquals(1795543201.0, m.value("connmon_last_success_timestamp_seconds")); // the clock's 2nd tick
        assertTrue(m.value("connmon_last_collection_duration_seconds") >= 0);
        // One way to read collection time: the summary's _count and _sum, no _max family beside it.
        assertEquals("summary", m.types.get("connmon_collection_duration_seconds"));
        assertFalse(m.text.contains("connmon_collection_duration_seconds_max"), m.text);
    }

    @Test
    void theProcessDescribesItselfAsEveryExporterDoes() throws IOException {
        Exposition m = new Daemon(List.of()).scrape();
        for (String name : List.of("process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_start_time_seconds")) {
            assertEquals(1, m.samples(name).size(), name + " in\n" + m.text);
        }
        assertTrue(m.value("process_open_fds") >= 3);
        assertTrue(m.value("process_max_fds") >= m.value("process_open_fds"));
        assertFalse(m.samples("jvm_memory_used_bytes").isEmpty(), m.text);
        assertFalse(m.samples("jvm_gc_collection_seconds_count").isEmpty(), m.text);
        // Host-wide figures are node_exporter's job, and Micrometer's names are gone.
        for (Exposition.Sample sample : m.samples) {
            assertFalse(sample.name().startsWith("system_"), sample.name());
            assertFalse(sample.name().startsWith("process_cpu_usage"), sample.name());
            assertFalse(sample.name().startsWith("process_files_"), sample.name());
        }
        // Resident memory is the kernel's VmRSS (kB), not pages times an assumed page size.
        long vmRssKb = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.split("\\s+")[1]))
                .findFirst().orElseThrow();
        double rss = m.value("process_resident_memory_bytes");
        assertTrue(rss > vmRssKb * 1024.0 / 2 && rss < vmRssKb * 1024.0 * 2, rss + " bytes, VmRSS " + vmRssKb + " kB");
        assertEquals(0, rss % 1024, "VmRSS is counted in kB");
    }

    @Test
    void everyFamilyHasHelpText() {
        List<SocketRecord> sockets = List.of(listen("0.0.0.0", 22), udp("0.0.0.0", 53),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "10.0.0.9", 50000),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.7", 443));
        Exposition m = new Daemon(sockets).scrape();
        assertTrue(m.types.size() > 30, "families: " + m.types.keySet());
        for (String family : m.types.keySet()) {
            String help = m.helps.get(family);
            assertTrue(help != null && !help.isBlank(), "no HELP for " + family);
        }
    }

    @Test
    void theFamiliesOfOneSnapshotAreBuiltOnceAndRebuiltForTheNext() throws Exception {
        SnapshotService service = new SnapshotService(new FakeSource(List.of(listen("0.0.0.0", 22))),
                Sockets::stats, Duration.ZERO, Sockets.tickingClock(), "h");
        SocketMetrics metrics = new SocketMetrics(service, MetricsConfig.DEFAULT, "v");
        service.current();
        MetricSnapshot a = family(metrics.collect(), "connmon_sockets");
        MetricSnapshot b = family(metrics.collect(), "connmon_sockets");
        assertSame(a, b);
        service.current();
        assertNotSame(a, family(metrics.collect(), "connmon_sockets"));
    }

    private static MetricSnapshot family(MetricSnapshots snapshots, String name) {
        for (MetricSnapshot m : snapshots) {
            if (m.getMetadata().getName().equals(name)) {
                return m;
            }
        }
        throw new AssertionError("no family " + name);
    }
}
