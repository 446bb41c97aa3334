package io.connmon.bench;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.source.procfs.ProcNetParser;
import io.connmon.parser.source.procfs.ProcNetTableReader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The generated tables have the kernel's exact shape, and the parser reads them back into the same records. */
class ProcNetTableGeneratorTest {

    // The kernel's seq_printf formats, as patterns. Full socket: ... inode refcnt %pK rto ato quick cwnd ssthresh.
    private static final String HEAD4 = " *\\d+: [0-9A-F]{8}:[0-9A-F]{4} [0-9A-F]{8}:[0-9A-F]{4} ";
    private static final String HEAD6 = " *\\d+: [0-9A-F]{32}:[0-9A-F]{4} [0-9A-F]{32}:[0-9A-F]{4} ";
    private static final String FULL = "(0[1-589A]) [0-9A-F]{8}:[0-9A-F]{8} 0[0-4]:[0-9A-F]{8} [0-9A-F]{8} [ \\d]{4}\\d+"
            + " {8}0 [1-9]\\d* [12] 00000000[0-9a-f]{8} \\d+ \\d+ \\d+ \\d+ -?\\d+";
    // TIME_WAIT: ... 0 3 %pK and nothing after.
    private static final String TW = "06 00000000:00000000 03:[0-9A-F]{8} 00000000     0        0 0 3 00000000[0-9a-f]{8}";
    private static final Pattern TCP4 = Pattern.compile("(" + HEAD4 + "(" + FULL + "|" + TW + ")) *");
    private static final Pattern TCP6 = Pattern.compile(HEAD6 + "(" + FULL + "|" + TW + ")");

    /** Lines captured from this kernel (6.x), trailing padding included. */
    private static final String[] REAL4 = {
        "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 182 1 "
                + "000000001bb084c1 100 0 0 10 0                       ",
        "   4: 0100007F:AABC 0100007F:B507 06 00000000:00000000 03:00001770 00000000     0        0 0 3 "
                + "00000000272d0372                                      ",
        " 576: 0100007F:8BC4 0100007F:95BD 01 00000000:00000000 02:000AFC6B 00000000     0        0 105590 2 "
                + "00000000612c5fca 20 0 0 11 -1                    ",
    };
    private static final String[] REAL6 = {
        "   0: 0000000000000000FFFF00000100007F:4C0E 00000000000000000000000000000000:0000 0A 00000000:00000000 "
                + "00:00000000 00000000 64321        0 98198 1 000000003c63e139 100 0 0 10 0",
        "   4: 00000000000000000000000001000000:9533 00000000000000000000000001000000:ECA6 01 00000000:0000000A "
                + "00:00000000 00000000     0        0 105588 1 000000003c63e139 20 4 30 10 -1",
    };

    @Test
    void patternsMatchRealKernelLines() {
        for (String l : REAL4) {
            assertEquals(ProcNetTableGenerator.TCP4_WIDTH, l.length(), l);
            assertTrue(TCP4.matcher(l).matches(), l);
        }
        for (String l : REAL6) {
            assertTrue(TCP6.matcher(l).matches(), l);
        }
    }

    @Test
    void tcpHasTheKernelsShape() {
        ProcNetTableGenerator.Table t = ProcNetTableGenerator.tcp();
        String[] lines = new String(t.bytes(), StandardCharsets.US_ASCII).split("\n", -1);
        assertEquals(ProcNetTableGenerator.LINES + 2, lines.length); // header, lines, "" after the last '\n'
        assertEquals("", lines[lines.length - 1]);
        assertEquals(ProcNetTableGenerator.TCP4_HEADER, lines[0].stripTrailing());
        for (int i = 0; i < lines.length - 1; i++) {
            assertEquals(ProcNetTableGenerator.TCP4_WIDTH, lines[i].length(), "line " + i);
            if (i > 0) {
                assertTrue(TCP4.matcher(lines[i]).matches(), lines[i]);
                assertTrue(lines[i].startsWith(String.format("%4d: ", i - 1)), lines[i]);
            }
        }
        assertEquals(150.0, t.bytesPerLine(), 0.0);
    }

