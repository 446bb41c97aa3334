package io.connmon.exporter;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real server over the real {@code /proc}, with real sockets, all on 127.0.0.1: a listener with one accepted
 * connection and one still waiting in its accept queue.
 */
class LoopbackProcfsTest {

    private final List<AutoCloseable> open = new ArrayList<>();
    private TestServer server;
    private ServerSocketChannel listener;
    private int port;

    @BeforeEach
    void openSockets() throws IOException {
        Path proc = Path.of("/proc");
        SnapshotService service = new SnapshotService(new ProcfsSocketSource(proc), new NetStatReader(proc),
                Duration.ZERO);
        server = TestServer.start(service);
        listener = keep(ServerSocketChannel.open(StandardProtocolFamily.INET));
        listener.bind(new InetSocketAddress("127.0.0.1", 0), 50);
        port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        keep(SocketChannel.open(StandardProtocolFamily.INET)).connect(listener.getLocalAddress());
        keep(listener.accept());
        // The second connection is never accepted: it waits in the accept queue.
        keep(SocketChannel.open(StandardProtocolFamily.INET)).connect(listener.getLocalAddress());
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    @AfterEach
    void close() throws Exception {
        if (server != null) {
            server.close();
        }
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private String p() {
        return Integer.toString(port);
    }

    @Test
    void metricsShowTheListenerItsQueueAndItsConnections() {
        Exposition m = server.metrics();
        assertEquals(1, m.value("connmon_listeners", "protocol", "tcp", "address", "127.0.0.1", "port", p()));
        assertEquals(1, m.value("connmon_listener_accept_queue", "address", "127.0.0.1", "port", p()));
        // /proc/net/tcp does not give a listener's backlog (its tx_queue column is 0): no made-up limit.
        assertTrue(m.matching("connmon_listener_accept_queue_limit", "port", p()).isEmpty());
        // Both server-side children are ESTABLISHED, the accepted one and the one still queued.
        assertEquals(2, m.value("connmon_inbound_connections", "port", p(), "state", "established"));
        assertTrue(m.value("connmon_sockets", "protocol", "tcp", "family", "ipv4", "state", "listen") >= 1);
        assertTrue(m.value("connmon_sockets", "protocol", "tcp", "family", "ipv4", "state", "established") >= 4);
        assertEquals(1, m.value("connmon_source_info", "source", "procfs"));
        assertEquals(1, m.value("connmon_up"));
        assertEquals(0, m.value("connmon_last_collection_skipped_lines", "file", "net/tcp"));
        assertEquals(0, m.value("connmon_collection_errors_total"));
        assertTrue(m.value("process_resident_memory_bytes") > 1 << 20);
    }

    @Test
    void ephemeralPortsAgainstTheKernelRange() throws IOException {
        String[] range = readSysctl("/proc/sys/net/ipv4/ip_local_port_range").trim().split("\\s+");
        int low = Integer.parseInt(range[0]);
        int high = Integer.parseInt(range[1]);
        Exposition m = server.metrics();
        assertEquals(high - low + 1, m.value("connmon_ephemeral_ports"));
        // Our two clients took ports from the range (the listener's own port is ephemeral too).
        assertTrue(m.value("connmon_ephemeral_ports_used") >= 2);
        assertTrue(m.value("connmon_ephemeral_ports_used_max_per_destination") >= 2);
    }

    @Test
    void netstatCountersCountOurConnects() throws IOException {
        double before = server.metrics().value("connmon_tcp_active_opens_total");
        try (SocketChannel third = SocketChannel.open(StandardProtocolFamily.INET)) {
            third.connect(listener.getLocalAddress());
            double after = server.metrics().value("connmon_tcp_active_opens_total");
            assertTrue(after >= before + 1, before + " then " + after);
        }
        assertTrue(server.metrics().value("connmon_tcp_passive_opens_total") >= 2);
    }

    @Test
    void theSnapshotFiltersRealSockets() throws IOException {
        JsonNode local = server.snapshot("local_port=" + port);
        assertEquals(3, local.get("total").asLong(), local.toString()); // the listener and two children
        assertConsistent(local);
        Set<String> states = new HashSet<>();
        for (JsonNode s : local.get("sockets")) {
            assertEquals(port, s.get("local").get("port").asInt());
            assertEquals("tcp", s.get("protocol").asText());
            assertEquals("ipv4", s.get("family").asText());
            states.add(s.get("state").asText());
        }
        assertEquals(Set.of("LISTEN", "ESTABLISHED"), states);

        JsonNode listening = server.snapshot("local_port=" + port + "&state=listen");
        assertEquals(1, listening.get("total").asLong());
        JsonNode l = listening.get("sockets").get(0);
        assertEquals("127.0.0.1", l.get("local").get("address").asText());
        assertEquals("0.0.0.0", l.get("remote").get("address").asText());
        assertEquals(0, l.get("remote").get("port").asInt());
        assertEquals(1, l.get("receiveQueue").asLong(), "the accept queue");
        assertTrue(l.get("inode").asLong() > 0);
        assertEquals(((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue(),
                l.get("uid").asLong());

        JsonNode clients = server.snapshot("remote_port=" + port + "&state=established");
        assertEquals(2, clients.get("total").asLong());
        assertConsistent(clients);

        assertEquals(5, server.snapshot("port=" + port + "&address=127.0.0.0%2F8").get("total").asLong());
        assertEquals(5, server.snapshot("port=" + port + "&address=127.0.0.1&protocol=tcp&family=4")
                .get("total").asLong());
        assertEquals(0, server.snapshot("port=" + port + "&address=10.0.0.0%2F8").get("total").asLong());
        assertEquals(0, server.snapshot("port=" + port + "&protocol=udp").get("total").asLong());
        assertEquals(0, server.snapshot("port=" + port + "&family=ipv6").get("total").asLong());

        JsonNode limited = server.snapshot("port=" + port + "&limit=1");
        assertEquals(5, limited.get("total").asLong());
        assertTrue(limited.get("truncated").asBoolean());
        assertEquals(1, limited.get("sockets").size());

        JsonNode own = server.snapshot("local_port=" + server.port() + "&state=listen");
        assertEquals(1, own.get("total").asLong(), "the server's own listener");
        assertEquals("procfs", own.get("source").asText());
        assertEquals(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(), own.get("host").asText());
    }

    @Test
    void theWholeSnapshotIsConsistentWithItsCounts() {
        JsonNode all = server.snapshot("");
        assertTrue(all.get("total").asLong() >= 6);
        assertEquals(all.get("total").asLong(), all.get("sockets").size());
        assertConsistent(all);
    }

    @Test
    void aDualStackListenerShowsV4MappedAndAnIpv4RangeFindsIt() throws IOException {
        // A plain ServerSocket is an IPv6 socket where the JDK has IPv6: bound to 127.0.0.1, the kernel lists it
        // in tcp6 as ::ffff:127.0.0.1.
        try (ServerSocket dual = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int dualPort = dual.getLocalPort();
            JsonNode found = server.snapshot("local_port=" + dualPort + "&state=listen&address=127.0.0.1");
            assertEquals(1, found.get("total").asLong(), found.toString());
            JsonNode s = found.get("sockets").get(0);
            String expected = s.get("family").asText().equals("ipv6") ? "::ffff:127.0.0.1" : "127.0.0.1";
            assertEquals(expected, s.get("local").get("address").asText());
            Exposition m = server.metrics();
            assertEquals(1, m.value("connmon_listeners", "protocol", "tcp", "address", expected, "port",
                    Integer.toString(dualPort)));
        }
    }

    /** A sysctl file answers only a read at offset 0, so read it in one go (Files.readString gets one byte). */
    private static String readSysctl(String path) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(Path.of(path))) {
            byte[] b = new byte[4096];
            int n = in.read(b);
            return new String(b, 0, Math.max(n, 0), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    /** {@code counts} add up to {@code total}, and without a limit they describe exactly the listed sockets. */
    private static void assertConsistent(JsonNode doc) {
        long sum = 0;
        for (JsonNode c : doc.get("counts")) {
            sum += c.get("count").asLong();
            long listed = 0;
            for (JsonNode s : doc.get("sockets")) {
                if (s.get("protocol").equals(c.get("protocol")) && s.get("family").equals(c.get("family"))
                        && s.get("state").equals(c.get("state"))) {
                    listed++;
                }
            }
            assertEquals(c.get("count").asLong(), listed, c.toString());
        }
        assertEquals(doc.get("total").asLong(), sum);
        assertEquals(doc.get("total").asLong(), doc.get("sockets").size());
    }
}
