package io.connmon.parser.source.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;
import io.connmon.parser.model.NetNamespace;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.netns.NetnsDiscovery;
import io.connmon.parser.source.SourceKind;
import io.connmon.parser.source.netlink.DestroySubscription;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The destroy events of a namespace other than connmon's own: the test makes its own ({@code ip netns add
 * cmtest-ev-RANDOM}, deleted afterwards), runs a listener and {@value #N} connections opened and closed inside it
 * (python3 under {@code ip netns exec}, bounded by {@code timeout}), and checks that the namespaces source's feed
 * counted exactly {@value #N} on that port each way, then that the subscription stays while {@code ip netns}'s file
 * holds the namespace after its process is gone, and is closed when the namespace is deleted. Needs root (ip netns add, setns), {@code ip} and python3: skipped without them, failed under
 * CI=true.
 */
class NamespaceEventsLiveTest {

    private static final int N = 50;

    /** Listens, prints its port, waits for a line, opens and closes argv[1] connections, prints done, waits. */
    private static final String LOAD = String.join("\n",
            "import socket, sys",
            "n = int(sys.argv[1])",
            "s = socket.socket()",
            "s.bind(('127.0.0.1', 0))",
            "s.listen(512)",
            "port = s.getsockname()[1]",
            "print(port, flush=True)",
            "sys.stdin.readline()",
            "for i in range(n):",
            "    c = socket.create_connection(('127.0.0.1', port), timeout=5)",
            "    a, _ = s.accept()",
            "    c.sendall(b'x')",
            "    a.recv(1)",
            "    a.close()",
            "    c.close()",
            "print('done', flush=True)",
            "sys.stdin.readline()");

    private static void require(boolean available, String missing) {
        if (!available && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(missing + " (CI=true: a missing tool fails the test instead of skipping it)");
        }
        Assumptions.assumeTrue(available, missing);
    }

    private static boolean works(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
    }

    @Test
    void eachNamespaceHasItsOwnSubscriptionIntoTheSharedFeed() throws Exception {
        require(works("id", "-u") && "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream()
                .readAllBytes(), StandardCharsets.UTF_8).trim()), "not root: ip netns add and setns need it");
        require(works("ip", "-V"), "ip (iproute2) not found");
        require(works("python3", "-c", "pass"), "python3 not found");
        String name = "cmtest-ev-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFL);
        Process load = null;
        try {
            run("ip", "netns", "add", name);
            run("ip", "-n", name, "link", "set", "lo", "up");
            load = new ProcessBuilder("ip", "netns", "exec", name, "timeout", "60", "python3", "-c", LOAD,
                    Integer.toString(N)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(load.getInputStream(),
                    StandardCharsets.UTF_8));
            OutputStream in = load.getOutputStream();
            String portLine = out.readLine();
            assertNotNull(portLine, "the listener in " + name + " printed no port");
            int port = Integer.parseInt(portLine.trim());

            NamespacesSocketSource source = new NamespacesSocketSource(
                    new NetnsDiscovery(Path.of("/proc"), Path.of("/var/run/netns")), SourceKind.AUTO,
                    ns -> name.equals(ns.name()));
            try (source) {
                ConnectionEvents feed = source.subscribeClosed(100, DestroySubscription.DEFAULT_RECEIVE_BUFFER);
                NamespaceEvents events = (NamespaceEvents) feed;
                SocketTable t = source.collect();
                assertEquals(1, t.namespaces().size(), "only " + name + " is included");
                NetNamespace ns = t.namespaces().get(0);
                assertEquals("netlink", ns.reader(), ns.readerReason());
                assertEquals(1, events.subscriptions(), "one subscription for " + name + ": " + events.lastFailure());
                ClosedConnections closed = feed.closed();
                boolean[] inbound = new boolean[65536];
                inbound[port] = true;
                closed.inboundPorts(inbound);

                in.write("go\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                assertEquals("done", out.readLine(), "the connections in " + name + " were made");
                long[] counts = waitFor(closed, port, N);
                assertEquals(N, counts[0], "inbound closes on port " + port + " in " + name);
                assertEquals(N, counts[1], "outbound closes to port " + port + " in " + name);
                assertEquals(0, feed.lost());
                assertEquals(0, feed.failures());

                in.close(); // the load ends: no process lives in the namespace, /var/run/netns/NAME still holds it
                assertTrue(load.waitFor(10, TimeUnit.SECONDS), "the load ended");
                SocketTable held = source.collect();
                assertEquals(1, held.namespaces().size(), name + " is still found, by its file");
                assertEquals(-1, held.namespaces().get(0).pid(), "no process in it");
                assertEquals(1, events.subscriptions(), "still followed while its file holds it");
                run("ip", "netns", "del", name); // the namespace is gone
                source.collect();
                assertEquals(0, events.subscriptions(), "the subscription of " + name + " is closed when it is gone");
                assertEquals(0, feed.failures());
            }
        } finally {
            if (load != null) {
                load.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            new ProcessBuilder("ip", "netns", "del", name).redirectErrorStream(true).start()
                    .waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Waits (bounded) until both directions of {@code port} reach {@code n}, then a moment more; the counts. */
    private static long[] waitFor(ClosedConnections closed, int port, long n) throws InterruptedException {
        long[] counts = counts(closed, port);
        for (int i = 0; i < 200 && (counts[0] < n || counts[1] < n); i++) {
            Thread.sleep(50);
            counts = counts(closed, port);
        }
        Thread.sleep(200); // and no more than n after a moment
        return counts(closed, port);
    }

    private static long[] counts(ClosedConnections closed, int port) {
        int inKey = ClosedConnections.key(ClosedConnections.INBOUND, port);
        int outKey = ClosedConnections.key(ClosedConnections.OUTBOUND, port);
        long[] counts = new long[2];
        ClosedConnections.Totals t = closed.totals();
        for (int k = 0; k < t.keys().length; k++) {
            if (t.keys()[k] == inKey) {
                counts[0] = t.get(k, ClosedConnections.CLOSED);
            } else if (t.keys()[k] == outKey) {
                counts[1] = t.get(k, ClosedConnections.CLOSED);
            }
        }
        return counts;
    }
}
