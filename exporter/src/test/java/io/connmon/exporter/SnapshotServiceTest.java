package io.connmon.exporter;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.source.SourceException;

import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SnapshotServiceTest {

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }

    /** The n-th collection holds n sockets, so that two collections never look alike. */
    private static List<SocketRecord> nSockets(int n) {
        List<SocketRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000 + i, "10.0.0.2", 443));
        }
        return out;
    }

    private static SnapshotService service(FakeSource source, Duration maxAge) {
        return new SnapshotService(source, Sockets::stats, maxAge, Sockets.tickingClock(), "testhost");
    }

    @Test
    void concurrentCallersWaitForOneCollectionAndShareIt() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets).gate(gate);
        SnapshotService service = service(source, Duration.ZERO); // always fresh: only overlap shares

        int callers = 20;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        List<Future<Snapshot>> results = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            results.add(pool.submit(() -> {
                threads.add(Thread.currentThread());
                start.await();
                return service.current();
            }));
        }
        start.countDown();
        // Hold the one collection until every caller is parked: on the gate (the collector) or on its result.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(threads.size() == callers && source.calls() == 1
                && threads.stream().allMatch(SnapshotServiceTest::parkedInCurrent))) {
            assertTrue(System.nanoTime() < deadline, "callers never all waited");
            Thread.sleep(5);
        }
        gate.countDown();

        Snapshot first = results.get(0).get(10, TimeUnit.SECONDS);
        for (Future<Snapshot> f : results) {
            assertSame(first, f.get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, source.calls());
        assertEquals(1, service.collections());
        assertEquals(1, first.sockets().size());
    }

    /** Whether a thread is parked somewhere inside {@link SnapshotService#current()}. */
    private static boolean parkedInCurrent(Thread t) {
        Thread.State state = t.getState();
        if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(SnapshotService.class.getName()) && e.getMethodName().equals("current")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void manyConcurrentCallersNeverRunTwoCollectionsAtOnce() throws Exception {
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets).delay(20);
        SnapshotService service = service(source, Duration.ZERO);
        List<Future<Snapshot>> results = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            results.add(pool.submit(() -> service.current()));
        }
        for (Future<Snapshot> f : results) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertEquals(1, source.maxConcurrent());
        assertTrue(source.calls() < 200, "callers that overlapped a collection shared it: " + source.calls());
    }

    @Test
    void aSnapshotYoungerThanMaxAgeIsServedAsItIs() throws Exception {
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets);
        SnapshotService service = service(source, Duration.ofHours(1));
        Snapshot a = service.current();
        Snapshot b = service.current();
        assertSame(a, b);
        assertEquals(1, source.calls());
    }

    @Test
    void maxAgeZeroCollectsAtEveryRequest() throws Exception {
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets);
        SnapshotService service = service(source, Duration.ZERO);
        Snapshot a = service.current();
        Snapshot b = service.current();
        assertEquals(2, source.calls());
        assertEquals(1, a.sockets().size());
        assertEquals(2, b.sockets().size());
        assertTrue(b.timestamp().isAfter(a.timestamp()));
    }

    @Test
    void aRequestThatWaitedWhileACollectionRanSharesIt() throws Exception {
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets);
        SnapshotService service = service(source, Duration.ZERO);
        long arrived = System.nanoTime(); // queued for a worker thread while...
        Snapshot a = service.current(); // ...another request collected
        assertSame(a, service.current(arrived));
        assertEquals(1, source.calls());
        Snapshot b = service.current(System.nanoTime()); // arrived after: fresh
        assertEquals(2, source.calls());
        assertEquals(2, b.sockets().size());
    }

    @Test
    void aSnapshotOlderThanMaxAgeIsReplaced() throws Exception {
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets);
        SnapshotService service = service(source, Duration.ofMillis(200));
        Snapshot a = service.current();
        assertSame(a, service.current());
        Thread.sleep(300);
        Snapshot b = service.current();
        assertEquals(2, source.calls());
        assertEquals(2, b.sockets().size());
        assertSame(b, service.latest());
    }

    @Test
    void aFailedCollectionServesTheLastGoodSnapshotAndCountsTheFailure() throws Exception {
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets);
        SnapshotService service = service(source, Duration.ZERO);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Snapshot> collected = Collections.synchronizedList(new ArrayList<>());
        service.addListener(new SnapshotService.Listener() {
            @Override
            public void collected(Snapshot snapshot) {
                collected.add(snapshot);
            }

            @Override
            public void failed(String reason, Duration took) {
                failures.add(reason);
            }
        });
        Snapshot good = service.current();
        source.fail("net/tcp: cannot open");
        assertSame(good, service.current());
        assertSame(good, service.current());
        assertSame(good, service.latest());
        assertEquals(3, service.collections());
        assertEquals(2, service.failures());
        assertEquals("net/tcp: cannot open", service.lastError());
        assertEquals(List.of("net/tcp: cannot open", "net/tcp: cannot open"), failures);
        assertEquals(List.of(good), collected);

        source.fail(null);
        Snapshot next = service.current();
        assertEquals(4, next.sockets().size());
        assertSame(next, service.latest());
    }

    @Test
    void withoutAnyGoodSnapshotAFailureIsThrownToEveryCaller() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets).fail("no tables").gate(gate);
        SnapshotService service = service(source, Duration.ZERO);
        List<Future<Snapshot>> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            results.add(pool.submit(() -> service.current()));
        }
        Thread.sleep(200);
        gate.countDown();
        for (Future<Snapshot> f : results) {
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof SourceException, e.getCause().toString());
            assertEquals("no tables", e.getCause().getMessage());
        }
        assertNull(service.latest());
        assertEquals(source.calls(), service.failures());
    }

    @Test
    void aRuntimeExceptionInTheSourceBecomesASourceException() {
        SnapshotService service = new SnapshotService(new FakeSource(n -> {
            throw new IllegalStateException("bug");
        }), Sockets::stats, Duration.ZERO, Sockets.tickingClock(), "testhost");
        SourceException e = assertThrows(SourceException.class, service::current);
        assertTrue(e.getMessage().contains("bug"), e.getMessage());
        assertEquals(1, service.failures());
    }

    @Test
    void aSnapshotCarriesTheTableCountersHostAndTimes() throws Exception {
        NetStats stats = Sockets.stats();
        FakeSource source = new FakeSource(List.of(listen("127.0.0.1", 22))).delay(30);
        SnapshotService service = new SnapshotService(source, () -> stats, Duration.ZERO, Sockets.tickingClock(),
                "web1");
        long before = System.nanoTime();
        Snapshot s = service.current();
        assertEquals("web1", s.host());
        assertEquals("fake", s.source());
        assertSame(stats, s.stats());
        assertEquals(Instant.parse("2026-11-24T18:00:00Z"), s.timestamp());
        assertTrue(s.collectionTime().toMillis() >= 30, s.collectionTime().toString());
        assertTrue(s.monotonicNanos() - before >= 30_000_000L);
        assertEquals(List.of(listen("127.0.0.1", 22)), s.sockets());
        assertEquals("fake", service.sourceName());
    }

    @Test
    void aNegativeMaxAgeIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> service(new FakeSource(List.of()), Duration.ofSeconds(-1)));
    }
}
