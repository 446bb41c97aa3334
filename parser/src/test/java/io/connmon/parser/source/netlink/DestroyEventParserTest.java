package io.connmon.parser.source.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.events.ClosedConnection;
import io.connmon.parser.events.ClosedConnections;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Destroy events captured by {@code capture-destroy.py} (see the fixture README), each checked against what
 * {@code ss -tniE} printed for it in {@code destroy/ss-tniE.txt}.
 */
class DestroyEventParserTest {

    /** The listening ports of the capture (ss-tniE.txt). */
    private static final int V4_LISTENER = 41283;
    private static final int V6_LISTENER = 48929;
    private static final int DUAL_LISTENER = 48601;

    static List<ByteBuffer> datagrams() throws IOException {
        byte[] all;
        try (InputStream in = DestroyEventParserTest.class.getResourceAsStream("/netlink/destroy/events.bin")) {
            all = in.readAllBytes();
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        List<ByteBuffer> out = new ArrayList<>();
        while (b.remaining() >= 4) {
            int len = b.getInt();
            byte[] d = new byte[len];
            b.get(d);
            out.add(ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN)); // captured on x86_64
        }
        return out;
    }

    private static ClosedConnections parsed(List<ByteBuffer> datagrams) {
        ClosedConnections c = new ClosedConnections(100);
        boolean[] inbound = new boolean[65536];
        inbound[V4_LISTENER] = inbound[V6_LISTENER] = inbound[DUAL_LISTENER] = true;
        c.inboundPorts(inbound);
        for (ByteBuffer d : datagrams) {
            DestroyEventParser.parse(d, 1_000, c);
        }
        return c;
    }

    private static long field(ClosedConnections.Totals t, int direction, int port, int field) {
        int key = ClosedConnections.key(direction, port);
        for (int i = 0; i < t.keys().length; i++) {
            if (t.keys()[i] == key) {
                return t.get(i, field);
            }
        }
        return -1;
    }

    @Test
    void capturedEventsMatchSs() throws IOException {
        ClosedConnections c = parsed(datagrams());
        assertEquals(0, c.malformedMessages());
        assertEquals(5, c.total(), "both ends of three connections but the reset client");
        assertEquals(4, c.withoutPeer(), "three listeners and the client socket reset with SO_LINGER 0");
        ClosedConnections.Totals t = c.totals();
        // ss: 127.0.0.1:41283 <- :38808 bytes_acked:201 bytes_received:1001 rtt:0.028
        assertEquals(1, field(t, ClosedConnections.INBOUND, V4_LISTENER, ClosedConnections.CLOSED));
        assertEquals(201, field(t, ClosedConnections.INBOUND, V4_LISTENER, ClosedConnections.BYTES_SENT));
        assertEquals(1001, field(t, ClosedConnections.INBOUND, V4_LISTENER, ClosedConnections.BYTES_RECEIVED));
        assertEquals(28, field(t, ClosedConnections.INBOUND, V4_LISTENER, ClosedConnections.RTT_SUM_MICROS));
        // ss: 127.0.0.1:38808 -> :41283 bytes_acked:1002 bytes_received:200 rtt:5.479
        assertEquals(1, field(t, ClosedConnections.OUTBOUND, V4_LISTENER, ClosedConnections.CLOSED));
        assertEquals(1002, field(t, ClosedConnections.OUTBOUND, V4_LISTENER, ClosedConnections.BYTES_SENT));
        assertEquals(200, field(t, ClosedConnections.OUTBOUND, V4_LISTENER, ClosedConnections.BYTES_RECEIVED));
        assertEquals(5479, field(t, ClosedConnections.OUTBOUND, V4_LISTENER, ClosedConnections.RTT_SUM_MICROS));
        // ss: [::1]:37472 -> [::1]:48929 bytes_acked:3002 bytes_received:7 rtt:5.064; server bytes_acked:8
        assertEquals(3002, field(t, ClosedConnections.OUTBOUND, V6_LISTENER, ClosedConnections.BYTES_SENT));
        assertEquals(7, field(t, ClosedConnections.OUTBOUND, V6_LISTENER, ClosedConnections.BYTES_RECEIVED));
        assertEquals(8, field(t, ClosedConnections.INBOUND, V6_LISTENER, ClosedConnections.BYTES_SENT));
        assertEquals(3001, field(t, ClosedConnections.INBOUND, V6_LISTENER, ClosedConnections.BYTES_RECEIVED));
        // ss: [::ffff:127.0.0.1]:48601 <- :60678 bytes_acked:60 bytes_received:50 rtt:0.018
        assertEquals(60, field(t, ClosedConnections.INBOUND, DUAL_LISTENER, ClosedConnections.BYTES_SENT));
        assertEquals(50, field(t, ClosedConnections.INBOUND, DUAL_LISTENER, ClosedConnections.BYTES_RECEIVED));
        assertEquals(0, field(t, ClosedConnections.INBOUND, DUAL_LISTENER, ClosedConnections.RETRANSMITS));
        // 0.028 ms falls in the first bucket (<= 0.1 ms), 5.479 ms in the one up to 10 ms
        assertEquals(1, field(t, ClosedConnections.INBOUND, V4_LISTENER, ClosedConnections.RTT_BUCKETS));
        assertEquals(1, field(t, ClosedConnections.OUTBOUND, V4_LISTENER, ClosedConnections.RTT_BUCKETS + 6));

        List<ClosedConnection> last = c.last(10);
        assertEquals(5, last.size());
        ClosedConnection newest = last.get(0); // the dual-stack server side, mapped to IPv4
        assertEquals("127.0.0.1", newest.local().address());
        assertEquals(DUAL_LISTENER, newest.local().port());
        assertEquals(60678, newest.remote().port());
        assertTrue(newest.inbound());
        assertEquals(1_000, newest.closedAtMillis());
        ClosedConnection oldest = last.get(4);
        assertEquals(38808, oldest.local().port());
        assertEquals(V4_LISTENER, oldest.remote().port());
        assertEquals(false, oldest.inbound());
    }

