package io.connmon.parser.counters;

import io.connmon.parser.Fixtures;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NetStatParserTest {

    private static final NetStats CAPTURED = new NetStatReader(Fixtures.PROC).read();

    @Test
    void readsTheCapturedSnmpCounters() {
        // The capture made one refused connect (AttemptFails, OutRsts), one datagram to a closed port (NoPorts).
        long[] tcp = {15, 11, 1, 0, 11, 0, 0, 1};
        String[] tcpNames = {"ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "CurrEstab",
            "RetransSegs", "InErrs", "OutRsts"};
        for (int i = 0; i < tcp.length; i++) {
            assertEquals(tcp[i], CAPTURED.counter("Tcp", tcpNames[i], -99), tcpNames[i]);
        }
        assertEquals(-1, CAPTURED.counter("Tcp", "MaxConn", -99)); // the kernel prints -1: no limit
        long[] udp = {1, 1, 0, 3, 0, 0};
        String[] udpNames = {"InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "RcvbufErrors", "SndbufErrors"};
        for (int i = 0; i < udp.length; i++) {
            assertEquals(udp[i], CAPTURED.counter("Udp", udpNames[i], -99), udpNames[i]);
        }
        assertEquals(-99, CAPTURED.counter("Tcp", "NoSuchCounter", -99));
        assertEquals(-99, CAPTURED.counter("Sctp", "ActiveOpens", -99));
    }

    @Test
    void readsTheCapturedNetstatCountersByHeaderName() {
        assertEquals(0, CAPTURED.counter("TcpExt", "ListenOverflows", -99));
        assertEquals(0, CAPTURED.counter("TcpExt", "ListenDrops", -99));
        assertEquals(0, CAPTURED.counter("TcpExt", "TCPTimeWaitOverflow", -99));
        assertEquals(2, CAPTURED.counter("TcpExt", "TW", -99));
        assertEquals(8, CAPTURED.counter("TcpExt", "DelayedACKs", -99));
        assertEquals(16, CAPTURED.counter("TcpExt", "TCPOrigDataSent", -99));
        assertEquals(135, CAPTURED.counters().get("TcpExt").size());
        assertEquals(6891, CAPTURED.counter("IpExt", "InOctets", -99));
        assertEquals(List.of("Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite", "TcpExt", "IpExt", "MPTcpExt",
                "Ip6", "Icmp6", "Udp6", "UdpLite6"), new ArrayList<>(CAPTURED.counters().keySet()));
    }

    @Test
    void readsTheCapturedSnmp6() {
        assertEquals(37, CAPTURED.counter("Ip6", "InReceives", -99));
        assertEquals(39, CAPTURED.counter("Ip6", "OutRequests", -99));
        assertEquals(7, CAPTURED.counter("Icmp6", "OutMsgs", -99));
        assertEquals(1, CAPTURED.counter("Udp6", "OutDatagrams", -99));
        assertEquals(0, CAPTURED.counter("Udp6", "InDatagrams", -99));
        assertEquals(9, CAPTURED.counters().get("Udp6").size());
    }

    @Test
    void readsTheCapturedSockstat() {
        assertEquals(42, CAPTURED.sockstat("sockets", "used", -99));
        assertEquals(14, CAPTURED.sockstat("TCP", "inuse", -99));
        assertEquals(0, CAPTURED.sockstat("TCP", "orphan", -99));
        assertEquals(2, CAPTURED.sockstat("TCP", "tw", -99));
        assertEquals(29, CAPTURED.sockstat("TCP", "alloc", -99));
        assertEquals(2783, CAPTURED.sockstat("TCP", "mem", -99));
        assertEquals(6, CAPTURED.sockstat("UDP", "inuse", -99));
        assertEquals(14, CAPTURED.sockstat("TCP6", "inuse", -99));
        assertEquals(5, CAPTURED.sockstat("UDP6", "inuse", -99));
        assertEquals(0, CAPTURED.sockstat("FRAG6", "memory", -99));
        assertEquals(-99, CAPTURED.sockstat("TCP", "nope", -99));
    }

    @Test
    void countersAgreeWithTheSocketTablesOfTheSameCapture() {
        SocketTable t = Fixtures.collect(Fixtures.PROC, ByteOrder.LITTLE_ENDIAN);
        long timeWait = t.sockets().stream().filter(r -> r.state() == SocketState.TIME_WAIT).count();
        assertEquals(timeWait, CAPTURED.sockstat("TCP", "tw", -99));
        // RFC 1213 tcpCurrEstab: connections in ESTABLISHED or CLOSE-WAIT.
        long currEstab = t.sockets().stream().filter(r -> r.protocol() == Protocol.TCP
                && (r.state() == SocketState.ESTABLISHED || r.state() == SocketState.CLOSE_WAIT)).count();
        assertEquals(currEstab, CAPTURED.counter("Tcp", "CurrEstab", -99));
        long udp6 = t.sockets().stream().filter(r -> r.protocol() == Protocol.UDP && r.family() == Family.IPV6).count();
        assertEquals(udp6, CAPTURED.sockstat("UDP6", "inuse", -99));
    }

    @Test
    void reportsEachInput() {
        assertEquals(new PortRange(40000, 44999), CAPTURED.ephemeralPorts());
        assertEquals(List.of("net/snmp", "net/netstat", "net/snmp6", "net/sockstat", "net/sockstat6",
                "sys/net/ipv4/ip_local_port_range"),
                CAPTURED.inputs().stream().map(FileReport::name).collect(Collectors.toList()));
        for (FileReport r : CAPTURED.inputs()) {
            assertTrue(r.present(), r.name());
            assertFalse(r.failed(), r.name());
            assertEquals(0, r.skipped(), r.name());
        }
    }

    /**
     * {@code broken/}: snmp with a header whose values are missing (Icmp), a values line one short (Tcp) and a
     * value that is not a number (Udp NoPorts); snmp6 with a name alone, garbage and a bad value; sockstat with
     * a key alone; netstat and sockstat6 absent; the port range backwards.
     */
    @Test
    void brokenCounterFilesKeepWhatIsGood() {
        NetStats s = new NetStatReader(Fixtures.BROKEN).read();
        assertEquals(List.of("Ip", "IcmpMsg", "Udp", "UdpLite", "Ip6"), new ArrayList<>(s.counters().keySet()));
        assertEquals(52, s.counter("Ip", "InReceives", -99));
        assertEquals(1, s.counter("IcmpMsg", "OutType3", -99));
        assertEquals(-99, s.counter("Tcp", "ActiveOpens", -99));
        assertEquals(1, s.counter("Udp", "InDatagrams", -99));
        assertEquals(-99, s.counter("Udp", "NoPorts", -99));
        assertEquals(3, s.counter("Udp", "OutDatagrams", -99));
        assertEquals(Map.of("InReceives", 37L, "InTooBigErrors", 0L), s.counters().get("Ip6"));
        assertEquals(Map.of("sockets", Map.of("used", 42L), "UDP", Map.of("inuse", 6L, "mem", 0L)), s.sockstat());
        assertNull(s.ephemeralPorts());

        Map<String, FileReport> r = s.inputs().stream().collect(Collectors.toMap(FileReport::name, x -> x));
        assertEquals(List.of("line 4: expected the values of Icmp", "line 7: Tcp has 15 names but 14 values",
                "line 9: Udp NoPorts: not a number 'x'"), r.get("net/snmp").problems());
        assertEquals(3, r.get("net/snmp").skipped());
        assertFalse(r.get("net/netstat").present());
        assertFalse(r.get("net/sockstat6").present());
        assertEquals(List.of("line 2: expected 'Group6Name value'", "line 4: expected 'Group6Name value'",
                "line 5: Ip6InAddrErrors: not a number 'zero'"), r.get("net/snmp6").problems());
        assertEquals(List.of("line 2: expected 'PROTO: key value ...'"), r.get("net/sockstat").problems());
        assertEquals(List.of("line 1: bad port range 60999-32768"),
                r.get("sys/net/ipv4/ip_local_port_range").problems());
        s.inputs().forEach(x -> assertFalse(x.failed(), x.name()));
    }

    @Test
    void emptyProcRootIsNoDataNotAnError(@TempDir Path root) {
        NetStats s = new NetStatReader(root).read();
        assertEquals(Map.of(), s.counters());
        assertEquals(Map.of(), s.sockstat());
        assertNull(s.ephemeralPorts());
        assertEquals(6, s.inputs().size());
        s.inputs().forEach(r -> assertFalse(r.present(), r.name()));
    }

    @Test
    void unreadableFileIsReportedNotThrown(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("net/snmp"));
        NetStats s = new NetStatReader(root).read();
        assertTrue(s.inputs().get(0).failed());
        assertTrue(s.inputs().get(0).error().startsWith("cannot read: "), s.inputs().get(0).error());
    }

    @Test
    void problemsAreCappedPerFile(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("net"));
        Files.writeString(root.resolve("net/snmp6"), "bad\n".repeat(9) + "Udp6NoPorts 4\n");
        NetStats s = new NetStatReader(root).read();
        FileReport r = s.inputs().get(2);
        assertEquals(9, r.skipped());
        assertEquals(FileReport.MAX_PROBLEMS, r.problems().size());
        assertEquals(1, r.records());
        assertEquals(4, s.counter("Udp6", "NoPorts", -99));
    }

    static Stream<Arguments> headerValueCases() {
        return Stream.of(
                Arguments.of(Named.of("two groups", "Tcp: A B\nTcp: 1 2\nUdp: C\nUdp: 3\n"),
                        "{Tcp={A=1, B=2}, Udp={C=3}}", List.of()),
                Arguments.of(Named.of("negative value", "Tcp: MaxConn\nTcp: -1\n"), "{Tcp={MaxConn=-1}}", List.of()),
                Arguments.of(Named.of("no trailing newline", "Tcp: A\nTcp: 1"), "{Tcp={A=1}}", List.of()),
                Arguments.of(Named.of("blank lines between groups", "\nTcp: A\nTcp: 1\n\n\nUdp: C\nUdp: 3\n"),
                        "{Tcp={A=1}, Udp={C=3}}", List.of()),
                Arguments.of(Named.of("error case - header without values", "Tcp: A B\n"), "{}",
                        List.of("line 1: expected a 'Group: names' line followed by its values")),
                Arguments.of(Named.of("error case - values of another group", "Tcp: A\nUdp: 1\nUdp: 2\n"), "{}",
                        List.of("line 2: expected the values of Tcp",
                                "line 3: expected a 'Group: names' line followed by its values")),
                Arguments.of(Named.of("error case - numbers for names", "Udp: 1 2\nUdp: 3 4\nTcp: A\nTcp: 1\n"),
                        "{Tcp={A=1}}", List.of("line 1: expected a 'Group: names' line followed by its values",
                                "line 2: expected a 'Group: names' line followed by its values")),
                Arguments.of(Named.of("error case - fewer values than names", "Tcp: A B\nTcp: 1\n"), "{}",
                        List.of("line 2: Tcp has 2 names but 1 values")),
                Arguments.of(Named.of("error case - more values than names", "Tcp: A\nTcp: 1 2\nUdp: C\nUdp: 3\n"),
                        "{Udp={C=3}}", List.of("line 2: Tcp has 1 names but 2 values")),
                Arguments.of(Named.of("error case - parse value - not a number", "Tcp: A B\nTcp: 1 y\n"),
                        "{Tcp={A=1}}", List.of("line 2: Tcp B: not a number 'y'")),
                Arguments.of(Named.of("error case - parse value - beyond 64 bits", "Tcp: A\nTcp: 18446744073709551616\n"),
                        "{Tcp={}}", List.of("line 2: Tcp A: not a number '18446744073709551616'")),
                Arguments.of(Named.of("error case - no colon", "garbage\nTcp: A\nTcp: 1\n"), "{Tcp={A=1}}",
                        List.of("line 1: expected a 'Group: names' line followed by its values")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("headerValueCases")
    void parsesHeaderValuePairs(String text, String expected, List<String> problems) {
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        List<String> got = new ArrayList<>();
        NetStatParser.parseHeaderValuePairs(text, out, got);
        assertEquals(expected, out.toString());
        assertEquals(problems, got);
    }

    static Stream<Arguments> portRanges() {
        return Stream.of(
                Arguments.of(Named.of("kernel text: a tab and a newline", "32768\t60999\n"), new PortRange(32768, 60999), null),
                Arguments.of(Named.of("spaces", "  1024   65535 "), new PortRange(1024, 65535), null),
                Arguments.of(Named.of("a single port", "40000\t40000\n"), new PortRange(40000, 40000), null),
                Arguments.of(Named.of("error case - backwards", "60999\t32768\n"), null, "line 1: bad port range 60999-32768"),
                Arguments.of(Named.of("error case - one number", "32768\n"), null, "line 1: expected two port numbers"),
                Arguments.of(Named.of("error case - three numbers", "1 2 3\n"), null, "line 1: expected two port numbers"),
                Arguments.of(Named.of("error case - empty", ""), null, "line 1: expected two port numbers"),
                Arguments.of(Named.of("error case - above 65535", "32768 65536\n"), null, "line 1: bad port range 32768-65536"),
                Arguments.of(Named.of("error case - not a number", "32768 6O999\n"), null,
                        "line 1: For input string: \"6O999\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("portRanges")
    void parsesPortRange(String text, PortRange expected, String problem) {
        List<String> problems = new ArrayList<>();
        assertEquals(expected, NetStatParser.parsePortRange(text, problems));
        assertEquals(problem == null ? List.of() : List.of(problem), problems);
    }

    @Test
    void portRange() {
        PortRange r = new PortRange(32768, 60999);
        assertEquals(28232, r.size());
        assertTrue(r.contains(32768));
        assertTrue(r.contains(60999));
        assertFalse(r.contains(32767));
        assertFalse(r.contains(61000));
        assertEquals(65536, new PortRange(0, 65535).size());
        assertThrows(IllegalArgumentException.class, () -> new PortRange(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> new PortRange(10, 65536));
        assertThrows(IllegalArgumentException.class, () -> new PortRange(11, 10));
    }

    @Test
    void netStatsIsImmutable() {
        Map<String, Map<String, Long>> counters = new LinkedHashMap<>();
        counters.put("Tcp", new LinkedHashMap<>(Map.of("ActiveOpens", 1L)));
        NetStats s = new NetStats(counters, Map.of(), null, List.of());
        counters.get("Tcp").put("ActiveOpens", 2L);
        assertEquals(1, s.counter("Tcp", "ActiveOpens", -1));
        assertThrows(UnsupportedOperationException.class, () -> s.counters().get("Tcp").put("X", 1L));
        assertThrows(UnsupportedOperationException.class, () -> s.counters().put("X", Map.of()));
        assertEquals(-1, NetStats.EMPTY.counter("Tcp", "ActiveOpens", -1));
    }
}
