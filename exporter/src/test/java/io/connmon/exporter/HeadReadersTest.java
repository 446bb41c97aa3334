package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeadReadersTest {

    private final AtomicLong now = new AtomicLong();
    private final List<Runnable> checks = new ArrayList<>();
    private final List<Long> delays = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "head-reader-test");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }

    private HeadReaders heads(int limit, long grace) {
        return new HeadReaders(pool, limit, grace, now::get, (check, delay) -> {
            synchronized (checks) {
                checks.add(check);
                delays.add(delay);
            }
        });
    }

    /** A task that stands for a slow client: it blocks, reading, until interrupted, then ends. */
    private static Runnable slowClient(CountDownLatch started, AtomicBoolean interrupted) {
        return () -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        };
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertTrue(latch.await(10, TimeUnit.SECONDS), "a task never ran");
    }

    @Test
    void withinTheLimitEveryTaskRunsAtOnceAndNothingIsInterruptedHoweverLong() throws Exception {
        HeadReaders heads = heads(2, 1_000);
        CountDownLatch started = new CountDownLatch(2);
        AtomicBoolean a = new AtomicBoolean();
        AtomicBoolean b = new AtomicBoolean();
        heads.execute(slowClient(started, a));
        heads.execute(slowClient(started, b));
        await(started);
        now.set(TimeUnit.HOURS.toNanos(1));
        assertEquals(2, heads.held());
        assertEquals(0, heads.waiting());
        assertTrue(checks.isEmpty(), "nothing to check while no task waits");
        assertFalse(a.get() || b.get());
        assertEquals(0, heads.evicted());
    }

    @Test
    void pastTheLimitATaskWaitsAndTheSlowestReaderPastTheGraceMakesRoom() throws Exception {
        HeadReaders heads = heads(1, 1_000);
        CountDownLatch slowStarted = new CountDownLatch(1);
        AtomicBoolean slow = new AtomicBoolean();
        heads.execute(slowClient(slowStarted, slow));
        await(slowStarted);
        now.set(400);
        CountDownLatch promptRan = new CountDownLatch(1);
        heads.execute(promptRan::countDown); // a second request: waits for the slot, without a thread
        assertEquals(1, heads.waiting());
        assertFalse(slow.get(), "within its grace");
        assertEquals(1, checks.size(), "a check is due when the slow reader's grace ends");
        assertEquals(1_000_000L, delays.get(0), "600 ns away, at least a millisecond");
        now.set(1_000);
        checks.get(0).run();
        await(promptRan);
        assertTrue(slow.get(), "the slow reader was interrupted");
        assertEquals(1, heads.evicted());
        assertEquals(0, heads.waiting());
    }

    @Test
    void waitingTasksRunOldestFirstAsSlotsFree() throws Exception {
        HeadReaders heads = heads(1, 1_000);
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread[] firstThread = new Thread[1];
        Set<Thread> ranOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
        heads.execute(() -> {
            firstThread[0] = Thread.currentThread();
            first.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await(first);
        List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            int n = i;
            heads.execute(() -> {
                order.add(n);
                ranOn.add(Thread.currentThread());
                all.countDown();
            });
        }
        assertEquals(3, heads.waiting());
        release.countDown(); // the first ends: its slot passes on, one task at a time
        await(all);
        assertEquals(List.of(0, 1, 2), order);
        assertEquals(Set.of(firstThread[0]), ranOn, "each went on the thread that freed the slot, no new one");
        assertEquals(0, heads.evicted());
    }

    @Test
    void aRequestPastTheFilterFreesItsSlotAndIsNeverInterrupted() throws Exception {
        HeadReaders heads = heads(1, 0);
        CountDownLatch served = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        heads.execute(() -> {
            heads.headRead(Thread.currentThread()); // the head is complete: the handler runs now
            served.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        await(served);
        now.set(TimeUnit.SECONDS.toNanos(5));
        CountDownLatch next = new CountDownLatch(1);
        heads.execute(next::countDown);
        await(next); // ran at once: the slot was free
        assertEquals(0, heads.waiting());
        release.countDown();
        assertFalse(interrupted.get());
        assertEquals(0, heads.evicted());
    }

    @Test
    void anInterruptThatCameJustAfterTheHeadIsClearedAtTheFilter() throws Exception {
        HeadReaders heads = heads(1, 0);
        AtomicBoolean go = new AtomicBoolean();
        AtomicBoolean interruptedAfterFilter = new AtomicBoolean(true);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        heads.execute(() -> {
            started.countDown();
            while (!go.get()) {
                Thread.onSpinWait(); // its head is complete; not at the filter yet
            }
            heads.headRead(Thread.currentThread());
            interruptedAfterFilter.set(Thread.currentThread().isInterrupted());
            done.countDown();
        });
        await(started);
        now.set(10);
        heads.execute(() -> { }); // waits: the first is past its grace and gets interrupted
        assertEquals(1, heads.evicted());
        go.set(true);
        await(done);
        assertFalse(interruptedAfterFilter.get(), "the filter clears an interrupt of its own, and the request is served");
    }

    @Test
    void anInterruptFromElsewhereIsLeftAlone() {
        HeadReaders heads = heads(4, 0);
        Thread me = Thread.currentThread();
        me.interrupt(); // the executor shutting down, say
        heads.headRead(me);
        assertTrue(Thread.interrupted());
    }

    @Test
    void aTaskThePoolRefusesIsRefusedAndHoldsNoSlot() {
        HeadReaders heads = new HeadReaders(r -> {
            throw new RejectedExecutionException("full");
        }, 1, 0, now::get, (check, delay) -> { });
        assertThrows(RejectedExecutionException.class, () -> heads.execute(() -> { }));
        assertEquals(0, heads.held());
    }

    @Test
    void aLimitBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> heads(0, 0));
    }
}