    @Test
    void truncatedDatagramsAreCountedNeverThrown() throws IOException {
        for (ByteBuffer d : datagrams()) {
            int full = d.limit();
            for (int cut = 1; cut < full; cut++) {
                ClosedConnections c = new ClosedConnections(4);
                ByteBuffer t = d.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                t.limit(cut);
                DestroyEventParser.parse(t, 0, c);
                assertEquals(0, c.total() + c.withoutPeer(), "cut at " + cut + " of " + full);
                assertTrue(c.malformedMessages() >= 1, "cut at " + cut + " of " + full);
            }
        }
    }

    @Test
    void mutatedDatagramsNeverThrow() throws IOException {
        Random random = new Random(11);
        List<ByteBuffer> datagrams = datagrams();
        long events = 0;
        long bad = 0;
        for (int round = 0; round < 20_000; round++) {
            ByteBuffer src = datagrams.get(random.nextInt(datagrams.size()));
            byte[] bytes = new byte[src.limit()];
            src.duplicate().get(bytes);
            for (int k = 1 + random.nextInt(4); k > 0; k--) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            ClosedConnections c = new ClosedConnections(4);
            ByteBuffer m = ByteBuffer.wrap(bytes).order(random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN
                    : ByteOrder.BIG_ENDIAN);
            int n = DestroyEventParser.parse(m, 0, c);
            assertEquals(n, c.total() + c.withoutPeer());
            c.last(4);
            events += n;
            bad += c.malformedMessages();
        }
        assertTrue(events > 0 && bad > 0, "mutations both pass and fail: " + events + " events, " + bad + " bad");
    }

    @Test
    void dropsAreReadFromTheNetlinkTable() {
        List<String> table = List.of(
                "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode",
                "00000000bde5059e 4   0          00000000 0        0        0     2        0        477",
                "000000001234abcd 4   2147483649 00000005 8704     0        0     2        37       90210");
        assertEquals(37, DestroySubscription.dropsOf(table, (int) 2147483649L));
        assertEquals(-1, DestroySubscription.dropsOf(table, 5));
    }
}
