package io.connmon.parser.source.procfs;

import io.connmon.parser.Fixtures;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProcNetTableReaderTest {

    private static final String TCP = Fixtures.text(Fixtures.PROC.resolve("net/tcp"));
    private static final String TCP6 = Fixtures.text(Fixtures.PROC.resolve("net/tcp6"));
    private static final String HEADER = TCP.substring(0, TCP.indexOf('\n') + 1);
    private static final String LINE = ProcNetParserTest.TCP_LAST_ACK;

    private static List<SocketRecord> read(String text, IntSupplier chunks, int failAfter, FileReport[] report) {
        List<SocketRecord> out = new ArrayList<>();
        report[0] = new ProcNetTableReader().read("net/tcp",
                new Fixtures.ScriptedChannel(Fixtures.bytes(text), chunks, failAfter),
                new ProcNetParser(Protocol.TCP, Family.IPV4, ByteOrder.LITTLE_ENDIAN), out::add);
        return out;
    }

    private static List<SocketRecord> read(String text, FileReport[] report) {
        return read(text, () -> Integer.MAX_VALUE, -1, report);
    }

    @Test
    void readsTheCapturedTable() {
        FileReport[] r = new FileReport[1];
        List<SocketRecord> records = read(TCP, r);
        assertEquals(16, records.size());
        assertEquals(new FileReport("net/tcp", true, 16, 0, List.of(), null), r[0]);
        assertEquals("tcp LISTEN 10.254.222.37:8080 0.0.0.0:*", records.get(0).toString());
        assertEquals("tcp ESTABLISHED 10.254.222.37:8080 10.254.222.37:44834", records.get(15).toString());
    }

    @ParameterizedTest(name = "chunks of {0} bytes")
    @ValueSource(ints = {1, 2, 7, 64, 149, 150, 151, 4095, 4096})
    void chunkBoundariesDoNotMatter(int chunk) {
        FileReport[] whole = new FileReport[1];
        FileReport[] pieces = new FileReport[1];
        assertEquals(read(TCP6, whole), read(TCP6, () -> chunk, -1, pieces));
        assertEquals(whole[0], pieces[0]);
    }

    @Test
    void randomChunksOverALargeTable() {
        // 3,000 lines: more than one 64 KiB read, with lines cut at every kind of place.
        StringBuilder sb = new StringBuilder(HEADER);
        List<String> dataLines = Fixtures.linesWithEnds(Fixtures.PROC.resolve("net/tcp")).subList(1, 17);
        for (int i = 0; i < 3000; i++) {
            sb.append(dataLines.get(i % dataLines.size()));
        }
        FileReport[] r = new FileReport[1];
        List<SocketRecord> expected = read(sb.toString(), r);
        assertEquals(3000, expected.size());
        Random rnd = new Random(42);
        FileReport[] r2 = new FileReport[1];
        assertEquals(expected, read(sb.toString(), () -> 1 + rnd.nextInt(9000), -1, r2));
        assertEquals(r[0], r2[0]);
    }

    @Test
    void emptyFileIsAFailedInput() {
        // The kernel always prints the header: a file of no bytes at all is not an empty table.
        FileReport[] r = new FileReport[1];
        assertEquals(List.of(), read("", r));
        assertEquals(FileReport.State.FAILED, r[0].state());
        assertTrue(r[0].present());
        assertEquals("empty: not even the header line", r[0].error());
    }

    @Test
    void headerOnlyIsAnEmptyTableReadWell() {
        FileReport[] r = new FileReport[1];
        assertEquals(List.of(), read(HEADER, r));
        assertEquals(new FileReport("net/tcp", true, 0, 0, List.of(), null), r[0]);
        assertEquals(FileReport.State.READ, r[0].state());
        assertEquals(List.of(), read(HEADER.trim(), r)); // and without its newline
        assertEquals(0, r[0].skipped());
        assertEquals(FileReport.State.READ, r[0].state());
    }

    @Test
    void missingHeaderCostsNothing() {
        FileReport[] r = new FileReport[1];
        assertEquals(16, read(TCP.substring(HEADER.length()), r).size());
        assertEquals(0, r[0].skipped());
    }

    @Test
    void lastLineCutInsideTheInodeIsRejectedNotShortened() {
        // The kernel ends every line with '\n': a last line without one was cut off, perhaps inside its inode.
        String cut = LINE.substring(0, LINE.indexOf(" 113920 ") + 5);
        FileReport[] r = new FileReport[1];
        List<SocketRecord> records = read(HEADER + LINE + cut, r);
        assertEquals(1, records.size());
        assertEquals(113920, records.get(0).inode());
        assertEquals(1, r[0].skipped());
        assertEquals(List.of("line 3: cut off at the end of the file (no newline)"), r[0].problems());
        assertNull(r[0].error());
        // Whole but for its newline: still not trusted.
        assertEquals(List.of(), read(HEADER + LINE.substring(0, LINE.length() - 1), r));
        assertEquals(1, r[0].skipped());
        // In any chunking.
        for (int chunk = 1; chunk < 40; chunk++) {
            int c = chunk;
            assertEquals(records, read(HEADER + LINE + cut, () -> c, -1, r));
            assertEquals(1, r[0].skipped());
        }
    }

    @Test
    void blankLinesAreNeitherRecordsNorProblems() {
        FileReport[] r = new FileReport[1];
        assertEquals(2, read(HEADER + "\n" + LINE + "   \n\n" + LINE, r).size());
        assertEquals(0, r[0].skipped());
    }

    @Test
    void badLinesAreCountedWithTheirLineNumbers() {
        StringBuilder sb = new StringBuilder(HEADER).append(LINE);
        for (int i = 0; i < 7; i++) {
            sb.append("garbage ").append(i).append('\n');
        }
        sb.append(LINE);
        FileReport[] r = new FileReport[1];
        assertEquals(2, read(sb.toString(), r).size());
        assertEquals(7, r[0].skipped());
        assertEquals(FileReport.MAX_PROBLEMS, r[0].problems().size());
        assertEquals("line 3: sl: expected a slot number and ':', got 'garbage'", r[0].problems().get(0));
        assertTrue(r[0].problems().get(4).startsWith("line 7: "), r[0].problems().get(4));
        assertNull(r[0].error());
    }

    @Test
    void overLongLineIsSkippedAndTheRestKept() {
        String longLine = "   9: " + "A".repeat(ProcNetTableReader.MAX_LINE * 3) + "\n";
        FileReport[] r = new FileReport[1];
        List<SocketRecord> records = read(HEADER + LINE + longLine + LINE, () -> 1000, -1, r);
        assertEquals(2, records.size());
        assertEquals(1, r[0].skipped());
        assertEquals("line 3: longer than 4096 bytes", r[0].problems().get(0));
    }

    @Test
    void overLongLastLineWithoutNewline() {
        FileReport[] r = new FileReport[1];
        assertEquals(1, read(HEADER + LINE + "7".repeat(10_000), r).size());
        assertEquals(1, r[0].skipped());
    }

    @Test
    void fileThatVanishesMidReadKeepsWhatCameBefore() {
        // The read fails inside line 4's inode: lines 2 and 3 are whole, line 4 must not come out as inode 1139.
        String text = HEADER + LINE + LINE + LINE + LINE;
        int cut = HEADER.length() + 2 * LINE.length() + LINE.indexOf("113920") + 4;
        FileReport[] r = new FileReport[1];
        List<SocketRecord> records = read(text, () -> 100, cut, r);
        assertEquals(2, records.size());
        assertTrue(r[0].failed());
        assertEquals("read failed after line 3: No such file or directory", r[0].error());
        assertEquals(1, r[0].skipped());
        assertEquals(List.of("line 4: cut short by the read error"), r[0].problems());
    }

    @Test
    void fileThatVanishesAtALineEnd() {
        String text = HEADER + LINE + LINE;
        FileReport[] r = new FileReport[1];
        List<SocketRecord> records = read(text, () -> 7, HEADER.length() + LINE.length(), r);
        assertEquals(1, records.size());
        assertEquals(0, r[0].skipped());
        assertTrue(r[0].failed());
    }

    @Test
    void fileThatVanishesBeforeAnything() {
        FileReport[] r = new FileReport[1];
        assertEquals(List.of(), read(TCP, () -> 7, 0, r));
        assertTrue(r[0].failed());
        assertTrue(r[0].present());
        assertFalse(r[0].error().isEmpty());
    }
}
