package io.connmon.parser.source.oshi;

import io.connmon.parser.Fixtures;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SourceException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import oshi.software.os.InternetProtocolStats.IPConnection;
import oshi.software.os.InternetProtocolStats.TcpState;

class OshiSocketSourceTest {

    private static final SocketTable CAPTURED = Fixtures.collect(Fixtures.PROC, ByteOrder.LITTLE_ENDIAN);

    /**
     * What OSHI's own Linux parser ({@code LinuxInternetProtocolStats.getConnections()}) reads from the tables
     * under {@code procRoot}. OSHI reads its /proc location once, when its {@code ProcPath} class initialises,
     * from the {@code oshi.util.proc.path} property: so OSHI is loaded here in a class loader of its own, with the
     * property pointing at the fixture, and the rest of this JVM (the live tests' OSHI) keeps the real /proc.
     * Its rows are copied into this loader's {@link IPConnection}.
     */
    static List<IPConnection> oshiReads(Path procRoot) throws Exception {
        List<URL> jars = new ArrayList<>();
        for (String name : List.of("oshi.SystemInfo", "oshi.software.os.InternetProtocolStats", "com.sun.jna.Native",
                "com.sun.jna.platform.linux.LibC", "org.slf4j.LoggerFactory")) {
            URL jar = Class.forName(name).getProtectionDomain().getCodeSource().getLocation();
            if (!jars.contains(jar)) {
                jars.add(jar);
            }
        }
        String before = System.getProperty(PROC_PATH);
        try (URLClassLoader oshi = new URLClassLoader(jars.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
            System.setProperty(PROC_PATH, procRoot.toString());
            Class.forName("oshi.util.linux.ProcPath", true, oshi); // reads the property now
            Class<?> stats = Class.forName("oshi.software.common.os.linux.LinuxInternetProtocolStats", true, oshi);
            Constructor<?> make = stats.getDeclaredConstructor();
            make.setAccessible(true);
            List<?> rows = (List<?>) stats.getMethod("getConnections").invoke(make.newInstance());
            List<IPConnection> out = new ArrayList<>();
            for (Object r : rows) {
                out.add(new IPConnection((String) get(r, "getType"), (byte[]) get(r, "getLocalAddress"),
                        (int) get(r, "getLocalPort"), (byte[]) get(r, "getForeignAddress"),
                        (int) get(r, "getForeignPort"), TcpState.valueOf(((Enum<?>) get(r, "getState")).name()),
                        (int) get(r, "getTransmitQueue"), (int) get(r, "getReceiveQueue"),
                        (int) get(r, "getowningProcessId")));
            }
            return out;
        } finally {
            if (before == null) {
                System.clearProperty(PROC_PATH);
            } else {
                System.setProperty(PROC_PATH, before);
            }
        }
    }

    private static final String PROC_PATH = "oshi.util.proc.path";

    private static Object get(Object row, String getter) throws ReflectiveOperationException {
        return row.getClass().getMethod(getter).invoke(row);
    }

    /** What OSHI can know of a record: no uid, inode or timers. */
    private static SocketRecord withoutProcColumns(SocketRecord r) {
        return SocketRecord.of(r.protocol(), r.state(), r.local(), r.remote(), r.sendQueue(), r.receiveQueue());
    }

    static Stream<Arguments> hosts() {
        return Stream.of(Arguments.of(ByteOrder.LITTLE_ENDIAN, Fixtures.PROC),
                Arguments.of(ByteOrder.BIG_ENDIAN, Fixtures.PROC_BIG_ENDIAN));
    }

    /**
     * OSHI's parser on the captured tables (as a little-endian host prints them, and as a big-endian one does),
     * then this source: the same sockets as connmon's procfs parser finds in the little-endian capture.
     */
    @ParameterizedTest(name = "OSHI on a {0} host")
    @MethodSource("hosts")
    void givesTheCapturedSockets(ByteOrder host, Path tables) throws Exception {
        List<IPConnection> rows = oshiReads(tables);
        assertEquals(CAPTURED.sockets().size(), rows.size());
        SocketTable t = new OshiSocketSource(() -> rows, host).collect();
        assertEquals("oshi", t.source());
        assertEquals(CAPTURED.sockets().stream().map(OshiSocketSourceTest::withoutProcColumns)
                .collect(Collectors.toList()), t.sockets());
        assertEquals(List.of(new FileReport("oshi:connections", true, 43, 0, List.of(), null)), t.inputs());
    }

    @Test
    void udpRowsLoseTheirTcpStates() throws SourceException {
        byte[] lo = {127, 0, 0, 1};
        byte[] any = {0, 0, 0, 0};
        List<IPConnection> rows = List.of(
                new IPConnection("udp4", lo, 5353, any, 0, TcpState.CLOSED, 0, 832, 1),
                new IPConnection("udp4", lo, 40000, lo, 5353, TcpState.ESTABLISHED, 0, 0, 1),
                new IPConnection("udp4", lo, 40001, any, 0, TcpState.LISTEN, 0, 0, 1),
                new IPConnection("tcp4", lo, 22, any, 0, TcpState.CLOSED, 0, 0, 1));
        List<String> got = new OshiSocketSource(() -> rows, ByteOrder.LITTLE_ENDIAN).collect().sockets().stream()
                .map(SocketRecord::toString).collect(Collectors.toList());
        assertEquals(List.of(
                "udp UNCONN 127.0.0.1:5353 0.0.0.0:*",
                "udp ESTABLISHED 127.0.0.1:40000 127.0.0.1:5353",
                "udp UNKNOWN 127.0.0.1:40001 0.0.0.0:*",
                "tcp CLOSE 127.0.0.1:22 0.0.0.0:*"), got);
    }

    @Test
    void mapsEveryOshiTcpState() {
        for (TcpState s : TcpState.values()) {
            SocketState mapped = OshiSocketSource.tcpState(s);
            if (s == TcpState.UNKNOWN || s == TcpState.NONE) {
                assertEquals(SocketState.UNKNOWN, mapped, s.name());
            } else {
                // OSHI spells them FIN_WAIT_1, CLOSED: the names that SocketState.fromName also reads.
                assertEquals(SocketState.fromName(s.name()), mapped, s.name());
            }
        }
    }

    @Test
    void badRowsAreSkippedAndCounted() throws SourceException {
        byte[] lo = {127, 0, 0, 1};
        byte[] lo6 = HexFormat.of().parseHex("00000000000000000000000000000001");
        List<IPConnection> rows = new ArrayList<>();
        rows.add(new IPConnection("tcp4", lo, 22, lo, 40000, TcpState.ESTABLISHED, 0, 0, 1));
        rows.add(new IPConnection("raw4", lo, 22, lo, 40000, TcpState.ESTABLISHED, 0, 0, 1));
        rows.add(new IPConnection("tcp6", lo6, 22, lo, 40000, TcpState.ESTABLISHED, 0, 0, 1));
        rows.add(new IPConnection("tcp4", new byte[0], 22, lo, 40000, TcpState.ESTABLISHED, 0, 0, 1));
        rows.add(new IPConnection("tcp4", new byte[3], 22, lo, 40000, TcpState.ESTABLISHED, 0, 0, 1));
        rows.add(new IPConnection("tcp4", lo, 70000, lo, 40000, TcpState.ESTABLISHED, 0, 0, 1));
        rows.add(new IPConnection("udp6", lo6, 323, new byte[16], 0, TcpState.CLOSED, -1, 0, 1));
        SocketTable t = new OshiSocketSource(() -> rows, ByteOrder.LITTLE_ENDIAN).collect();
        assertEquals(List.of("tcp ESTABLISHED 127.0.0.1:22 127.0.0.1:40000", "udp UNCONN [::1]:323 [::]:*"),
                t.sockets().stream().map(SocketRecord::toString).collect(Collectors.toList()));
        // An int queue of -1 is 2^32-1 bytes, not a negative size.
        assertEquals(0xFFFFFFFFL, t.sockets().get(1).sendQueue());
        FileReport r = t.inputs().get(0);
        assertEquals(2, r.records());
        assertEquals(5, r.skipped());
        assertEquals(List.of("row 2: unknown type raw4", "row 3: local and foreign address families differ",
                "row 4: no address", "row 5: address must have 4 or 16 bytes, not 3", "row 6: port out of range: 70000"),
                r.problems());
    }

    @Test
    void aFailingListingIsASourceError() {
        OshiSocketSource s = new OshiSocketSource(() -> {
            throw new IllegalStateException("cannot read /proc/net/tcp");
        }, ByteOrder.LITTLE_ENDIAN);
        SourceException e = assertThrows(SourceException.class, s::collect);
        assertTrue(e.getMessage().contains("cannot read /proc/net/tcp"), e.getMessage());
    }
}
