package io.connmon.parser.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CompactSocketListTest {

    /** Random records of every protocol, family and state, with extreme column values. */
    private static List<SocketRecord> randomRecords(int n, long seed) {
        Random rnd = new Random(seed);
        SocketState[] states = SocketState.values();
        List<SocketRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Protocol p = rnd.nextBoolean() ? Protocol.TCP : Protocol.UDP;
            boolean v6 = rnd.nextInt(3) == 0;
            Endpoint local = v6 ? Endpoint.ipv6(rnd.nextLong(), rnd.nextLong(), rnd.nextInt(65536))
                    : Endpoint.ipv4(rnd.nextInt(), rnd.nextInt(65536));
            Endpoint remote = v6 ? Endpoint.ipv6(rnd.nextLong(), rnd.nextLong(), rnd.nextInt(65536))
                    : Endpoint.ipv4(rnd.nextInt(), rnd.nextInt(65536));
            long uid = rnd.nextInt(5) == 0 ? -1 : rnd.nextInt(3) == 0 ? 0xFFFFFFFEL : rnd.nextInt(70000);
            long big = rnd.nextBoolean() ? Long.MAX_VALUE - rnd.nextInt(10) : rnd.nextInt(1 << 20);
            out.add(new SocketRecord(p, local.family(), states[rnd.nextInt(states.length)], local, remote,
                    big, rnd.nextInt() & 0xFFFFFFFFL, uid, rnd.nextLong() & Long.MAX_VALUE, rnd.nextInt(256),
                    big, rnd.nextInt(1000)));
        }
        return out;
    }

    @Test
    void keepsEveryColumnOfMixedRecords() {
        List<SocketRecord> records = randomRecords(20_000, 7);
        CompactSocketList compact = CompactSocketList.copyOf(records);
        assertEquals(records.size(), compact.size());
        for (int i = 0; i < records.size(); i++) {
            assertEquals(records.get(i), compact.get(i), "record " + i);
        }
        assertEquals(records, compact);
    }

    @Test
    void concatenatesBuildersInOrderSkippingEmptyOnes() {
        List<SocketRecord> a = randomRecords(100, 1);
        List<SocketRecord> b = randomRecords(3, 2);
        CompactSocketList.Builder ba = new CompactSocketList.Builder(1); // grows many times
        a.forEach(ba);
        CompactSocketList.Builder empty = new CompactSocketList.Builder(10);
        CompactSocketList.Builder bb = new CompactSocketList.Builder(3);
        b.forEach(bb);
        CompactSocketList list = CompactSocketList.of(List.of(ba, empty, bb));
        List<SocketRecord> expected = new ArrayList<>(a);
        expected.addAll(b);
        assertEquals(expected, list);
        assertEquals(b.get(2), list.get(102));
        assertThrows(IndexOutOfBoundsException.class, () -> list.get(103));
        assertThrows(IndexOutOfBoundsException.class, () -> list.get(-1));
        assertThrows(IllegalStateException.class, () -> ba.accept(a.get(0)), "a sealed builder takes no more");
    }

    @Test
    void isImmutableAndNotCopiedTwice() {
        CompactSocketList list = CompactSocketList.copyOf(randomRecords(5, 3));
        assertThrows(UnsupportedOperationException.class, () -> list.add(list.get(0)));
        assertThrows(UnsupportedOperationException.class, () -> list.set(0, list.get(1)));
        assertSame(list, CompactSocketList.copyOf(list));
        SocketTable table = new SocketTable("test", list, List.of());
        assertSame(list, table.sockets());
        assertEquals(0, CompactSocketList.copyOf(List.of()).size());
    }
}
