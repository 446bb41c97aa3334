package io.connmon.bench;

import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SourceException;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import java.nio.file.Path;
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
 * {@link ProcfsSocketSource#collect()} of this host's live {@code /proc}: the kernel printing the tables
 * included. One operation is one whole collection (the socket count varies from host to host and from moment
 * to moment, so no per-line figure): the score is microseconds per collection. Setup prints how many sockets
 * there were.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LiveProcBenchmark {

    private ProcfsSocketSource source;

    @Setup(Level.Trial)
    public void setUp() throws SourceException {
        source = new ProcfsSocketSource(Path.of("/proc"));
        SocketTable t = source.collect();
        System.out.printf("%nlive /proc: %,d sockets (%s), %d lines skipped%n", t.sockets().size(),
                ProcfsBenchmark.describe(t), t.skippedLines());
    }

    @Benchmark
    public SocketTable liveCollect() throws SourceException {
        return source.collect();
    }
}
