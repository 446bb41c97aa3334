package io.connmon.parser.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Tables whose columns are filled again once released: the same rows as new columns, never another's. */
class ColumnSparesTest {

    /**
     * Records with every column a sock_diag row can fill (cookie, cgroup id, expiry, tcp_info, v6only, a
     * namespace of their own) in some rows only, so that the columns allocated with a first such row meet arrays
     * an earlier table left values in.
     */
    private static List<SocketRecord> rows(int n, long seed, boolean rich) {
        Random rnd = new Random(seed);
        SocketState[] states = SocketState.values();
        List<SocketRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Protocol p = rnd.nextBoolean() ? Protocol.TCP : Protocol.UDP;
            boolean v6 = rnd.nextInt(4) == 0;
            long lh = v6 ? rnd.nextLong() : 0;
            long ll = v6 ? rnd.nextLong() : rnd.nextInt() & 0xFFFFFFFFL;
            long rh = v6 ? rnd.nextLong() : 0;
            long rl = v6 ? rnd.nextLong() : rnd.nextInt() & 0xFFFFFFFFL;
            boolean some = rich && i > n / 3 && rnd.nextInt(3) > 0; // none in the first third of the rows
            long expires = some ? rnd.nextInt(100_000) : -1;
            long jiffies = some && rnd.nextBoolean() ? expires / 10 : rnd.nextInt(5000);
            TcpInfo info = some && rnd.nextBoolean() ? new TcpInfo(rnd.nextInt(9999), rnd.nextInt(999),
                    rnd.nextInt(9), rnd.nextLong() & Long.MAX_VALUE, rnd.nextInt(), -1) : null;
            out.add(new SocketRecord(p, v6 ? Family.IPV6 : Family.IPV4, states[rnd.nextInt(states.length)], lh, ll,
                    rnd.nextInt(65536), rh, rl, rnd.nextInt(65536), rnd.nextInt(1 << 20), rnd.nextInt(1 << 20),
                    rnd.nextInt(5) == 0 ? -1 : rnd.nextInt(70_000), rnd.nextInt() & 0xFFFFFFFFL, rnd.nextInt(5),
                    jiffies, rnd.nextInt(20), some ? 1 + rnd.nextInt(1 << 30) : 0,
                    some ? rnd.nextInt(4) * 1_000_003L : 0, v6 && some ? rnd.nextInt(2) : -1, expires, info,
                    some && rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0));
        }
        return out;
    }

    private static CompactSocketList build(List<SocketRecord> rows, ColumnSpares spares, int expected) {
        CompactSocketList.Builder b = new CompactSocketList.Builder(expected, spares);
        rows.forEach(b);
        return CompactSocketList.of(List.of(b));
    }

    @Test
    void aTableBuiltInReleasedColumnsHasExactlyItsOwnRows() {
        ColumnSpares spares = new ColumnSpares();
        for (int round = 0; round < 6; round++) {
            // every table fills the arrays the one before left full of other values
            List<SocketRecord> rows = rows(3000 + round, round, round % 2 == 1);
            CompactSocketList list = build(rows, spares, 3100);
            assertEquals(rows, list, "round " + round);
            assertEquals(rows, build(rows, null, 3100), "the same rows in new columns");
            list.release();
            assertTrue(spares.size() > 10, "the columns went back: " + spares.size());
        }
    }

    @Test
    void aReleasedTableFailsRatherThanShowTheNextOnesRows() {
        ColumnSpares spares = new ColumnSpares();
        CompactSocketList first = build(rows(500, 1, true), spares, 500);
        first.release();
        assertFalse(first.retain(), "released by its last holder");
        int given = spares.size();
        CompactSocketList second = build(rows(500, 2, true), spares, 500);
        assertTrue(spares.size() <= given - 12, "the second table took the first one's arrays: " + given + " -> "
                + spares.size());
        assertThrows(NullPointerException.class, () -> first.get(0));
        SocketCursor c = SocketCursor.over(first);
        assertTrue(c.next());
        assertThrows(NullPointerException.class, c::state);
        assertEquals(rows(500, 2, true), second);
    }

    @Test
    void aHeldTableIsNotRecycledUntilItsLastHolderLetsGo() {
        ColumnSpares spares = new ColumnSpares();
        List<SocketRecord> rows = rows(800, 3, true);
        CompactSocketList list = build(rows, spares, 800);
        assertTrue(list.retain()); // a reader
        list.release(); // the maker
        assertEquals(0, spares.size());
        build(rows(800, 4, true), spares, 800); // a table made meanwhile takes nothing of it
        assertEquals(rows, list);
        list.release(); // the reader
        assertTrue(spares.size() > 10);
        list.release(); // once too often: nothing happens
        assertFalse(list.retain());
    }

    @Test
    void viewsAndJoinedListsDoNotRecycleTheColumnsTheyShare() {
        ColumnSpares spares = new ColumnSpares();
        List<SocketRecord> rows = rows(300, 5, false);
        CompactSocketList own = build(rows, spares, 300);
        CompactSocketList joined = CompactSocketList.concat(List.of(own), new int[] {0});
        assertTrue(joined.retain());
        joined.release();
        joined.release();
        assertEquals(0, spares.size());
        assertEquals(rows, joined);
    }

    @Test
    void buildersWithoutSparesAreNeverRecycled() {
        List<SocketRecord> rows = rows(200, 6, true);
        CompactSocketList list = build(rows, null, 200);
        list.release();
        assertEquals(rows, list, "no spares: the columns stay, for the garbage collector");
    }

    @Test
    void cookieSetsGoBackAfterTheirDumpAndDeduplicateAgain() {
        ColumnSpares spares = new ColumnSpares();
        for (int round = 0; round < 3; round++) {
            CompactSocketList.Builder b = new CompactSocketList.Builder(100, spares).dropRepeatedCookies();
            for (int i = 0; i < 100; i++) {
                long cookie = 1 + i % 60; // 40 repeats
                b.append(Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0, 0x7F000001L, 1000 + i, 0,
                        0x7F000001L, 80, 0, 0, 1000, 5000 + i, 0, 0, 0, cookie, 0, -1, -1);
            }
            assertEquals(40, b.dropDuplicates(), "round " + round);
            assertEquals(60, b.size());
            CompactSocketList.of(List.of(b)).release();
        }
    }

    @Test
    void sizeClassesStepBySixteenthsOfAPowerOfTwo() {
        assertEquals(64, ColumnSpares.sizeClass(0));
        assertEquals(64, ColumnSpares.sizeClass(64));
        assertEquals(68, ColumnSpares.sizeClass(65)); // 64..127 in steps of 4
        assertEquals(106_496, ColumnSpares.sizeClass(106_314)); // 65,536..131,071 in steps of 4,096
        assertEquals(106_496, ColumnSpares.sizeClass(106_496));
        assertEquals(110_592, ColumnSpares.sizeClass(106_497));
        for (int n = 1; n < 5_000_000; n = n * 3 / 2 + 1) {
            int c = ColumnSpares.sizeClass(n);
            assertTrue(c >= n && c <= Math.max(64, n + n / 16 + 1), n + " -> " + c);
        }
    }

    @Test
    void aBuilderKeepingTheRttAloneGivesItAndUnknownsForTheRest() {
        CompactSocketList.Builder b = new CompactSocketList.Builder(4).keepRttOnly().dropRepeatedCookies();
        for (int i = 0; i < 100; i++) { // grows from 16 rows, and repeats a cookie every tenth row
            int row = b.append(Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0, 0x7F000001L, 2000 + i, 0,
                    0x7F000001L, 80, 0, 0, 1000, 7000 + i, 0, 0, 0, i % 10 == 9 ? 1 : 1 + i, 0, -1, -1);
            if (row >= 0 && i % 3 > 0) {
                b.setTcpInfo(row, 1000 + i, 50, 2, 4096, 8192, 1_000_000);
            }
        }
        assertEquals(10, b.dropDuplicates());
        CompactSocketList list = CompactSocketList.of(List.of(b));
        assertEquals(90, list.size());
        for (SocketRecord r : list) {
            int i = r.localPort() - 2000;
            if (i % 3 > 0) {
                assertEquals(new TcpInfo(1000 + i, -1, -1, -1, -1, -1), r.tcpInfo(), r.toString());
            } else {
                assertNull(r.tcpInfo(), r.toString());
            }
        }
        CompactSocketList.Builder whole = new CompactSocketList.Builder(4);
        whole.append(Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0, 1, 1, 0, 2, 2, 0, 0, 0, 1, 0, 0, 0, 9, 0,
                -1, -1);
        whole.setTcpInfo(0, 1, 2, 3, 4, 5, 6);
        assertThrows(IllegalStateException.class, whole::keepRttOnly, "tcp_info already kept whole");
        assertEquals(new TcpInfo(1, 2, 3, 4, 5, 6), CompactSocketList.of(List.of(whole)).get(0).tcpInfo());
    }
}
