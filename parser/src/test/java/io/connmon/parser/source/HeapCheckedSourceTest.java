package io.connmon.parser.source;

import io.connmon.parser.Fixtures;
import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeapCheckedSourceTest {

    private static final long MAX = 1_000_000;
    private static final long KEPT_FREE = MAX / 10;

    /** A source of any kind: it hands out the fixture tree's table (43 sockets) and counts its reads. */
    private static class CountingSource implements SocketSource {
        final ProcfsSocketSource procfs = new ProcfsSocketSource(Fixtures.PROC, ByteOrder.LITTLE_ENDIAN, false);
        int reads;

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public SocketTable collect() throws SourceException {
            reads++;
            return procfs.collect();
        }

        @Override
        public SocketTable collect(SocketRequest request) throws SourceException {
            reads++;
            SocketTable all = procfs.collect();
            return request.isAll() ? all : new SocketTable(all.source(), all.sockets().subList(0, 1), all.inputs());
        }
    }

    @Test
    void rowBytesCountTheColumnsOfEachSegment() throws SourceException {
        SocketTable t = new ProcfsSocketSource(Fixtures.PROC, ByteOrder.LITTLE_ENDIAN, false).collect();
        long v4 = 0;
        long v6 = 0;
        for (FileReport r : t.inputs()) {
            if (r.name().endsWith("6")) {
                v6 += r.records();
            } else {
                v4 += r.records();
            }
        }
        assertEquals(43, v4 + v6);
        assertEquals(58 * v4 + 90 * v6, ((CompactSocketList) t.sockets()).rowBytes());
    }

    @Test
    void aCollectionWithoutRoomForTheLastTablesSizeIsRefusedWithAReasonThenRetried() throws SourceException {
        CountingSource inner = new CountingSource();
        AtomicLong used = new AtomicLong(MAX); // the heap is full before the first collection...
        AtomicInteger gcs = new AtomicInteger();
        SocketSource source = new HeapCheckedSource(inner, new HeapRoom(() -> MAX, used::get, gcs::incrementAndGet));
        SocketTable first = source.collect(); // ...but the first collection is never refused (no size known)
        assertEquals(43, first.sockets().size());
        long bytes = ((CompactSocketList) first.sockets()).rowBytes();
        long need = bytes + bytes / 8;

        used.set(MAX - KEPT_FREE - need); // exactly room for the next table
        assertEquals(43, source.collect().sockets().size());
        assertEquals(0, gcs.get());

        used.set(MAX - KEPT_FREE - need + 1); // one byte short: older snapshots still rendered
        SourceException e = assertThrows(SourceException.class, source::collect);
        assertEquals("no heap room for another socket table (0 MiB for 43 sockets) while older snapshots are still "
                + "being rendered: collection skipped, the last snapshot is served on; raise -Xmx if this persists",
                e.getMessage());
        assertEquals(2, inner.reads); // the source was not read
        assertEquals(1, gcs.get()); // one full collection decided

        used.set(0); // they were rendered and let go
        assertEquals(43, source.collect().sockets().size());
        assertEquals(3, inner.reads);
    }

    @Test
    void spareColumnsGoBeforeATableIsRefused() throws SourceException {
        AtomicLong used = new AtomicLong(0);
        AtomicInteger trims = new AtomicInteger();
        long spare = 300_000; // what the source keeps for its next table
        CountingSource inner = new CountingSource() {
            @Override
            public void trim() {
                trims.incrementAndGet();
                used.addAndGet(-spare);
            }
        };
        SocketSource source = new HeapCheckedSource(inner, new HeapRoom(() -> MAX, used::get, () -> { }));
        long bytes = ((CompactSocketList) source.collect().sockets()).rowBytes();
        long need = bytes + bytes / 8;

        used.set(MAX - KEPT_FREE - need); // room: the spares stay
        assertEquals(43, source.collect().sockets().size());
        assertEquals(0, trims.get());

        used.set(MAX - KEPT_FREE - need + spare); // room only without the spares
        assertEquals(43, source.collect().sockets().size(), "not refused: the spares went");
        assertEquals(1, trims.get());

        used.set(MAX - KEPT_FREE - need + spare + 1); // not even without them
        assertThrows(SourceException.class, source::collect);
        assertEquals(2, trims.get());
    }

    @Test
    void plentyOfRoomCostsNoGarbageCollection() throws SourceException {
        AtomicInteger gcs = new AtomicInteger();
        SocketSource source = new HeapCheckedSource(new CountingSource(),
                new HeapRoom(() -> MAX, () -> 0, gcs::incrementAndGet));
        for (int i = 0; i < 10; i++) {
            source.collect();
            source.collect(SocketRequest.ALL.withTcpInfo(true));
        }
        assertEquals(0, gcs.get());
    }

    @Test
    void tcpInfoAsksForItsColumnsAndAFilteredTableDoesNotShrinkTheEstimate() throws SourceException {
        CountingSource inner = new CountingSource();
        AtomicLong used = new AtomicLong(0);
        SocketSource source = new HeapCheckedSource(inner, new HeapRoom(() -> MAX, used::get, () -> { }));
        long bytes = ((CompactSocketList) source.collect().sockets()).rowBytes();
        long needInfo = bytes + 43 * 48 + (bytes + 43 * 48) / 8;
        long need = bytes + bytes / 8;

        // a filtered read (one socket) leaves the estimate at the full table's
        assertEquals(1, source.collect(SocketRequest.ALL.onlyStates(
                java.util.Set.of(io.connmon.parser.model.SocketState.LISTEN))).sockets().size());
        used.set(MAX - KEPT_FREE - need + 1);
        assertThrows(SourceException.class, source::collect);

        used.set(MAX - KEPT_FREE - need); // room for the table, not for its tcp_info columns
        assertEquals(43, source.collect().sockets().size());
        SourceException e = assertThrows(SourceException.class,
                () -> source.collect(SocketRequest.ALL.withTcpInfo(true)));
        assertTrue(e.getMessage().startsWith("no heap room for another socket table"), e.getMessage());
        used.set(MAX - KEPT_FREE - needInfo);
        assertEquals(43, source.collect(SocketRequest.ALL.withTcpInfo(true)).sockets().size());
    }

    @Test
    void everyChosenSourceIsChecked() {
        for (SourceKind kind : SourceKind.values()) {
            SocketSources.Choice c = SocketSources.choose(kind, Fixtures.PROC, () -> null, p -> true);
            assertTrue(c.source() instanceof HeapCheckedSource, kind + ": " + c.source());
            c.source().close();
        }
        SocketSource guarded = SocketSources.guarded(new CountingSource());
        assertTrue(SocketSources.guarded(guarded) == guarded, "guarded once");
    }
}
