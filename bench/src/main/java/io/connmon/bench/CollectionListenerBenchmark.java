package io.connmon.bench;

import io.connmon.exporter.MetricsConfig;
import io.connmon.exporter.Snapshot;
import io.connmon.exporter.SnapshotService;
import io.connmon.exporter.SocketMetrics;
import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;
import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.model.SourceCapabilities;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the daemon does with a collection of 100,000 TCP sockets once the kernel has answered: the collection
 * listener of {@link SocketMetrics} builds the snapshot's families, the per-port gauges and the
 * connections-over-time counters (with a destroy event feed) included.
 *
 * <p>One operation is one collection through {@link SnapshotService#current()} with max-age 0, its source
 * handing back one of two prebuilt tables in turn (a few thousand connections differ between them, and a few
 * hundred destroy events arrive before each), so that the counters see opened and closed connections as they
 * would under churn. The source's own cost is nil: the score is the listeners' work plus a hand-over to the
 * collecting thread. With {@code -prof gc}, {@code gc.alloc.rate.norm} is the bytes a collection allocates
 * besides its socket table.
 *
 * <p>The tables: 300 TCP listeners (250 IPv4, 50 IPv6) on ports 8000-8299; 50,000 client connections from
 * ephemeral ports to 10 of them (a tenth over {@code ::1}, a twentieth of the clients in TIME_WAIT) and their
 * 50,000 server ends; 200 bound UDP sockets and 50 connected ones.
 *
 * <p>The daemon's own JIT and heap: {@code -jvmArgsAppend "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmn2m"}.
 * {@code main} prints the text exposition of a few collections (timestamps and durations left out), for
 * comparing the output of two builds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CollectionListenerBenchmark {

    static final int LISTENERS = 300;
    static final int CLIENTS = 50_000;
    static final int BUSY_PORTS = 10;
    static final int CHURN = 2_000;
    static final PortRange EPHEMERAL = new PortRange(32768, 60999);

    private SnapshotService service;
    private SocketMetrics metrics;
    private ClosedConnections closed;
    private Path procRoot;
    private long events;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        procRoot = Files.createTempDirectory("connmon-bench-proc");
        CompactSocketList a = table(0);
        CompactSocketList b = table(CHURN);
        SocketSource source = new SocketSource() {
            private int n;

            @Override
            public String name() {
                return "netlink";
            }

            @Override
            public SocketTable collect() {
                return new SocketTable("netlink", n++ % 2 == 0 ? a : b, List.of(), SourceCapabilities.NETLINK, 0);
            }
        };
        service = new SnapshotService(source, new NetStatReader(procRoot, () -> EPHEMERAL), java.time.Duration.ZERO);
        metrics = new SocketMetrics(service, MetricsConfig.DEFAULT, "bench");
        closed = new ClosedConnections(1024);
        ClosedConnections feed = closed;
        metrics.connectionEvents(new ConnectionEvents() {
            @Override
            public ClosedConnections closed() {
                return feed;
            }

            @Override
            public long lost() {
                return 0;
            }

            @Override
            public long failures() {
                return 0;
            }

            @Override
            public String unavailableReason() {
                return null;
            }
        }, line -> { });
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Files.deleteIfExists(procRoot);
    }

    /** One collection and its families, as a {@code /metrics} scrape with max-age 0 asks for. */
    @Benchmark
    public Snapshot collection() throws SourceException {
        closeSome(300);
        Snapshot s = service.current();
        metrics.collect();
        return s;
    }

    /** Destroy events of {@code n} client connections (both ends), as the feed would add between collections. */
    private void closeSome(int n) {
        long now = System.currentTimeMillis();
        for (int i = 0; i < n; i++) {
            long k = events++;
            int client = (int) (k % CLIENTS);
            int ephemeral = ephemeralPort(client);
            int port = 8000 + client % BUSY_PORTS;
            long lo = 0x7F000001L;
            closed.closed(now, Family.IPV4, 0, lo, ephemeral, 0, lo, port, k * 2 + 1, 1000, 2000, 0, 150);
            closed.closed(now, Family.IPV4, 0, lo, port, 0, lo, ephemeral, k * 2 + 2, 2000, 1000, 0, 150);
        }
    }

    static int ephemeralPort(int client) {
        return EPHEMERAL.low() + client % (EPHEMERAL.size() - 100);
    }

    /** The sockets, the clients from {@code shift} to {@code shift + CLIENTS}. */
    static CompactSocketList table(int shift) {
        CompactSocketList.Builder b = new CompactSocketList.Builder(2 * CLIENTS + LISTENERS + 250);
        long cookie = 1 + shift * 4L;
        long lo4 = 0x7F000001L;
        for (int i = 0; i < LISTENERS; i++) {
            boolean v6 = i >= LISTENERS - 50;
            append(b, Protocol.TCP, v6 ? Family.IPV6 : Family.IPV4, SocketState.LISTEN, v6 ? 0 : lo4 + (i % 3),
                    8000 + i, 0, 0, i % 7, 128, cookie++);
        }
        for (int c = shift; c < shift + CLIENTS; c++) {
            boolean v6 = c % 10 == 0;
            Family f = v6 ? Family.IPV6 : Family.IPV4;
            long addr = v6 ? 1 : lo4;
            int ephemeral = ephemeralPort(c);
            int port = 8000 + c % BUSY_PORTS;
            SocketState clientState = c % 20 == 0 ? SocketState.TIME_WAIT : SocketState.ESTABLISHED;
            append(b, Protocol.TCP, f, clientState, addr, ephemeral, addr, port, 0, 0, cookie++);
            SocketState serverState = c % 20 == 0 ? SocketState.CLOSE_WAIT : SocketState.ESTABLISHED;
            append(b, Protocol.TCP, f, serverState, addr, port, addr, ephemeral, c % 3, 0, cookie++);
        }
        for (int i = 0; i < 200; i++) {
            append(b, Protocol.UDP, Family.IPV4, SocketState.UNCONN, lo4, 5000 + i, 0, 0, 0, 0, cookie++);
        }
        for (int i = 0; i < 50; i++) {
            append(b, Protocol.UDP, Family.IPV4, SocketState.ESTABLISHED, lo4, 40000 + i, 0x08080808L, 53, 0, 0,
                    cookie++);
        }
        return CompactSocketList.of(List.of(b));
    }

    private static void append(CompactSocketList.Builder b, Protocol p, Family f, SocketState st, long local,
            int localPort, long remote, int remotePort, long receiveQueue, long sendQueue, long cookie) {
        b.append(p, f, st, 0, local, localPort, 0, remote, remotePort, sendQueue, receiveQueue, 1000, cookie, 0, 0, 0,
                cookie, 0, -1, -1);
    }

    /** Prints the exposition of six collections, timestamps and durations left out. */
    public static void main(String[] args) throws Exception {
        CollectionListenerBenchmark bench = new CollectionListenerBenchmark();
        bench.setUp();
        try {
            for (int round = 0; round < 6; round++) {
                bench.collection();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                PrometheusTextFormatWriter.create().write(out, bench.metrics.collect());
                System.out.println("# round " + round);
                for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
                    if (!line.contains("timestamp_seconds") && !line.contains("duration_seconds")
                            && !line.contains("snapshot_age_seconds")) {
                        System.out.println(line);
                    }
                }
            }
        } finally {
            bench.tearDown();
        }
    }
}
