package io.connmon.parser.source.procfs;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.oshi.OshiSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Opens real sockets on loopback only (127.0.0.1 and ::1) and finds each of them, with its state, in this
 * host's live tables: through procfs and through OSHI.
 *
 * <p>Per family: a listener, an accepted pair (both ends ESTABLISHED), a pair closed by the client first (the
 * client end in TIME_WAIT), an unconnected UDP socket (UNCONN) and one connected to it (ESTABLISHED). A third
 * set uses IPv6 sockets on 127.0.0.1, which the kernel shows in tcp6/udp6 as v4-mapped addresses.
 */
class LiveSocketsTest {

    private static final List<AutoCloseable> OPEN = new ArrayList<>();
    /** "protocol STATE local remote", as {@link SocketRecord#toString()} prints them. */
    private static final Set<String> EXPECTED = new LinkedHashSet<>();

    @BeforeAll
    static void openSockets() throws IOException {
        require(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux /proc/net");
        open(StandardProtocolFamily.INET, "127.0.0.1", false);
        boolean v6 = Files.isReadable(Path.of("/proc/net/tcp6"));
        require(v6 || !inCi(), "needs IPv6 (/proc/net/tcp6)");
        if (v6) {
            open(StandardProtocolFamily.INET6, "::1", false);
            open(StandardProtocolFamily.INET6, "127.0.0.1", true);
        }
    }

    private static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips without what the test needs, except under CI=true, where nothing may be skipped: it fails. */
    private static void require(boolean available, String missing) {
        if (!available && inCi()) {
            throw new AssertionError(missing + " (CI=true: fails instead of skipping)");
        }
        assumeTrue(available, missing);
    }

    @AfterAll
    static void closeSockets() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
    }

    private static <T extends AutoCloseable> T keep(T c) {
        OPEN.add(c);
        return c;
    }

    /** How the kernel shows a Java socket address: on an IPv6 socket an IPv4 address is v4-mapped. */
    private static Endpoint endpoint(java.net.SocketAddress a, boolean mapped) {
        InetSocketAddress s = (InetSocketAddress) a;
        byte[] b = s.getAddress().getAddress();
        if (mapped && s.getAddress() instanceof Inet4Address) {
            byte[] m = new byte[16];
            m[10] = (byte) 0xFF;
            m[11] = (byte) 0xFF;
            System.arraycopy(b, 0, m, 12, 4);
            b = m;
        }
        return Endpoint.of(b, s.getPort());
    }

    private static void expect(String protocol, SocketState state, Endpoint local, Endpoint remote) {
        EXPECTED.add(protocol + " " + state + " " + local + " " + remote);
    }

    private static void open(ProtocolFamily family, String address, boolean mapped) throws IOException {
        InetAddress addr = InetAddress.getByName(address);
        Endpoint any = mapped || family == StandardProtocolFamily.INET6 ? Endpoint.IPV6_ANY : Endpoint.IPV4_ANY;

        ServerSocketChannel listener = keep(ServerSocketChannel.open(family));
        listener.bind(new InetSocketAddress(addr, 0), 16);
        Endpoint server = endpoint(listener.getLocalAddress(), mapped);
        expect("tcp", SocketState.LISTEN, server, any);

        SocketChannel client = keep(SocketChannel.open(family));
        client.connect(listener.getLocalAddress());
        SocketChannel accepted = keep(listener.accept());
        Endpoint clientEnd = endpoint(client.getLocalAddress(), mapped);
        expect("tcp", SocketState.ESTABLISHED, clientEnd, server);
        expect("tcp", SocketState.ESTABLISHED, endpoint(accepted.getLocalAddress(), mapped),
                endpoint(accepted.getRemoteAddress(), mapped));

        // The client closes first, so its end waits in TIME_WAIT once the server has closed too.
        SocketChannel closing = SocketChannel.open(family);
        closing.connect(listener.getLocalAddress());
        SocketChannel closingPeer = listener.accept();
        Endpoint closingEnd = endpoint(closing.getLocalAddress(), mapped);
        closing.close();
        ByteBuffer sink = ByteBuffer.allocate(16);
        while (closingPeer.read(sink.clear()) >= 0) {
            // until the client's FIN
        }
        closingPeer.close();
        expect("tcp", SocketState.TIME_WAIT, closingEnd, server);

        DatagramChannel unconnected = keep(DatagramChannel.open(family));
        unconnected.bind(new InetSocketAddress(addr, 0));
        Endpoint udpServer = endpoint(unconnected.getLocalAddress(), mapped);
        expect("udp", SocketState.UNCONN, udpServer, any);

        DatagramChannel connected = keep(DatagramChannel.open(family));
        connected.bind(new InetSocketAddress(addr, 0));
        connected.connect(unconnected.getLocalAddress());
        expect("udp", SocketState.ESTABLISHED, endpoint(connected.getLocalAddress(), mapped), udpServer);
    }

    /** Collects until every expected socket shows up (TIME_WAIT takes a moment), for at most 10 s. */
    private static Set<String> missingFrom(SocketSource source) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Set<String> missing = new LinkedHashSet<>(EXPECTED);
            missing.removeAll(source.collect().sockets().stream().map(SocketRecord::toString)
                    .collect(Collectors.toSet()));
            if (missing.isEmpty() || System.nanoTime() > deadline) {
                return missing;
            }
            Thread.sleep(100);
        }
    }

    @Test
    void procfsSeesEverySocketPairAndState() throws Exception {
        assertTrue(EXPECTED.size() >= 7, EXPECTED::toString);
        try (ProcfsSocketSource source = new ProcfsSocketSource(Path.of("/proc"))) {
            assertEquals(Set.of(), missingFrom(source), () -> "expected " + EXPECTED);
            SocketTable t = source.collect();
            assertEquals(0, t.skippedLines(), t.inputs()::toString);
            // The live tables carry owners and inodes: the listener is ours, so its uid is this process's.
            SocketRecord listener = t.sockets().stream()
                    .filter(r -> r.toString().equals(EXPECTED.iterator().next())).findFirst().orElseThrow();
            assertTrue(listener.inode() > 0);
            assertEquals(uid(), listener.uid());
        }
    }

    @Test
    void oshiSeesTheSameSockets() throws Exception {
        try (OshiSocketSource source = new OshiSocketSource()) {
            assertEquals(Set.of(), missingFrom(source), () -> "expected " + EXPECTED);
        }
    }

    private static long uid() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                return Long.parseLong(line.split("\\s+")[1]);
            }
        }
        throw new IllegalStateException("no Uid in /proc/self/status");
    }
}
