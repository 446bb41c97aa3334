package io.connmon.parser.source.procfs;

import io.connmon.parser.Fixtures;
import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SourceException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tables captured from a real kernel ({@code proc/}), checked line by line against what {@code ss} printed
 * for the same sockets at the same moment ({@code proc/ss-*.txt}).
 */
class CapturedFixtureTest {

    private static final SocketTable TABLE = Fixtures.collect(Fixtures.PROC, ByteOrder.LITTLE_ENDIAN);

    /**
     * A record the way {@code ss -tan}/{@code ss -uan} prints it: state, Recv-Q, Send-Q, local, peer. For a
     * listener ss prints the backlog as Send-Q, which /proc/net does not have, so it is left out.
     */
    private static String asSs(SocketRecord r) {
        String sendQ = r.state() == SocketState.LISTEN ? "-" : Long.toString(r.sendQueue());
        return r.protocol().label() + " " + r.state() + " " + r.receiveQueue() + " " + sendQ + " " + r.local() + " "
                + r.remote();
    }

    /** One line of {@code ss -tanH}, in the form of {@link #asSs}. */
    private static String fromSs(String protocol, String line) {
        String[] f = line.trim().split("\\s+");
        SocketState state = SocketState.fromName(f[0]);
        assertNotNull(state, line);
        String sendQ = state == SocketState.LISTEN ? "-" : f[2];
        return protocol + " " + state + " " + f[1] + " " + sendQ + " " + ssAddress(f[3]) + " " + ssAddress(f[4]);
    }

    /** ss prints a dual-stack socket's {@code [::]} as {@code *} (it asks the kernel for IPV6_V6ONLY). */
    private static String ssAddress(String a) {
        return a.startsWith("*:") ? "[::]" + a.substring(1) : a;
    }

