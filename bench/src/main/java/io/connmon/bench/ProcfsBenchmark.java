package io.connmon.bench;

import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SourceException;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link ProcfsSocketSource#collect()} over a temporary proc tree holding the generated 100,000-line
 * {@code net/tcp} and {@code net/tcp6} (and header-only {@code net/udp}, {@code net/udp6}): the parse plus
 * opening and reading regular files through a {@code FileChannel} (from the page cache) and the immutable copy
 * {@code SocketTable} makes. One operation is one line of the 200,000. The kernel's own cost of printing the
 * real files (about 1.6 µs a line) is not in it: only a reading of the live /proc has that.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ProcfsBenchmark {

    static final int LINES = 2 * ProcNetTableGenerator.LINES;

    /** The kernel's udp header, padded to 127 characters like every udp line. */
    static final String UDP_HEADER = String.format("%-127s%n",
            "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
                    + " ref pointer drops");
    static final String UDP6_HEADER = "  sl  local_address                         remote_address"
            + "                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer"
            + " drops\n";

    private Path root;
    private ProcfsSocketSource source;

    @Setup(Level.Trial)
    public void setUp() throws IOException, SourceException {
        root = Files.createTempDirectory("connmon-bench-proc");
        Path net = Files.createDirectories(root.resolve("net"));
        Files.write(net.resolve("tcp"), ProcNetTableGenerator.tcp().bytes());
        Files.write(net.resolve("tcp6"), ProcNetTableGenerator.tcp6().bytes());
        Files.writeString(net.resolve("udp"), UDP_HEADER, StandardCharsets.US_ASCII);
        Files.writeString(net.resolve("udp6"), UDP6_HEADER, StandardCharsets.US_ASCII);
        source = new ProcfsSocketSource(root);
        SocketTable t = source.collect();
        if (t.sockets().size() != LINES || t.skippedLines() != 0) {
            throw new IllegalStateException("unexpected collection of " + root + ": " + t.inputs());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (root == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public SocketTable tempTreeCollect() throws SourceException {
        return source.collect();
    }

    /** Reports what the tree held; for a reader of the logs. */
    static String describe(SocketTable t) {
        StringBuilder sb = new StringBuilder();
        for (FileReport r : t.inputs()) {
            sb.append(r.name()).append('=').append(r.records()).append(' ');
        }
        return sb.toString().trim();
    }
}
