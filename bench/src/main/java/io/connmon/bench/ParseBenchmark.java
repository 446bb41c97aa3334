package io.connmon.bench;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.source.procfs.ProcNetParser;
import io.connmon.parser.source.procfs.ProcNetTableReader;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Parses a generated 100,000-line {@code /proc/net/tcp} and {@code tcp6} held in memory.
 *
 * <p>One operation is one line ({@code @OperationsPerInvocation(100_000)}), so the score is nanoseconds per
 * line and, with {@code -prof gc}, {@code gc.alloc.rate.norm} is bytes allocated per line.
 *
 * <ul>
 *   <li>{@code *ToList}: {@link ProcNetTableReader} over an in-memory channel into an {@code ArrayList}, as
 *       {@code ProcfsSocketSource} does: the daemon's real path minus the file system.
 *   <li>{@code *Count}: the same into a {@link Blackhole}: no list, so no list growth or card marking.
 *   <li>{@code *ParserOnly}: {@link ProcNetParser#parse} called line after line on the whole array, without the
 *       reader's 64 KiB chunking and copies: the parser's own cost.
 *   <li>{@code tcpNewlineScan}: a reference for the cost of touching every byte once.
 * </ul>
 *
 * <p>The forked JVM runs the serial collector, as the daemon does ({@code bin/connmon}), with a fixed 256 MiB heap
 * so that the generated tables (32 MB) and a list of 100,000 records fit without resizing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ParseBenchmark {

    static final int LINES = ProcNetTableGenerator.LINES;

    private byte[] tcp;
    private byte[] tcp6;
    private int tcpFirstLine;
    private int tcp6FirstLine;
    private final ProcNetTableReader reader = new ProcNetTableReader();

    @Setup(Level.Trial)
    public void setUp() {
        ProcNetTableGenerator.Table t4 = ProcNetTableGenerator.tcp();
        ProcNetTableGenerator.Table t6 = ProcNetTableGenerator.tcp6();
        tcp = t4.bytes();
        tcp6 = t6.bytes();
        tcpFirstLine = afterHeader(tcp);
        tcp6FirstLine = afterHeader(tcp6);
        verify(t4, Family.IPV4);
        verify(t6, Family.IPV6);
        System.out.printf("%ntcp: %,d bytes, %.1f bytes/line, %s%ntcp6: %,d bytes, %.1f bytes/line, %s%n",
                tcp.length, t4.bytesPerLine(), t4.stateCounts(), tcp6.length, t6.bytesPerLine(), t6.stateCounts());
    }

    /** The benchmark is void if the parser does not turn the table into exactly the records it holds. */
    private void verify(ProcNetTableGenerator.Table table, Family family) {
        List<SocketRecord> got = new ArrayList<>(LINES);
        FileReport report = reader.read("verify", new ByteArrayChannel(table.bytes()), parser(family), got::add);
        if (report.records() != LINES || report.skipped() != 0 || report.failed() || !got.equals(table.expected())) {
            throw new IllegalStateException("the parser does not reproduce the generated " + family + " table: "
                    + report + (got.size() == LINES ? firstDifference(got, table.expected()) : ""));
        }
        List<SocketRecord> direct = new ArrayList<>(LINES);
        byte[] b = table.bytes();
        ProcNetParser p = parser(family);
        for (int pos = afterHeader(b); pos < b.length; ) {
            pos = p.parse(b, pos, b.length);
            direct.add(p.record());
        }
        if (!direct.equals(table.expected())) {
            throw new IllegalStateException("parser-only loop differs for " + family);
        }
        Map<SocketState, Integer> counts = table.stateCounts();
        if (counts.getOrDefault(SocketState.TIME_WAIT, 0) < LINES / 4) {
            throw new IllegalStateException("too few TIME_WAIT lines: " + counts);
        }
    }

    private static String firstDifference(List<SocketRecord> got, List<SocketRecord> want) {
        for (int i = 0; i < want.size(); i++) {
            if (!want.get(i).equals(got.get(i))) {
                return "; line " + (i + 1) + ": got " + got.get(i) + " want " + want.get(i);
            }
        }
        return "";
    }

    static int afterHeader(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                return i + 1;
            }
        }
        return b.length;
    }

    static ProcNetParser parser(Family family) {
        return new ProcNetParser(Protocol.TCP, family, ByteOrder.nativeOrder());
    }

    private List<SocketRecord> toList(byte[] bytes, Family family) {
        // Sized as ProcfsSocketSource sizes its list after the first collection.
        List<SocketRecord> sockets = new ArrayList<>(LINES + LINES / 8);
        reader.read("net/tcp", new ByteArrayChannel(bytes), parser(family), sockets::add);
        return sockets;
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public List<SocketRecord> tcpToList() {
        return toList(tcp, Family.IPV4);
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public List<SocketRecord> tcp6ToList() {
        return toList(tcp6, Family.IPV6);
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public FileReport tcpCount(Blackhole bh) {
        return reader.read("net/tcp", new ByteArrayChannel(tcp), parser(Family.IPV4), bh::consume);
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public FileReport tcp6Count(Blackhole bh) {
        return reader.read("net/tcp6", new ByteArrayChannel(tcp6), parser(Family.IPV6), bh::consume);
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void tcpParserOnly(Blackhole bh) {
        parseAll(tcp, tcpFirstLine, parser(Family.IPV4), bh);
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void tcp6ParserOnly(Blackhole bh) {
        parseAll(tcp6, tcp6FirstLine, parser(Family.IPV6), bh);
    }

    /**
     * A reference, not the parser: one pass over the tcp bytes counting newlines, the least any byte-at-a-time
     * parser must spend touching each byte once.
     */
    @Benchmark
    @OperationsPerInvocation(LINES)
    public int tcpNewlineScan() {
        byte[] b = tcp;
        int n = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                n++;
            }
        }
        return n;
    }

    private static void parseAll(byte[] b, int from, ProcNetParser p, Blackhole bh) {
        for (int pos = from; pos < b.length; ) {
            pos = p.parse(b, pos, b.length);
            bh.consume(p.record());
        }
    }
}
