package io.connmon.exporter;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;

import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
        return service(source, maxAge, new Ticker());
    }

    private static SnapshotService service(SocketSource source, Duration maxAge, Ticker ticker) {
        return new SnapshotService(source, Sockets::stats, maxAge, SnapshotService.DEFAULT_DEADLINE,
                Sockets.tickingClock(), ticker, "testhost", null);
    }

    /** Monotonic time that moves only when the test says so. */
    static final class Ticker implements LongSupplier {
        private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        @Override
        public long getAsLong() {
            return nanos.get();
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    @Test
    void emptyTablesShareOneListThatReleasingNeverSpoils() throws Exception {
        Ticker ticker = new Ticker();
        SnapshotService service = service(new FakeSource(n -> List.of()), Duration.ZERO, ticker);
        for (int i = 0; i < 3; i++) { // each replaces the one before, and releases it: the same empty list
            Snapshot s = service.currentRetained(ticker.getAsLong());
            assertEquals(0, s.sockets().size());
            s.table().release();
            ticker.advance(Duration.ofSeconds(1));
        }
        Snapshot held = service.latestRetained();
        assertEquals(0, held.sockets().size());
        held.table().release();
    }

    @Test
    void aReplacedSnapshotIsReleasedOnceItsLastReaderIsDone() throws Exception {
        Ticker ticker = new Ticker();
        SnapshotService service = service(new FakeSource(SnapshotServiceTest::nSockets), Duration.ZERO, ticker);
        assertNull(service.latestRetained());
        Snapshot first = service.currentRetained(ticker.getAsLong()); // a reader, as a /snapshot being written
        ticker.advance(Duration.ofSeconds(1));
        Snapshot second = service.current();
        assertNotSame(first, second);
        assertEquals(1, first.sockets().size(), "still held by its reader: readable");
        first.table().release(); // the reader is done, and the service let it go when it served the second
        assertFalse(first.table().retain(), "released: its columns may be another table's now");

        Snapshot held = service.latestRetained();
        assertSame(second, held);
        ticker.advance(Duration.ofSeconds(1));
        Snapshot third = service.current();
        assertEquals(2, held.sockets().size());
        held.table().release();
        assertFalse(second.table().retain());
        assertTrue(third.table().retain(), "the one served is held by the service");
        third.table().release();
        assertEquals(3, service.current(0).sockets().size());
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
    void callersArrivingWhileACollectionIsBlockedNeverStartASecondOne() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets).gate(gate);
        SnapshotService service = service(source, Duration.ZERO);
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        List<Future<Snapshot>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            results.add(pool.submit(() -> {
                threads.add(Thread.currentThread());
                return service.current();
            }));
        }
        awaitParked(threads, 50);
        assertEquals(1, source.calls(), "the source is blocked: nobody may start another collection");
        gate.countDown();
        for (Future<Snapshot> f : results) {
            assertSame(results.get(0).get(10, TimeUnit.SECONDS), f.get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, source.calls());
        assertEquals(1, source.maxConcurrent());
        // Once it is over, the next caller (max-age zero) starts the next one.
        assertEquals(2, service.current().sockets().size());
        assertEquals(2, source.calls());
    }

    /** Waits until {@code n} threads are parked inside {@link SnapshotService#current()}. */
    private static void awaitParked(List<Thread> threads, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(threads.size() == n && List.copyOf(threads).stream().allMatch(SnapshotServiceTest::parkedInCurrent))) {
            assertTrue(System.nanoTime() < deadline, "callers never all waited");
            Thread.sleep(5);
        }
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
        Ticker ticker = new Ticker();
        SnapshotService service = service(source, Duration.ZERO, ticker);
        long arrived = ticker.getAsLong(); // queued for a worker thread while...
        ticker.advance(Duration.ofMillis(5));
        Snapshot a = service.current(); // ...another request collected
        ticker.advance(Duration.ofMillis(5));
        assertSame(a, service.current(arrived));
        assertEquals(1, source.calls());
        Snapshot b = service.current(ticker.getAsLong()); // arrived after: fresh
        assertEquals(2, source.calls());
        assertEquals(2, b.sockets().size());
    }

    @Test
    void aSnapshotOlderThanMaxAgeIsReplaced() throws Exception {
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets);
        Ticker ticker = new Ticker();
        SnapshotService service = service(source, Duration.ofMillis(200), ticker);
        Snapshot a = service.current();
        ticker.advance(Duration.ofMillis(199));
        assertSame(a, service.current());
        assertEquals(1, source.calls());
        ticker.advance(Duration.ofMillis(1));
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
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        List<Future<Snapshot>> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            results.add(pool.submit(() -> {
                threads.add(Thread.currentThread());
                return service.current();
            }));
        }
        awaitParked(threads, 5);
        gate.countDown();
        for (Future<Snapshot> f : results) {
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof SourceException, e.getCause().toString());
            assertEquals("no tables", e.getCause().getMessage());
        }
        assertNull(service.latest());
        assertEquals(1, source.calls(), "they shared the one failed collection");
        assertEquals(1, service.failures());
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
        Ticker ticker = new Ticker();
        FakeSource inner = new FakeSource(List.of(listen("127.0.0.1", 22)));
        SocketSource source = new SocketSource() { // a collection that takes 30 ms of the injected time
            @Override
            public String name() {
                return inner.name();
            }

            @Override
            public SocketTable collect() throws SourceException {
                ticker.advance(Duration.ofMillis(30));
                return inner.collect();
            }
        };
        SnapshotService service = new SnapshotService(source, () -> stats, Duration.ZERO,
                SnapshotService.DEFAULT_DEADLINE, Sockets.tickingClock(), ticker, "web1", null);
        long before = ticker.getAsLong();
        Snapshot s = service.current();
        assertEquals("web1", s.host());
        assertEquals("fake", s.source());
        assertSame(stats, s.stats());
        assertEquals(Instant.parse("2026-11-24T18:00:00Z"), s.timestamp());
        assertEquals(Duration.ofMillis(30), s.collectionTime());
        assertEquals(before + 30_000_000L, s.monotonicNanos());
        assertEquals(List.of(listen("127.0.0.1", 22)), s.sockets());
        assertEquals("fake", service.sourceName());
    }

    @Test
    void aNegativeMaxAgeIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> service(new FakeSource(List.of()), Duration.ofSeconds(-1)));
    }

    /** A listener recording what it was told. */
    static final class Recorder implements SnapshotService.Listener {
        final List<Snapshot> collected = Collections.synchronizedList(new ArrayList<>());
        final List<String> failed = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void collected(Snapshot snapshot) {
            collected.add(snapshot);
        }

        @Override
        public void failed(String reason, Duration took) {
            failed.add(reason.toString()); // as a log line would use it: null would throw here
        }
    }

    @Test
    void aListenerThatThrowsDoesNotFailAGoodCollection() throws Exception {
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets);
        SnapshotService service = service(source, Duration.ZERO);
        service.addListener(new SnapshotService.Listener() {
            @Override
            public void collected(Snapshot snapshot) {
                throw new IllegalStateException("metrics registry closed");
            }

            @Override
            public void failed(String reason, Duration took) {
                throw new AssertionError("log full");
            }
        });
        Recorder after = new Recorder();
        service.addListener(after);

        Snapshot s = service.current();
        assertEquals(1, s.sockets().size());
        assertSame(s, service.latest());
        assertEquals(0, service.failures());
        assertNull(service.lastError());
        assertEquals(List.of(s), after.collected, "the listener after the broken one is still told");

        source.fail("net/tcp: cannot open");
        assertSame(s, service.current());
        assertEquals(1, service.failures());
        assertEquals(List.of("net/tcp: cannot open"), after.failed);
    }

    @Test
    void aFailureWithoutAMessageIsReportedByItsClass() throws Exception {
        SnapshotService service = service(failing(() -> new SourceException(null)), Duration.ZERO, new Ticker());
        Recorder r = new Recorder();
        service.addListener(r);
        SourceException e = assertThrows(SourceException.class, service::current);
        assertEquals(1, service.failures());
        assertEquals(1, r.failed.size());
        assertTrue(r.failed.get(0).contains("SourceException"), r.failed.get(0));
        assertEquals(r.failed.get(0), service.lastError());
        assertEquals(r.failed.get(0), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"assertion", "oom", "npe"})
    void anErrorFromTheSourceIsAFailureCountedAndReportedWithItsCause(String kind) throws Exception {
        Throwable thrown = switch (kind) {
            case "assertion" -> new AssertionError("table index out of step");
            case "oom" -> new OutOfMemoryError("Java heap space");
            default -> new NullPointerException();
        };
        FakeSource good = new FakeSource(SnapshotServiceTest::nSockets);
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean();
        SocketSource source = new SocketSource() {
            @Override
            public String name() {
                return "fake";
            }

            @Override
            public SocketTable collect() throws SourceException {
                if (broken.get()) {
                    sneakyThrow(thrown);
                }
                return good.collect();
            }
        };
        SnapshotService service = service(source, Duration.ZERO, new Ticker());
        Recorder r = new Recorder();
        service.addListener(r);

        broken.set(true);
        SourceException e = assertThrows(SourceException.class, service::current);
        assertSame(thrown, e.getCause());
        assertEquals(1, service.failures());
        assertEquals(List.of("collection failed: " + thrown), r.failed);

        broken.set(false);
        Snapshot s = service.current();
        broken.set(true);
        assertSame(s, service.current(), "the last good snapshot is served on");
        assertEquals(2, service.failures());
        assertEquals(3, service.collections());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }

    private static SocketSource failing(java.util.function.Supplier<SourceException> e) {
        return new SocketSource() {
            @Override
            public String name() {
                return "fake";
            }

            @Override
            public SocketTable collect() throws SourceException {
                throw e.get();
            }
        };
    }

    /** A source whose collections after the first block until released, ignoring interrupts when told to. */
    static final class BlockingSource implements SocketSource {
        final CountDownLatch release = new CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger maxRunning = new java.util.concurrent.atomic.AtomicInteger();
        final boolean ignoreInterrupts;

        BlockingSource(boolean ignoreInterrupts) {
            this.ignoreInterrupts = ignoreInterrupts;
        }

        @Override
        public String name() {
            return "blocking";
        }

        @Override
        public SocketTable collect() throws SourceException {
            int n = calls.incrementAndGet();
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                while (n > 1) { // a net/tcp that never ends
                    try {
                        if (release.await(30, TimeUnit.SECONDS)) {
                            break;
                        }
                        throw new SourceException("never released");
                    } catch (InterruptedException e) {
                        if (!ignoreInterrupts) {
                            throw new SourceException("interrupted");
                        }
                    }
                }
                return Sockets.table(nSockets(n));
            } finally {
                running.decrementAndGet();
            }
        }
    }

    @ParameterizedTest(name = "ignoring interrupts: {0}")
    @ValueSource(booleans = {true, false})
    void aCollectionPastItsDeadlineServesTheLastGoodSnapshotAndNeverPilesUp(boolean ignoreInterrupts)
            throws Exception {
        BlockingSource source = new BlockingSource(ignoreInterrupts);
        Ticker ticker = new Ticker();
        SnapshotService service = new SnapshotService(source, Sockets::stats, Duration.ZERO, Duration.ofMillis(50),
                Sockets.tickingClock(), ticker, "testhost", null);
        Recorder r = new Recorder();
        service.addListener(r);
        Snapshot good = service.current();
        assertNull(service.staleness());

        ticker.advance(Duration.ofSeconds(3));
        assertSame(good, service.current(), "past the deadline: the last good snapshot");
        assertEquals(1, service.failures());
        assertEquals(List.of("a collection has run for longer than its 50ms deadline"), r.failed);
        assertEquals(r.failed.get(0), service.lastError());
        if (ignoreInterrupts) {
            String stale = service.staleness();
            assertTrue(stale != null && stale.startsWith("stale: ") && stale.contains("3 s ago"), stale);
            for (int i = 0; i < 20; i++) { // answered at once, with no new collection and no new failure
                assertSame(good, service.current());
            }
            assertEquals(2, source.calls.get(), "at most one outstanding collection");
            assertEquals(1, service.failures());
            source.release.countDown();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (service.latest() == good) { // the stuck collection ends late, and its result is kept
                assertTrue(System.nanoTime() < until, "the released collection never finished");
                Thread.sleep(5);
            }
            assertEquals(2, service.latest().sockets().size());
        } else {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (source.running.get() > 0) { // interrupted: the thread is free for the next collection
                assertTrue(System.nanoTime() < until, "the interrupted collection never ended");
                Thread.sleep(5);
            }
            assertEquals(1, service.failures(), "the interrupted collection is not counted twice");
            assertTrue(service.staleness() != null, "stale until a collection succeeds");
            source.release.countDown();
            assertSame(good, service.current(), "answered at once while the next collection runs");
            while (service.current() == good) { // scrapes go on: one of them starts the next collection
                assertTrue(System.nanoTime() < until, "the next collection never finished");
                Thread.sleep(5);
            }
            assertTrue(source.calls.get() >= 3, "the interrupted one, then a fresh one: " + source.calls.get());
        }
        assertNull(service.staleness());
        assertEquals(1, source.maxRunning.get());
    }

    @Test
    void withoutAGoodSnapshotACollectionPastItsDeadlineIsAFailure() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        FakeSource source = new FakeSource(SnapshotServiceTest::nSockets).gate(never);
        SnapshotService service = new SnapshotService(source, Sockets::stats, Duration.ZERO, Duration.ofMillis(20),
                Sockets.tickingClock(), new Ticker(), "testhost", null);
        SourceException e = assertThrows(SourceException.class, service::current);
        assertEquals("a collection has run for longer than its 20ms deadline", e.getMessage());
        assertEquals(1, service.failures());
        never.countDown();
    }

    @Test
    void theReadinessSaysWhyBeforeTheFirstCollection() {
        SnapshotService service = service(new FakeSource(List.of()), Duration.ZERO);
        assertEquals("no collection has succeeded yet", service.staleness());
    }
}
