package io.connmon.exporter;

import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InputStateMetricsTest {

    private final List<String> log = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            log.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        Logger.getLogger("connmon").addHandler(handler);
    }

    @AfterEach
    void stopListening() {
        Logger.getLogger("connmon").removeHandler(handler);
    }

    /** A source whose inputs are whatever the test sets next. */
    private static final class Inputs implements SocketSource {
        volatile List<FileReport> next;

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public SocketTable collect() {
            return new SocketTable("fake", List.of(), next);
        }
    }

    private static final FileReport TCP_READ = new FileReport("net/tcp", true, 0, 0, List.of(), null);
    private static final FileReport TCP_MISSING = FileReport.missing("net/tcp",
            "but net/udp is there (IPv4 cannot be turned off)");
    private static final FileReport UDP_READ = new FileReport("net/udp", true, 0, 0, List.of(), null);
    private static final FileReport TCP6_ABSENT = FileReport.absent("net/tcp6");

    private static List<String> scrape(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("connmon_input_state{"))
                .collect(Collectors.toList());
    }

    @Test
    void aMissingNetTcpIsAFailedInputWhileConnmonStaysUp(@org.junit.jupiter.api.io.TempDir java.nio.file.Path root)
            throws Exception {
        // The procfs source on a tree where net/tcp is gone but net/udp reads: the collection succeeds, and the
        // metric says what it cannot know.
        java.nio.file.Files.createDirectories(root.resolve("net"));
        java.nio.file.Files.writeString(root.resolve("net/udp"), "   sl  local_address rem_address   st tx_queue "
                + "rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
                + "  701: 25DEFE0A:14E9 00000000:0000 07 00000000:00000340 00:00000000 00000000     0        0 "
                + "114004 2 00000000d380eab5 0\n");
        SnapshotService service = new SnapshotService(
                new io.connmon.parser.source.procfs.ProcfsSocketSource(root, java.nio.ByteOrder.LITTLE_ENDIAN),
                Sockets::stats, Duration.ZERO, Sockets.tickingClock(), "testhost");
        InputStateMetrics inputs = new InputStateMetrics(service);
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(inputs);
        service.addListener(inputs);
        assertEquals(1, service.current().sockets().size());
        List<String> lines = scrape(registry);
        assertEquals(true, lines.contains("connmon_input_state{input=\"net/tcp\",state=\"failed\"} 1.0"), lines::toString);
        assertEquals(true, lines.contains("connmon_input_state{input=\"net/udp\",state=\"read\"} 1.0"), lines::toString);
        assertEquals(true, lines.contains("connmon_input_state{input=\"net/tcp6\",state=\"absent\"} 1.0"), lines::toString);
        assertEquals(List.of("WARNING net/tcp: failed, its data is unknown: absent, but net/udp is there "
                + "(IPv4 cannot be turned off)", "INFO net/tcp6: absent, as expected (no data)",
                "INFO net/udp6: absent, as expected (no data)"), log);
    }

    @Test
    void rendersEachInputsStateAndLogsEachChangeOnce() throws Exception {
        Inputs source = new Inputs();
        SnapshotService service = new SnapshotService(source, Sockets::stats, Duration.ZERO, Sockets.tickingClock(),
                "testhost");
        InputStateMetrics inputs = new InputStateMetrics(service);
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(inputs);
        service.addListener(inputs);

        assertEquals(List.of(), scrape(registry)); // nothing collected yet

        source.next = List.of(TCP_MISSING, TCP6_ABSENT, UDP_READ);
        service.current();
        assertEquals(List.of(
                "connmon_input_state{input=\"net/tcp\",state=\"absent\"} 0.0",
                "connmon_input_state{input=\"net/tcp\",state=\"failed\"} 1.0",
                "connmon_input_state{input=\"net/tcp\",state=\"read\"} 0.0",
                "connmon_input_state{input=\"net/tcp6\",state=\"absent\"} 1.0",
                "connmon_input_state{input=\"net/tcp6\",state=\"failed\"} 0.0",
                "connmon_input_state{input=\"net/tcp6\",state=\"read\"} 0.0",
                "connmon_input_state{input=\"net/udp\",state=\"absent\"} 0.0",
                "connmon_input_state{input=\"net/udp\",state=\"failed\"} 0.0",
                "connmon_input_state{input=\"net/udp\",state=\"read\"} 1.0"), scrape(registry));
        assertEquals(List.of(
                "WARNING net/tcp: failed, its data is unknown: absent, but net/udp is there (IPv4 cannot be turned off)",
                "INFO net/tcp6: absent, as expected (no data)"), log);

        // The same states again: no new line, however many collections.
        service.current();
        service.current();
        assertEquals(2, log.size());

        source.next = List.of(TCP_READ, TCP6_ABSENT, UDP_READ);
        service.current();
        assertEquals("INFO net/tcp: read again (was failed)", log.get(2));
        assertEquals(3, log.size());
        assertEquals("connmon_input_state{input=\"net/tcp\",state=\"read\"} 1.0", scrape(registry).get(2));

        source.next = List.of(TCP_READ, TCP6_ABSENT, new FileReport("net/udp", true, 3, 0, List.of(),
                "read failed after line 4: No such file or directory"));
        service.current();
        assertEquals(List.of("WARNING net/udp: failed, its data is unknown: read failed after line 4: "
                + "No such file or directory"), log.subList(3, log.size()));
    }
}