    @Test
    void tcp6HasTheKernelsShape() {
        ProcNetTableGenerator.Table t = ProcNetTableGenerator.tcp6();
        String[] lines = new String(t.bytes(), StandardCharsets.US_ASCII).split("\n", -1);
        assertEquals(ProcNetTableGenerator.LINES + 2, lines.length);
        assertEquals(ProcNetTableGenerator.TCP6_HEADER, lines[0]);
        long mapped = 0;
        for (int i = 1; i < lines.length - 1; i++) {
            assertTrue(TCP6.matcher(lines[i]).matches(), lines[i]);
            mapped += lines[i].contains("0000000000000000FFFF0000") ? 1 : 0;
        }
        assertTrue(mapped > ProcNetTableGenerator.LINES / 4 && mapped < ProcNetTableGenerator.LINES * 3 / 4,
                "v4-mapped lines: " + mapped);
    }

    @Test
    void mixOfStates() {
        for (ProcNetTableGenerator.Table t : List.of(ProcNetTableGenerator.tcp(), ProcNetTableGenerator.tcp6())) {
            var c = t.stateCounts();
            assertEquals(64, c.get(SocketState.LISTEN));
            assertTrue(c.get(SocketState.ESTABLISHED) > 55_000 && c.get(SocketState.ESTABLISHED) < 65_000, "" + c);
            assertTrue(c.get(SocketState.TIME_WAIT) > 33_000 && c.get(SocketState.TIME_WAIT) < 41_000, "" + c);
            assertEquals(ProcNetTableGenerator.LINES, c.values().stream().mapToInt(Integer::intValue).sum());
            long ports = t.expected().stream().mapToInt(r -> r.remote().port()).distinct().count();
            long addrs = t.expected().stream().map(r -> r.remote().high() + ":" + r.remote().low()).distinct().count();
            assertTrue(ports > 20_000 && addrs > 20_000, ports + " ports, " + addrs + " addresses");
        }
    }

    @Test
    void deterministic() {
        assertArrayEquals(ProcNetTableGenerator.tcp().bytes(), ProcNetTableGenerator.tcp().bytes());
        assertArrayEquals(ProcNetTableGenerator.tcp6().bytes(), ProcNetTableGenerator.tcp6().bytes());
    }

    @Test
    void parserReadsBackTheRecordsInBothByteOrders() {
        for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
            for (Family family : Family.values()) {
                ProcNetTableGenerator.Table t = new ProcNetTableGenerator(family, order, 42).generate(5_000);
                List<SocketRecord> got = new ArrayList<>();
                FileReport r = new ProcNetTableReader().read("x", new ByteArrayChannel(t.bytes()),
                        new ProcNetParser(Protocol.TCP, family, order), got::add);
                assertEquals(0, r.skipped(), r.problems().toString());
                assertEquals(t.expected(), got, order + " " + family);
            }
        }
    }

    @Test
    void loopbackIsPrintedAsTheKernelDoes() {
        // 127.0.0.1 is 0100007F on a little-endian host and 7F000001 on a big-endian one; ::1 likewise.
        String le = new String(new ProcNetTableGenerator(Family.IPV4, ByteOrder.LITTLE_ENDIAN, 1).generate(2_000)
                .bytes(), StandardCharsets.US_ASCII);
        String be = new String(new ProcNetTableGenerator(Family.IPV4, ByteOrder.BIG_ENDIAN, 1).generate(2_000)
                .bytes(), StandardCharsets.US_ASCII);
        assertTrue(le.contains(" 0100007F:") && !le.contains(" 7F000001:"));
        assertTrue(be.contains(" 7F000001:") && !be.contains(" 0100007F:"));
        String le6 = new String(new ProcNetTableGenerator(Family.IPV6, ByteOrder.LITTLE_ENDIAN, 1).generate(2_000)
                .bytes(), StandardCharsets.US_ASCII);
        assertTrue(le6.contains(" 00000000000000000000000001000000:"));
        assertTrue(le6.contains("0000000000000000FFFF0000"));
    }
}
