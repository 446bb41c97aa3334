package io.connmon.parser.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.model.Family;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Keys, folding, the key cap and the ring, fed by hand. */
class ClosedConnectionsTest {

    private static final long LO = 0x7F000001L;

    private static long closedOf(ClosedConnections c, int direction, int port) {
        ClosedConnections.Totals t = c.totals();
        for (int i = 0; i < t.keys().length; i++) {
            if (t.keys()[i] == ClosedConnections.key(direction, port)) {
                return t.get(i, ClosedConnections.CLOSED);
            }
        }
        return 0;
    }

    private static void close(ClosedConnections c, int localPort, int remotePort) {
        c.closed(1, Family.IPV4, 0, LO, localPort, 0, LO, remotePort, 7, 10, 20, 0, 100);
    }

    @Test
    void inboundByLocalPortOutboundByRemoteFoldedInTheEphemeralRange() {
        ClosedConnections c = new ClosedConnections(3);
        boolean[] inbound = new boolean[65536];
        inbound[8080] = true;
        boolean[] fold = new boolean[65536];
        for (int p = 32768; p <= 60999; p++) {
            fold[p] = true;
        }
        c.inboundPorts(inbound);
        c.foldedOutboundPorts(fold);
        close(c, 8080, 40000); // a client of ours
        close(c, 40001, 5432); // to a database
        close(c, 40002, 45000); // to a client's random port (a listener we did not know)
        close(c, 40003, 45001);
        close(c, 8080, 0); // a listener closing
        assertEquals(1, closedOf(c, ClosedConnections.INBOUND, 8080));
        assertEquals(1, closedOf(c, ClosedConnections.OUTBOUND, 5432));
        assertEquals(2, closedOf(c, ClosedConnections.OUTBOUND, 0));
        assertEquals(1, c.withoutPeer());
        assertEquals(3, c.totals().keys().length);
        List<ClosedConnection> last = c.last(10);
        assertEquals(3, last.size(), "the ring keeps 3");
        assertEquals(45001, last.get(0).remote().port(), "the ring keeps the real port");
        assertEquals(5432, last.get(2).remote().port());
    }

    @Test
    void keysBeyondTheCapSumIntoPortZero() {
        ClosedConnections c = new ClosedConnections(0);
        for (int p = 1; p <= ClosedConnections.MAX_KEYS + 100; p++) {
            close(c, 40000, p);
        }
        assertTrue(c.totals().keys().length <= ClosedConnections.MAX_KEYS);
        long sum = 0;
        ClosedConnections.Totals t = c.totals();
        for (int i = 0; i < t.keys().length; i++) {
            sum += t.get(i, ClosedConnections.CLOSED);
        }
        assertEquals(ClosedConnections.MAX_KEYS + 100, sum, "nothing is dropped");
        assertTrue(closedOf(c, ClosedConnections.OUTBOUND, 0) >= 100);
        assertEquals(0, c.last(5).size());
    }

    @Test
    void severalWritersAtOnceLoseNothing() throws Exception {
        // one subscription per network namespace writes into the same instance from its own thread
        ClosedConnections c = new ClosedConnections(64);
        boolean[] in = new boolean[65536];
        in[8080] = true;
        c.inboundPorts(in);
        int threads = 4;
        int each = 20_000;
        Thread[] writers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int remoteBase = 1000 + t * 100;
            writers[t] = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    c.closed(i, Family.IPV4, 0, LO, 8080, 0, LO, 40000 + i % 1000, i, 1, 2, 0, 100);
                    c.closed(i, Family.IPV4, 0, LO, 40000 + i % 1000, 0, LO, remoteBase + i % 100, i, 1, 2, 0,
                            100);
                }
            });
        }
        for (Thread w : writers) {
            w.start();
        }
        for (Thread w : writers) {
            w.join();
        }
        assertEquals(2L * threads * each, c.total());
        assertEquals((long) threads * each, closedOf(c, ClosedConnections.INBOUND, 8080));
        long outbound = 0;
        for (int p = 1000; p < 1000 + threads * 100; p++) {
            outbound += closedOf(c, ClosedConnections.OUTBOUND, p);
        }
        assertEquals((long) threads * each, outbound);
        assertEquals(threads * 100 + 1, c.totals().keys().length, "one slot per key, none made twice");
    }
}
