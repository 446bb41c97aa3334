package io.connmon.exporter;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.procfs.ProcNetParser;
import io.connmon.parser.source.procfs.ProcNetTableReader;

import io.connmon.bench.ProcNetTableGenerator;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Renders one 200,000-socket {@link Snapshot} (the generated 100,000-line tcp and tcp6 tables of
 * {@link ProcNetTableGenerator}, parsed into a {@link CompactSocketList} as {@code ProcfsSocketSource} holds them)
 * as {@code /metrics} and {@code /snapshot} render it. One operation is one whole rendering: scores are ms per
 * rendering and, with {@code -prof gc}, {@code gc.alloc.rate.norm} is bytes allocated per rendering.
 *
 * <ul>
 *   <li>{@code metrics}: {@link SocketMetrics#build} (the {@link SocketSummary} pass over the sockets and the
 *       metric families) and the families written in the Prometheus text format: what a scrape costs the first
 *       time it sees a snapshot ({@code SocketMetrics} caches the families per snapshot after that).
 *   <li>{@code metricsFamiliesOnly}: {@link SocketMetrics#build} alone, to split the above.
 *   <li>{@code json}: {@link SnapshotJson#write} of every socket, the whole {@code /snapshot} document.
 *   <li>{@code jsonTimeWait}: the same for {@code /snapshot?state=time_wait}.
 * </ul>
 *
 * <p>Output goes to {@link OutputStream#nullOutputStream()}; the setup prints the size of each document once.
 * In package {@code io.connmon.exporter} (of the bench module, on the class path) to reach the package-private
 * {@code SocketMetrics.build}. Same forked JVM as {@code ParseBenchmark}: serial collector, 256 MiB fixed heap.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RenderBenchmark {

    private static final int LINES = ProcNetTableGenerator.LINES;

    private Snapshot snapshot;
    private SocketMetrics metrics;
    private SocketQuery timeWait;
    private final PrometheusTextFormatWriter text = new PrometheusTextFormatWriter(false);
    private final OutputStream sink = OutputStream.nullOutputStream();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        CompactSocketList.Builder b4 = parse("net/tcp", ProcNetTableGenerator.tcp(), Family.IPV4);
        CompactSocketList.Builder b6 = parse("net/tcp6", ProcNetTableGenerator.tcp6(), Family.IPV6);
        SocketTable table = new SocketTable("procfs", CompactSocketList.of(List.of(b4, b6)), List.of());
        NetStats stats = new NetStats(Map.of(), Map.of(), new PortRange(32768, 60999), List.of());
        snapshot = new Snapshot(Instant.now(), "bench", table, stats, Duration.ofMillis(100), System.nanoTime());
        // Only build() is called: the service is never asked for a snapshot.
        metrics = new SocketMetrics(null, MetricsConfig.DEFAULT, "bench");
        timeWait = SocketQuery.parse(Map.of("state", List.of("time_wait")));

        if (snapshot.sockets().size() != 2 * LINES) {
            throw new IllegalStateException("snapshot holds " + snapshot.sockets().size() + " sockets");
        }
        long tw = snapshot.sockets().stream().filter(r -> r.state() == SocketState.TIME_WAIT).count();

        Counting m = new Counting();
        List<MetricSnapshot> families = metrics.build(snapshot);
        text.write(m, snapshots(families));
        String body = new String(m.head.toByteArray(), StandardCharsets.UTF_8);
        if (!body.contains("connmon_sockets{family=\"ipv6\",protocol=\"tcp\",state=\"time_wait\"}")
                || !body.contains("connmon_ephemeral_ports_used ")) {
            throw new IllegalStateException("unexpected /metrics body:\n" + body);
        }
        int series = 0;
        for (MetricSnapshot f : families) {
            series += f.getDataPoints().size();
        }
        Counting all = new Counting();
        SnapshotJson.write(snapshot, SocketQuery.ALL, all, false);
        Counting filtered = new Counting();
        SnapshotJson.write(snapshot, timeWait, filtered, false);
        String head = new String(all.head.toByteArray(), 0, Math.min(all.head.size(), 300), StandardCharsets.UTF_8);
        if (!head.contains("\"total\":" + 2 * LINES)) {
            throw new IllegalStateException("unexpected /snapshot start: " + head);
        }
        System.out.printf("%nsnapshot: %,d sockets (%,d TIME_WAIT)%n"
                + "metrics: %d families, %,d series, %,d bytes of text%n"
                + "json (all): %,d bytes, %.1f bytes/socket%n"
                + "json (state=time_wait): %,d bytes%n",
                snapshot.sockets().size(), tw, families.size(), series, m.count, all.count,
                all.count / (double) snapshot.sockets().size(), filtered.count);
    }

    private static CompactSocketList.Builder parse(String name, ProcNetTableGenerator.Table t, Family family) {
        CompactSocketList.Builder b = new CompactSocketList.Builder(LINES);
        FileReport r = new ProcNetTableReader().read(name, Channels.newChannel(new ByteArrayInputStream(t.bytes())),
                new ProcNetParser(Protocol.TCP, family, ByteOrder.nativeOrder()), b);
        if (r.records() != LINES || r.skipped() != 0 || r.failed() || b.size() != LINES) {
            throw new IllegalStateException("parsing the generated " + name + " failed: " + r);
        }
        return b;
    }

    private static MetricSnapshots snapshots(List<MetricSnapshot> families) {
        MetricSnapshots.Builder b = MetricSnapshots.builder();
        for (MetricSnapshot f : families) {
            b.metricSnapshot(f);
        }
        return b.build();
    }

    /** The socket summary, the families and the text format of one snapshot. */
    @Benchmark
    public void metrics() throws IOException {
        text.write(sink, snapshots(metrics.build(snapshot)));
    }

    /** The socket summary and the families, no text. */
    @Benchmark
    public List<MetricSnapshot> metricsFamiliesOnly() {
        return metrics.build(snapshot);
    }

    /** The whole /snapshot document. */
    @Benchmark
    public void json() throws IOException {
        SnapshotJson.write(snapshot, SocketQuery.ALL, sink, false);
    }

    /** /snapshot?state=time_wait. */
    @Benchmark
    public void jsonTimeWait() throws IOException {
        SnapshotJson.write(snapshot, timeWait, sink, false);
    }

    /** Counts bytes and keeps the first 1 MiB. */
    private static final class Counting extends OutputStream {
        long count;
        final ByteArrayOutputStream head = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
            count++;
            if (head.size() < (1 << 20)) {
                head.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
            if (head.size() < (1 << 20)) {
                head.write(b, off, Math.min(len, (1 << 20) - head.size()));
            }
        }
    }
}
