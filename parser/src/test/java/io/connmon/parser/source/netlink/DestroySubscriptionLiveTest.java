package io.connmon.parser.source.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.events.ClosedConnections;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/**
 * The subscription on this host's kernel, over loopback only: every connection the test opens and closes to a
 * listener of its own arrives once per end; a receive buffer too small for a flood loses events and says so.
 * Events arrive asynchronously, so the test waits for a count (bounded), it never times anything.
 */
class DestroySubscriptionLiveTest {

    private static final int N = 200;

    @Test
    void everyConnectionArrivesOncePerEnd() throws Exception {
        ClosedConnections closed = new ClosedConnections(1000);
        try (ServerSocket listener = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
                DestroySubscription sub = DestroySubscription.open(closed, DestroySubscription.DEFAULT_RECEIVE_BUFFER)) {
            int port = listener.getLocalPort();
            boolean[] inbound = new boolean[65536];
            inbound[port] = true;
            closed.inboundPorts(inbound);
            sub.start();
            churn(listener, N);
            int in = ClosedConnections.key(ClosedConnections.INBOUND, port);
            int out = ClosedConnections.key(ClosedConnections.OUTBOUND, port);
            long[] counts = waitFor(closed, in, out, N);
            assertEquals(N, counts[0], "inbound closes on port " + port);
            assertEquals(N, counts[1], "outbound closes to port " + port);
            assertEquals(0, sub.lost());
            assertEquals(0, closed.malformedMessages());
        }
    }

    @Test
    void aShrunkBufferFloodedLosesEventsAndCountsThem() throws Exception {
        ClosedConnections closed = new ClosedConnections(10);
        try (ServerSocket listener = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
                DestroySubscription sub = new DestroySubscription(closed,
                        () -> new SockDiagSocket(DestroySubscription.TIMEOUT_MILLIS, DestroySubscription.TCP_GROUPS,
                                4096), Clock.systemUTC())) {
            churn(listener, N); // nobody reads yet: the kernel's queue of about a dozen messages overflows
            sub.start();
            long lost = 0;
            for (int i = 0; i < 100 && lost == 0; i++) {
                Thread.sleep(50);
                lost = sub.lost();
            }
            assertTrue(sub.overruns() >= 1, "ENOBUFS seen");
            assertTrue(lost >= N, "at least " + N + " of " + 2 * N + " events lost, counted " + lost);
        }
    }

    @Test
    void theReceiveBufferAskedForIsGranted() throws Exception {
        // 64 KiB is below every default net.core.rmem_max, so SO_RCVBUF grants it without privilege too
        try (DestroySubscription sub = DestroySubscription.open(new ClosedConnections(0), 64 * 1024)) {
            assertEquals(2 * 64 * 1024, sub.receiveBufferBytes(), "the kernel reports twice the size set");
        }
    }

    /** Opens and closes {@code n} connections to {@code listener}, accepting each. */
    static void churn(ServerSocket listener, int n) throws IOException {
        InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        for (int i = 0; i < n; i++) {
            try (Socket client = new Socket()) {
                client.connect(to, 2000);
                try (Socket accepted = listener.accept()) {
                    client.getOutputStream().write(i);
                    accepted.getInputStream().read();
                }
            }
        }
    }

    private static long[] waitFor(ClosedConnections closed, int in, int out, long n) throws InterruptedException {
        long[] counts = new long[2];
        for (int i = 0; i < 200; i++) {
            ClosedConnections.Totals t = closed.totals();
            for (int k = 0; k < t.keys().length; k++) {
                if (t.keys()[k] == in) {
                    counts[0] = t.get(k, ClosedConnections.CLOSED);
                } else if (t.keys()[k] == out) {
                    counts[1] = t.get(k, ClosedConnections.CLOSED);
                }
            }
            if (counts[0] >= n && counts[1] >= n) {
                Thread.sleep(200); // and no more than n after a moment
                return waitOnce(closed, in, out);
            }
            Thread.sleep(50);
        }
        return counts;
    }

    private static long[] waitOnce(ClosedConnections closed, int in, int out) {
        long[] counts = new long[2];
        ClosedConnections.Totals t = closed.totals();
        for (int k = 0; k < t.keys().length; k++) {
            if (t.keys()[k] == in) {
                counts[0] = t.get(k, ClosedConnections.CLOSED);
            } else if (t.keys()[k] == out) {
                counts[1] = t.get(k, ClosedConnections.CLOSED);
            }
        }
        return counts;
    }
}
