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

    @Test
    void cursorReadsTheSameValuesAsTheRecords() {
        List<SocketRecord> records = randomRecords(5_000, 11);
        CompactSocketList.Builder a = new CompactSocketList.Builder(10);
        CompactSocketList.Builder b = new CompactSocketList.Builder(10);
        records.subList(0, 2_000).forEach(a);
        records.subList(2_000, records.size()).forEach(b);
        CompactSocketList compact = CompactSocketList.of(List.of(a, new CompactSocketList.Builder(1), b));
        for (List<SocketRecord> list : List.of(records, compact)) {
            SocketCursor c = SocketCursor.over(list);
            int n = 0;
            while (c.next()) {
                SocketRecord r = records.get(n);
                assertEquals(n, c.index());
                assertEquals(r.protocol(), c.protocol());
                assertEquals(r.family(), c.family());
                assertEquals(r.state(), c.state());
                assertEquals(r.localPort(), c.localPort());
                assertEquals(r.remotePort(), c.remotePort());
                assertEquals(r.remoteHigh(), c.remoteHigh());
                assertEquals(r.remoteLow(), c.remoteLow());
                assertEquals(r.sendQueue(), c.sendQueue());
                assertEquals(r.receiveQueue(), c.receiveQueue());
                assertEquals(r, c.record());
                n++;
            }
            assertEquals(records.size(), n);
            assertEquals(false, c.next(), "stays at the end");
        }
        assertEquals(false, SocketCursor.over(CompactSocketList.copyOf(List.of())).next());
    }

    @Test
    void keepsSockDiagColumnsWhetherTheyFitThirtyTwoBitsOrNot() {
        long[] cookies = {0, 5, 1L << 40, (1L << 40) + 7, -1, Long.MAX_VALUE, Long.MIN_VALUE, 3};
        long[] cgroups = {1, 1, 0, 1L << 35, 1, 2, 1, 1};
        long[] expires = {-1, 0, 1234, 4_000_000_000L, 7, 60_000, -1, 0};
        long[] jiffies = {0, 0, 123, 400_000_000L, 5, 6_000, 99, 1};
        CompactSocketList.Builder b = new CompactSocketList.Builder(2);
        List<SocketRecord> expected = new ArrayList<>();
        for (int i = 0; i < cookies.length; i++) {
            SocketRecord r = new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0, 0x7F000001L,
                    1000 + i, 0, 0x7F000001L, 80, i, 1L << 33, 1000, 0xFFFFFFF0L + i, 2, jiffies[i], i,
                    cookies[i], cgroups[i], -1, expires[i], null);
            expected.add(r);
            b.accept(r);
        }
        assertEquals(expected, CompactSocketList.of(List.of(b)));
    }

    @Test
    void keepsMoreThanTwoHundredFiftySixDistinctUidsAndCgroups() {
        CompactSocketList.Builder b = new CompactSocketList.Builder(4);
        List<SocketRecord> expected = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            long uid = i % 3 == 0 ? -1 : i < 500 ? i % 7 : 0xFFFFFFFEL - i; // few values, then many
            SocketRecord r = new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0, 0x7F000001L,
                    i % 65536, 0, 0x7F000001L, 80, 0, 0, uid, i + 1, 0, 0, i < 300 ? i % 4 : i, i + 1,
                    i < 400 ? 1 : (1L << 40) + i, -1, 0, null);
            expected.add(r);
            b.accept(r);
            if (i == 255 || i == 256) {
                assertEquals(expected, CompactSocketList.of(List.of(copy(expected))), "around 256 values");
            }
        }
        assertEquals(1, b.dropDuplicates() + 1);
        assertEquals(expected, CompactSocketList.of(List.of(b)));
    }

    @Test
    void refusingRepeatedCookiesOnAppendKeepsWhatDroppingDuplicatesAfterwardsKeeps() {
        Random rnd = new Random(11);
        for (int round = 0; round < 50; round++) {
            boolean everyRowHasACookie = round % 2 == 0;
            List<SocketRecord> records = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                long cookie = everyRowHasACookie || rnd.nextInt(10) > 0 ? 1 + rnd.nextInt(300) : 0;
                records.add(new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0, 0x7F000001L,
                        i % 65536, 0, 0x7F000001L, 80, 0, 0, 1000, cookie == 0 ? i % 50 : 0, 0, 0, 0, cookie, 0,
                        -1, 0, null));
            }
            CompactSocketList.Builder after = new CompactSocketList.Builder(4);
            records.forEach(after);
            int droppedAfter = after.dropDuplicates();
            CompactSocketList.Builder onAppend = new CompactSocketList.Builder(4);
            records.subList(0, 7).forEach(onAppend); // tracking may start on a builder that holds rows
            onAppend.dropRepeatedCookies();
            records.subList(7, records.size()).forEach(onAppend);
            int droppedOnAppend = onAppend.dropDuplicates();
            assertEquals(droppedAfter, droppedOnAppend, "round " + round);
            assertEquals(CompactSocketList.of(List.of(after)), CompactSocketList.of(List.of(onAppend)), "round " + round);
            org.junit.jupiter.api.Assertions.assertTrue(droppedAfter > 100, "the rounds do repeat sockets");
        }
    }

    @Test
    void theDuplicateSetGrowsPastWhatItWasSizedFor() {
        CompactSocketList.LongSet set = new CompactSocketList.LongSet(16);
        Random rnd = new Random(3);
        long[] keys = new long[100_000];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = i % 2 == 0 ? i + 1 : rnd.nextLong() | 1;
            org.junit.jupiter.api.Assertions.assertTrue(set.add(keys[i]), "key " + i);
        }
        for (long k : keys) {
            org.junit.jupiter.api.Assertions.assertFalse(set.add(k));
        }
    }

    private static CompactSocketList.Builder copy(List<SocketRecord> records) {
        CompactSocketList.Builder b = new CompactSocketList.Builder(1);
        records.forEach(b);
        return b;
    }
}