    private static List<String> ssLines(String file) {
        return Fixtures.linesWithEnds(Fixtures.PROC.resolve(file)).stream().map(String::trim)
                .filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    private static List<String> ssRecords() {
        List<String> out = new ArrayList<>();
        ssLines("ss-tan.txt").forEach(l -> out.add(fromSs("tcp", l)));
        ssLines("ss-uan.txt").forEach(l -> out.add(fromSs("udp", l)));
        return out;
    }

    @Test
    void readsEveryLineOfEveryTable() {
        assertEquals("procfs", TABLE.source());
        assertEquals(List.of(
                new FileReport("net/tcp", true, 16, 0, List.of(), null),
                new FileReport("net/tcp6", true, 16, 0, List.of(), null),
                new FileReport("net/udp", true, 6, 0, List.of(), null),
                new FileReport("net/udp6", true, 5, 0, List.of(), null)), TABLE.inputs());
        assertEquals(43, TABLE.sockets().size());
        assertEquals(0, TABLE.skippedLines());
    }

    /** Each fixture line, by its file and line number, has its twin in ss's output. */
    static Stream<Arguments> fixtureLines() {
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (FileReport r : TABLE.inputs()) {
            for (int line = 2; line < 2 + r.records(); line++) {
                SocketRecord rec = TABLE.sockets().get(i++);
                out.add(Arguments.of(Named.of(r.name() + " line " + line + ": " + rec, rec)));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtureLines")
    void ssPrintedTheSameSocket(SocketRecord record) {
        List<String> ss = ssRecords();
        assertTrue(ss.contains(asSs(record)), () -> asSs(record) + " not in ss output:\n" + String.join("\n", ss));
    }

    @Test
    void ssAndTheTablesHoldTheSameSockets() {
        // Both ways: no line of ss is left without its record either.
        List<String> fromTables = TABLE.sockets().stream().map(CapturedFixtureTest::asSs).sorted()
                .collect(Collectors.toList());
        List<String> fromSs = ssRecords().stream().sorted().collect(Collectors.toList());
        assertEquals(String.join("\n", fromSs), String.join("\n", fromTables));
    }

    @Test
    void inodesMatchSsExtended() {
        // ss -e prints "ino:N"; TIME_WAIT and SYN_RECV sockets have none (0).
        Map<String, Long> ino = new HashMap<>();
        for (String file : List.of("ss-tane.txt", "ss-uane.txt")) {
            for (String line : ssLines(file)) {
                String[] f = line.split("\\s+");
                String inode = Stream.of(f).filter(s -> s.startsWith("ino:")).findFirst().orElseThrow();
                ino.put(file.charAt(3) + " " + ssAddress(f[3]) + " " + ssAddress(f[4]),
                        Long.parseLong(inode.substring(4)));
            }
        }
        for (SocketRecord r : TABLE.sockets()) {
            String key = r.protocol().label().charAt(0) + " " + r.local() + " " + r.remote();
            assertEquals(ino.get(key), r.inode(), key);
        }
        assertEquals(ino.size(), TABLE.sockets().size());
    }

    @Test
    void holdsEveryTcpStateALiveKernelCanBeMadeToShow() {
        Set<SocketState> seen = EnumSet.noneOf(SocketState.class);
        TABLE.sockets().stream().filter(r -> r.protocol() == Protocol.TCP).forEach(r -> seen.add(r.state()));
        // CLOSE and NEW_SYN_RECV never appear in /proc/net/tcp; see handmade/README.md.
        Set<SocketState> all = EnumSet.copyOf(List.of(SocketState.tcpStates()));
        all.removeAll(EnumSet.of(SocketState.CLOSE, SocketState.NEW_SYN_RECV));
        assertEquals(all, seen);
        Set<SocketState> udp = EnumSet.noneOf(SocketState.class);
        TABLE.sockets().stream().filter(r -> r.protocol() == Protocol.UDP).forEach(r -> udp.add(r.state()));
        assertEquals(EnumSet.of(SocketState.UNCONN, SocketState.ESTABLISHED), udp);
    }

    private static SocketRecord find(String text) {
        return TABLE.sockets().stream().filter(r -> r.toString().equals(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no socket " + text));
    }

    @Test
    void keepsTheOtherColumns() {
        SocketRecord lastAck = find("tcp LAST_ACK 10.254.222.37:8080 10.254.222.37:44870");
        assertEquals(new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.LAST_ACK,
                Endpoint.ipv4(0x0AFEDE25, 8080), Endpoint.ipv4(0x0AFEDE25, 44870),
                2174977, 1, 0, 113920, 4, 0x37, 0), lastAck);
        SocketRecord timeWait = find("tcp TIME_WAIT 10.254.222.37:44848 10.254.222.37:8080");
        assertEquals(3, timeWait.timerActive()); // the TIME_WAIT timer
        assertEquals(0x16F1, timeWait.timerJiffies());
        assertEquals(0, timeWait.inode());
        SocketRecord synRecv = find("tcp SYN_RECV [" + Fixtures.A6 + "]:22 [2001:db8:1234:5678:9abc:def0:8642:fdb9]:43851");
        assertEquals(1, synRecv.timerActive());
        assertEquals(0, synRecv.inode());
        SocketRecord mapped = find("tcp ESTABLISHED [::ffff:10.254.222.37]:8443 [::ffff:10.254.222.37]:42438");
        assertEquals(Family.IPV6, mapped.family());
        assertTrue(mapped.local().isV4Mapped());
        assertEquals(113906, mapped.inode());
        SocketRecord udp = find("udp UNCONN 10.254.222.37:5353 0.0.0.0:*");
        assertEquals(832, udp.receiveQueue());
        assertEquals(Endpoint.IPV4_ANY, udp.remote());
        SocketRecord dual = find("udp UNCONN [::]:5355 [::]:*");
        assertEquals(Endpoint.IPV6_ANY, dual.remote());
        assertTrue(dual.local().isWildcardAddress());
    }

    @Test
    void clientPortsLieInTheCapturedEphemeralRange() {
        // Two files of the same capture agree: every TCP socket that is not on a listener's port was given an
        // ephemeral port from sys/net/ipv4/ip_local_port_range.
        PortRange range = new NetStatReader(Fixtures.PROC).read().ephemeralPorts();
        assertEquals(new PortRange(40000, 44999), range);
        Set<Integer> listening = TABLE.sockets().stream().filter(r -> r.state() == SocketState.LISTEN)
                .map(r -> r.local().port()).collect(Collectors.toSet());
        Set<Integer> clientPorts = new TreeSet<>();
        TABLE.sockets().stream().filter(r -> r.protocol() == Protocol.TCP && !listening.contains(r.local().port()))
                .forEach(r -> clientPorts.add(r.local().port()));
        assertEquals(14, clientPorts.size(), clientPorts::toString);
        clientPorts.forEach(p -> assertTrue(range.contains(p), "port " + p));
    }

    @Test
    void bigEndianHostGivesTheSameRecords() {
        // proc-big-endian/ is proc/ as a big-endian host prints it: 10.254.222.37 is 0AFEDE25 there.
        assertTrue(Fixtures.text(Fixtures.PROC_BIG_ENDIAN.resolve("net/tcp")).contains(" 0AFEDE25:1F90 "));
        SocketTable be = Fixtures.collect(Fixtures.PROC_BIG_ENDIAN, ByteOrder.BIG_ENDIAN);
        assertEquals(TABLE.sockets(), be.sockets());
        assertEquals(TABLE.inputs(), be.inputs());
        // Read with the wrong order, neither tree gives the right addresses.
        assertNotEquals(TABLE.sockets(), Fixtures.collect(Fixtures.PROC_BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN).sockets());
        assertNotEquals(TABLE.sockets(), Fixtures.collect(Fixtures.PROC, ByteOrder.BIG_ENDIAN).sockets());
    }

    @Test
    void defaultOrderIsTheHosts() throws SourceException {
        // This suite runs on little-endian hosts (x86-64, aarch64) where the native order reads proc/ right.
        Path root = Fixtures.PROC;
        SocketTable t = new ProcfsSocketSource(root).collect();
        assertEquals(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? TABLE.sockets()
                : Fixtures.collect(root, ByteOrder.BIG_ENDIAN).sockets(), t.sockets());
        assertEquals(root, new ProcfsSocketSource(root).procRoot());
    }
}
