package io.connmon.exporter;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * The HTTP server's executor: at most {@code limit} requests have their head read at once, so that clients that send
 * their request slowly do not each hold a thread.
 *
 * <p>The JDK's server hands a connection to its executor as soon as its first bytes arrive, and the task then reads
 * the rest of the request line and headers on its thread, blocking, until they are complete or
 * {@code sun.net.httpserver.maxReqTime} closes the connection. A client that sends a byte every few seconds would thus
 * hold a thread (about 130 KiB resident each, most of it the stack the JVM touches on entry) for up to that time.
 * Here a task holds one of {@code limit} slots from the moment it is handed over until its request reaches the first
 * filter of the server's context ({@link #filter()}), or its end; a task handed over while every slot is held waits,
 * without a thread, for a free one (oldest first). While tasks wait, a slot held for longer than {@code grace} is
 * taken back: its thread is interrupted, which closes a plain connection's blocking channel, so the slow client's
 * connection closes and the next task starts. A well-behaved client sends its head in one piece and is past the
 * filter within milliseconds; nothing is interrupted while no task waits, nor once its request reached the filter.
 * Threads for the requests themselves (past the filter) are bounded elsewhere: by the gates of each path.
 *
 * <pre>{@code
 * HeadReaders heads = new HeadReaders(pool, 16, graceNanos, System::nanoTime, (check, nanos) -> timer.schedule(...));
 * server.setExecutor(heads);
 * context.getFilters().add(0, heads.filter());
 * }</pre>
 */
final class HeadReaders implements Executor {

    /** Runs {@code check} once after {@code delayNanos}. */
    interface Scheduler {
        void schedule(Runnable check, long delayNanos);
    }

    private final Executor threads;
    private final int limit;
    private final long graceNanos;
    private final LongSupplier ticker;
    private final Scheduler scheduler;

    private final Object lock = new Object();
    /** Tasks holding a slot: handed to {@link #threads} and not yet past their head. Guarded by lock. */
    private int held;
    /** The threads of those tasks that have started, oldest first, with the time each began. Guarded by lock. */
    private final LinkedHashMap<Thread, Long> reading = new LinkedHashMap<>();
    /** Tasks waiting for a slot, oldest first. Guarded by lock. */
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    /** Threads interrupted here whose task has not reached the filter or ended yet. Guarded by lock. */
    private final Set<Thread> interrupted = new HashSet<>();
    private boolean checkScheduled; // guarded by lock
    private long evicted; // guarded by lock

    HeadReaders(Executor threads, int limit, long graceNanos, LongSupplier ticker, Scheduler scheduler) {
        if (limit < 1 || graceNanos < 0) {
            throw new IllegalArgumentException("limit must be positive and grace not negative");
        }
        this.threads = threads;
        this.limit = limit;
        this.graceNanos = graceNanos;
        this.ticker = ticker;
        this.scheduler = scheduler;
    }

    /**
     * Runs {@code task} on a thread of its own when a slot is free, else queues it.
     *
     * @throws java.util.concurrent.RejectedExecutionException when the pool refuses it (the server then closes the
     *     connection)
     */
    @Override
    public void execute(Runnable task) {
        synchronized (lock) {
            if (held < limit) {
                held++;
                try {
                    threads.execute(wrap(task));
                } catch (RuntimeException e) {
                    held--;
                    throw e;
                }
                return;
            }
            waiting.add(task);
            evictAndSchedule();
        }
    }

    /** The filter to put first in the context: the request's head has been read. */
    Filter filter() {
        return new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                headRead(Thread.currentThread());
                chain.doFilter(exchange);
            }

            @Override
            public String description() {
                return "frees the slot of a request whose head has been read";
            }
        };
    }

    /** Tasks holding a slot now. */
    int held() {
        synchronized (lock) {
            return held;
        }
    }

    /** Tasks waiting for a slot now. */
    int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** Slow readers interrupted so far. */
    long evicted() {
        synchronized (lock) {
            return evicted;
        }
    }

    /**
     * {@code task} as a thread of the pool runs it: counted as reading from its start; when it ends, the same thread
     * goes on with the oldest waiting task, if a slot is free, rather than hand it to another.
     */
    private Runnable wrap(Runnable task) {
        return () -> {
            Thread me = Thread.currentThread();
            Runnable next = task;
            while (next != null) {
                synchronized (lock) {
                    reading.put(me, ticker.getAsLong());
                }
                boolean ended = false;
                try {
                    next.run();
                    ended = true;
                } finally {
                    next = end(me, ended);
                }
            }
        };
    }

    void headRead(Thread t) {
        boolean ours;
        synchronized (lock) {
            ours = interrupted.remove(t);
            if (reading.remove(t) != null || ours) {
                held--;
                startWaiting();
            }
        }
        if (ours) {
            Thread.interrupted(); // interrupted here just after its head was complete: let the request be served
        }
    }

    /**
     * {@code t}'s task ended ({@code normally}: not by an Error): its slot, if it still held one, is free, and the
     * oldest waiting task is handed back to run on {@code t} (its slot taken), or else to the pool.
     */
    private Runnable end(Thread t, boolean normally) {
        boolean ours;
        Runnable next = null;
        synchronized (lock) {
            ours = interrupted.remove(t);
            if (reading.remove(t) != null || ours) {
                held--;
            }
            if (normally && held < limit && !waiting.isEmpty()) {
                next = waiting.poll();
                held++;
            } else {
                startWaiting();
            }
        }
        if (ours) {
            Thread.interrupted(); // the pool thread must not carry our interrupt into its next task
        }
        return next;
    }

    private void startWaiting() {
        // caller holds lock
        while (held < limit && !waiting.isEmpty()) {
            Runnable next = waiting.poll();
            held++;
            try {
                threads.execute(wrap(next));
            } catch (RuntimeException e) {
                // The pool is full or stopping: this connection is left to the server's request timeout.
                held--;
            }
        }
    }

    /** While tasks wait: takes back the slots held past the grace period, and checks again when the next one is. */
    private void evictAndSchedule() {
        // caller holds lock
        long now = ticker.getAsLong();
        Iterator<Map.Entry<Thread, Long>> oldest = reading.entrySet().iterator();
        int leaving = 0;
        while (oldest.hasNext() && waiting.size() > leaving) {
            Map.Entry<Thread, Long> e = oldest.next();
            if (now - e.getValue() < graceNanos) {
                break; // the rest began later still
            }
            oldest.remove();
            interrupted.add(e.getKey());
            evicted++;
            leaving++;
            e.getKey().interrupt(); // its slot is freed when the task ends, in a moment
        }
        if (!waiting.isEmpty() && !checkScheduled) {
            checkScheduled = true;
            long next = reading.isEmpty() ? graceNanos
                    : Math.max(0, reading.values().iterator().next() + graceNanos - now);
            scheduler.schedule(this::check, Math.max(next, 1_000_000L));
        }
    }

    private void check() {
        synchronized (lock) {
            checkScheduled = false;
            if (!waiting.isEmpty()) {
                evictAndSchedule();
            }
        }
    }
}
