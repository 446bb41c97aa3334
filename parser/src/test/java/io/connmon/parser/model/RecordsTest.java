package io.connmon.parser.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RecordsTest {

    private static final Endpoint A = Endpoint.ipv4(0x0AFEDE25, 58596);
    private static final Endpoint B = Endpoint.ipv4(0xACD9A14E, 80);

    @Test
    void socketRecordPrintsLikeTheJavadoc() {
        SocketRecord r = SocketRecord.of(Protocol.TCP, SocketState.ESTABLISHED, A, B, 0, 0);
        assertEquals("tcp ESTABLISHED 10.254.222.37:58596 172.217.161.78:80", r.toString());
        assertEquals(-1, r.uid());
        assertEquals(0, r.inode());
        assertEquals(Family.IPV4, r.family());
    }

    @Test
    void socketRecordRefusesMixedFamiliesAndMissingFields() {
        assertThrows(IllegalArgumentException.class,
                () -> SocketRecord.of(Protocol.TCP, SocketState.ESTABLISHED, A, Endpoint.IPV6_ANY, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SocketRecord(Protocol.TCP, Family.IPV6,
                SocketState.LISTEN, A, B, 0, 0, 0, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SocketRecord(Protocol.TCP, Family.IPV4,
                null, A, B, 0, 0, 0, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SocketRecord(null, Family.IPV4,
                SocketState.LISTEN, A, B, 0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void tablesAndReportsAreImmutableCopies() {
        List<SocketRecord> sockets = new ArrayList<>(List.of(SocketRecord.of(Protocol.UDP, SocketState.UNCONN,
                A, Endpoint.IPV4_ANY, 0, 0)));
        List<String> problems = new ArrayList<>(List.of("line 3: x"));
        FileReport report = new FileReport("net/udp", true, 1, 1, problems, null);
        SocketTable t = new SocketTable("procfs", sockets, List.of(report, FileReport.absent("net/udp6"),
                new FileReport("net/tcp", true, 0, 4, List.of(), "read failed")));
        sockets.clear();
        problems.clear();
        assertEquals(1, t.sockets().size());
        assertEquals(List.of("line 3: x"), t.inputs().get(0).problems());
        assertEquals(5, t.skippedLines());
        assertThrows(UnsupportedOperationException.class, () -> t.sockets().add(null));
        assertThrows(UnsupportedOperationException.class, () -> t.inputs().get(0).problems().add("y"));
    }

    @ParameterizedTest(name = "\"{0}\" is {1}")
    @CsvSource({"tcp,TCP", "UDP,UDP", "Tcp,TCP"})
    void parsesProtocols(String text, Protocol p) {
        assertEquals(p, Protocol.fromLabel(text));
    }

    @ParameterizedTest(name = "\"{0}\" is {1}")
    @CsvSource({"ipv4,IPV4", "IPv6,IPV6", "4,IPV4", "6,IPV6"})
    void parsesFamilies(String text, Family f) {
        assertEquals(f, Family.fromLabel(text));
    }

    @Test
    void rejectsOtherLabels() {
        assertNull(Protocol.fromLabel("sctp"));
        assertNull(Protocol.fromLabel(null));
        assertNull(Family.fromLabel("ipv5"));
        assertNull(Family.fromLabel(null));
        assertEquals("tcp", Protocol.TCP.label());
        assertEquals("ipv6", Family.IPV6.label());
    }
}
