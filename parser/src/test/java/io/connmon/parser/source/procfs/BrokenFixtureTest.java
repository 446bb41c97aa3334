package io.connmon.parser.source.procfs;

import io.connmon.parser.Fixtures;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SourceException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code broken/}: real lines from the capture with broken ones between them.
 *
 * <pre>
 * net/tcp   line 1 header; 2, 4, 6, 12 good (12 without its newline); 3 port not hex; 5 truncated;
 *           7 garbage; 8 blank; 9 a column missing; 10 inode with trailing garbage; 11 address too long
 * net/tcp6  absent (IPv6 off)
 * net/udp   empty
 * net/udp6  no header; line 2 state not hex
 * </pre>
 */
class BrokenFixtureTest {

    private static final SocketTable TABLE = Fixtures.collect(Fixtures.BROKEN, ByteOrder.LITTLE_ENDIAN);

    @Test
    void keepsTheGoodLinesOfABrokenTable() {
        List<String> tcp = TABLE.sockets().stream().filter(r -> r.protocol() == Protocol.TCP)
                .map(SocketRecord::toString).collect(Collectors.toList());
        assertEquals(List.of(
                "tcp LISTEN 10.254.222.37:8080 0.0.0.0:*",
                "tcp LISTEN 127.0.0.1:6379 0.0.0.0:*",
                "tcp TIME_WAIT 10.254.222.37:44848 10.254.222.37:8080",
                "tcp ESTABLISHED 10.254.222.37:8080 10.254.222.37:44834"), tcp);
    }

    @Test
    void countsAndNamesEachBadLine() {
        FileReport tcp = Fixtures.report(TABLE, "net/tcp");
        assertEquals(4, tcp.records());
        assertEquals(6, tcp.skipped());
        assertEquals(List.of(
                "line 3: local_address: expected a port of 4 hex digits, got '25DEFE0A:1F9G'",
                "line 5: tx_queue: expected hex digits and ':', got '000'",
                "line 7: sl: expected a slot number and ':', got 'this'",
                "line 9: tx_queue: expected hex digits and ':', got '00000000'",
                "line 10: inode: expected a decimal number, got '113914x'"), tcp.problems());
        assertFalse(tcp.failed());
        assertEquals(7, TABLE.skippedLines()); // and one in udp6
    }

    @Test
    void absentTcp6IsNoDataNotAnError() {
        FileReport tcp6 = Fixtures.report(TABLE, "net/tcp6");
        assertEquals(FileReport.absent("net/tcp6"), tcp6);
        assertFalse(tcp6.present());
        assertFalse(tcp6.failed());
    }

    @Test
    void emptyUdpAndHeaderlessUdp6() {
        assertEquals(new FileReport("net/udp", true, 0, 0, List.of(), null), Fixtures.report(TABLE, "net/udp"));
        FileReport udp6 = Fixtures.report(TABLE, "net/udp6");
        assertEquals(2, udp6.records());
        assertEquals(List.of("line 2: st: expected 1 or 2 hex digits, got 'zz'"), udp6.problems());
        List<String> udp = TABLE.sockets().stream().filter(r -> r.protocol() == Protocol.UDP)
                .map(SocketRecord::toString).collect(Collectors.toList());
        assertEquals(List.of("udp UNCONN [" + Fixtures.A6 + "]:5353 [::]:*",
                "udp ESTABLISHED [" + Fixtures.A6 + "]:41647 [" + Fixtures.A6 + "]:5353"), udp);
    }

    @Test
    void handMadeStatesTheKernelNeverPrints() {
        SocketTable t = Fixtures.collect(Fixtures.HANDMADE, ByteOrder.LITTLE_ENDIAN);
        assertEquals(List.of(
                "tcp CLOSE 10.254.222.37:8080 0.0.0.0:*",
                "tcp NEW_SYN_RECV 10.254.222.37:8080 10.254.222.37:44834",
                "tcp UNKNOWN 10.254.222.37:8080 10.254.222.37:44834",
                "udp UNKNOWN 10.254.222.37:42677 10.254.222.37:5353"),
                t.sockets().stream().map(SocketRecord::toString).collect(Collectors.toList()));
        assertFalse(Fixtures.report(t, "net/udp6").present());
    }

    @Test
    void noTablesAtAllIsASourceError(@TempDir Path root) {
        SourceException e = assertThrows(SourceException.class, () -> new ProcfsSocketSource(root).collect());
        assertTrue(e.getMessage().contains("net/tcp: absent"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void unreadableTableIsAFailedReportNotAThrow(@TempDir Path root) throws IOException, SourceException {
        Files.createDirectories(root.resolve("net/tcp")); // a directory where the file should be
        Files.copy(Fixtures.PROC.resolve("net/udp"), root.resolve("net/udp"));
        SocketTable t = new ProcfsSocketSource(root, ByteOrder.LITTLE_ENDIAN).collect();
        assertEquals(6, t.sockets().size());
        FileReport tcp = Fixtures.report(t, "net/tcp");
        assertTrue(tcp.present());
        assertTrue(tcp.failed());
        assertFalse(Fixtures.report(t, "net/udp").failed());
    }

    @Test
    void onlyUnreadableTablesIsASourceError(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("net/tcp"));
        SourceException e = assertThrows(SourceException.class, () -> new ProcfsSocketSource(root).collect());
        assertTrue(e.getMessage().startsWith("cannot read the socket tables under " + root + ": net/tcp: "),
                e.getMessage());
    }

    @Test
    void collectsAgainAndAgain() throws SourceException {
        // One source serves every scrape; its reused buffers must not carry a table into the next.
        ProcfsSocketSource source = new ProcfsSocketSource(Fixtures.BROKEN, ByteOrder.LITTLE_ENDIAN);
        SocketTable first = source.collect();
        assertEquals(first, source.collect());
        ProcfsSocketSource full = new ProcfsSocketSource(Fixtures.PROC, ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 3; i++) {
            assertEquals(43, full.collect().sockets().size());
        }
    }
}
