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
 * net/tcp   line 1 header; 2, 4, 6 good; 3 port not hex; 5 truncated; 7 garbage; 8 blank; 9 a column
 *           missing; 10 inode with trailing garbage; 11 address too long; 12 good but for its newline (cut off)
 * net/tcp6  absent although net/udp6 is there: failed
 * net/udp   empty, not even a header: failed
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
                "tcp TIME_WAIT 10.254.222.37:44848 10.254.222.37:8080"), tcp);
    }

    @Test
    void countsAndNamesEachBadLine() {
        FileReport tcp = Fixtures.report(TABLE, "net/tcp");
        assertEquals(3, tcp.records());
        assertEquals(7, tcp.skipped());
        assertEquals(List.of(
                "line 3: local_address: expected a port of 4 hex digits, got '25DEFE0A:1F9G'",
                "line 5: tx_queue: expected hex digits and ':', got '000'",
                "line 7: sl: expected a slot number and ':', got 'this'",
                "line 9: tx_queue: expected hex digits and ':', got '00000000'",
                "line 10: inode: expected a decimal number, got '113914x'"), tcp.problems());
        assertFalse(tcp.failed());
        assertEquals(FileReport.State.READ, tcp.state());
        assertEquals(8, TABLE.skippedLines()); // and one in udp6
    }

    @Test
    void absentTcp6BesideUdp6IsAFailureNotNoData() {
        FileReport tcp6 = Fixtures.report(TABLE, "net/tcp6");
        assertEquals(FileReport.missing("net/tcp6", "but net/udp6 is there (IPv6 is on)"), tcp6);
        assertFalse(tcp6.present());
        assertTrue(tcp6.failed());
        assertEquals(FileReport.State.FAILED, tcp6.state());
    }

    @Test
    void ipv6TurnedOffIsAbsentAsExpected(@TempDir Path root) throws IOException, SourceException {
        copy(root, "net/tcp", "net/udp");
        SocketTable t = new ProcfsSocketSource(root, ByteOrder.LITTLE_ENDIAN).collect();
        assertEquals(FileReport.absent("net/tcp6"), Fixtures.report(t, "net/tcp6"));
        assertEquals(FileReport.State.ABSENT, Fixtures.report(t, "net/udp6").state());
        assertEquals(FileReport.State.READ, Fixtures.report(t, "net/tcp").state());
    }

    @Test
    void ipv6TablesAbsentWhileIfInet6IsThereFail(@TempDir Path root) throws IOException, SourceException {
        copy(root, "net/tcp", "net/udp");
        Files.writeString(root.resolve("net/if_inet6"), "00000000000000000000000000000001 01 80 10 80       lo\n");
        SocketTable t = new ProcfsSocketSource(root, ByteOrder.LITTLE_ENDIAN).collect();
        FileReport tcp6 = Fixtures.report(t, "net/tcp6");
        assertEquals(FileReport.State.FAILED, tcp6.state());
        assertEquals("absent, but net/if_inet6 is there (IPv6 is on)", tcp6.error());
        assertEquals(FileReport.State.FAILED, Fixtures.report(t, "net/udp6").state());
    }

    @Test
    void missingIpv4TableWhileTheOthersReadIsAFailure(@TempDir Path root) throws IOException, SourceException {
        // The collection goes on with the other tables, but net/tcp's sockets are unknown, not zero.
        copy(root, "net/tcp6", "net/udp", "net/udp6");
        SocketTable t = new ProcfsSocketSource(root, ByteOrder.LITTLE_ENDIAN).collect();
        FileReport tcp = Fixtures.report(t, "net/tcp");
        assertEquals(FileReport.State.FAILED, tcp.state());
        assertFalse(tcp.present());
        assertEquals("absent, but net/udp is there (IPv4 cannot be turned off)", tcp.error());
        assertEquals(27, t.sockets().size());
    }

    @Test
    void headerOnlyTableIsReadWithNoSockets(@TempDir Path root) throws IOException, SourceException {
        copy(root, "net/tcp6", "net/udp", "net/udp6");
        String tcp = Files.readString(Fixtures.PROC.resolve("net/tcp"));
        Files.writeString(root.resolve("net/tcp"), tcp.substring(0, tcp.indexOf('\n') + 1));
        SocketTable t = new ProcfsSocketSource(root, ByteOrder.LITTLE_ENDIAN).collect();
        assertEquals(new FileReport("net/tcp", true, 0, 0, List.of(), null, FileReport.State.READ),
                Fixtures.report(t, "net/tcp"));
        Files.writeString(root.resolve("net/tcp"), "");
        assertEquals(new FileReport("net/tcp", true, 0, 0, List.of(), "empty: not even the header line",
                FileReport.State.FAILED), Fixtures.report(new ProcfsSocketSource(root).collect(), "net/tcp"));
    }

    private static void copy(Path root, String... files) throws IOException {
        Files.createDirectories(root.resolve("net"));
        for (String f : files) {
            Files.copy(Fixtures.PROC.resolve(f), root.resolve(f));
        }
    }

    @Test
    void emptyUdpAndHeaderlessUdp6() {
        assertEquals(new FileReport("net/udp", true, 0, 0, List.of(), "empty: not even the header line"),
                Fixtures.report(TABLE, "net/udp"));
        assertEquals(FileReport.State.FAILED, Fixtures.report(TABLE, "net/udp").state());
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
