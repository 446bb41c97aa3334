package io.connmon.exporter;

import io.connmon.parser.attribution.Attribution;
import io.connmon.parser.attribution.SocketOwners;
import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.counters.NetStats;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SocketRequest;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Hands out the current {@link Snapshot}, reading the kernel at most once at a time.
 *
 * <p>Single flight: however many callers ask at once, one collection runs (on a collector thread of its own) and
 * they all share its result. A snapshot younger than {@code maxAge} is served as it is ({@code Duration.ZERO}:
 * every request that does not overlap a running collection starts a fresh one). When a collection fails, the last
 * good snapshot is served on and the failure is counted, so staleness shows in its age.
 *
 * <p>A collection has a deadline: callers wait for it no longer than that, then get the last good snapshot, and
 * the collection counts as failed (its thread is interrupted). Until a collection succeeds again, callers are
 * answered at once with the last good snapshot while the next collection runs, and {@link #staleness()} says why
 * the data is stale. A collection that ignores the interrupt stays the one outstanding collection: no other starts
 * until it ends.
 *
 * <p>Listeners are observers: one that throws is logged and skipped, it never turns a good collection into a
 * failed one. Time comes from the injected clock (wall time, for timestamps) and ticker (monotonic nanoseconds,
 * for ages and freshness) only.
 *
 * <pre>{@code
 * SnapshotService service = new SnapshotService(source, new NetStatReader(Path.of("/proc")), Duration.ofSeconds(1));
 * Snapshot s = service.current();
 * }</pre>
 */
public final class SnapshotService {

    /** How long callers wait for a collection unless told otherwise. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    private static final System.Logger LOG = System.getLogger("connmon");

    /** Told of every collection, on the collecting thread. */
    public interface Listener {
        void collected(Snapshot snapshot);

        /** A collection failed or overran its deadline; {@code reason} is one line, never null. */
        void failed(String reason, Duration took);
    }

    /** One collection under way. */
    private static final class Flight {
        final CompletableFuture<Snapshot> result = new CompletableFuture<>();
        final long startedNanos;
        Future<?> task; // guarded by lock
        boolean overdue; // guarded by lock: past the deadline, already counted as a failure

        Flight(long startedNanos) {
            this.startedNanos = startedNanos;
        }
    }

    private final SocketSource source;
    private final Supplier<NetStats> stats;
    private final Duration maxAge;
    private final Duration deadline;
    private final Clock clock;
    private final LongSupplier ticker;
    private final String host;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final SocketOwners owners; // null: no attribution
    private final ThreadPoolExecutor collector;

    private final Object lock = new Object();
    private Snapshot last; // guarded by lock
    private Flight inFlight; // guarded by lock
    private boolean overran; // guarded by lock: the last collection to end overran its deadline
    private final AtomicLong collections = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile String lastError;
    private String lastLogged; // guarded by lock: the last unexpected problem logged, so that a repeat is not

    public SnapshotService(SocketSource source, NetStatReader stats, Duration maxAge) {
        this(source, stats, maxAge, null);
    }

    /** A service that also attributes sockets to processes with {@code owners} (null: no attribution). */
    public SnapshotService(SocketSource source, NetStatReader stats, Duration maxAge, SocketOwners owners) {
        this(source, stats, maxAge, owners, DEFAULT_DEADLINE);
    }

    /** As above, with the deadline of a collection. */
    public SnapshotService(SocketSource source, NetStatReader stats, Duration maxAge, SocketOwners owners,
            Duration deadline) {
        this(source, stats::read, maxAge, deadline, Clock.systemUTC(), System::nanoTime, HostName.get(), owners);
    }

    SnapshotService(SocketSource source, Supplier<NetStats> stats, Duration maxAge, Clock clock, String host) {
        this(source, stats, maxAge, DEFAULT_DEADLINE, clock, System::nanoTime, host, null);
    }

    SnapshotService(SocketSource source, Supplier<NetStats> stats, Duration maxAge, Clock clock, String host,
            SocketOwners owners) {
        this(source, stats, maxAge, DEFAULT_DEADLINE, clock, System::nanoTime, host, owners);
    }

    /**
     * Everything injected: {@code clock} gives the wall time of each snapshot, {@code ticker} the monotonic
     * nanoseconds its age and freshness are measured in.
     */
    SnapshotService(SocketSource source, Supplier<NetStats> stats, Duration maxAge, Duration deadline, Clock clock,
            LongSupplier ticker, String host, SocketOwners owners) {
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("max-age must not be negative");
        }
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("the collection deadline must be positive");
        }
        this.source = source;
        this.stats = stats;
        this.maxAge = maxAge;
        this.deadline = deadline;
        this.clock = clock;
        this.ticker = ticker;
        this.host = host;
        this.owners = owners;
        this.collector = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "connmon-collector");
            t.setDaemon(true);
            return t;
        });
        collector.allowCoreThreadTimeOut(true); // no thread while idle
    }

    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    /** Whether sockets are attributed to processes. */
    public boolean attributing() {
        return owners != null;
    }

    /** The attribution cache, or {@code null}. */
    public SocketOwners owners() {
        return owners;
    }

    /** The source's name. */
    public String sourceName() {
        return source.name();
    }

    public Duration maxAge() {
        return maxAge;
    }

    /** How long a caller waits for a collection before it is served the last good snapshot. */
    public Duration deadline() {
        return deadline;
    }

    /** The monotonic time ({@link Snapshot#monotonicNanos()} is on this scale), from the injected ticker. */
    public long nanoTime() {
        return ticker.getAsLong();
    }

    /**
     * A snapshot no older than max-age, collecting one if needed (or joining the collection under way); past the
     * deadline, the last good one.
     *
     * @throws SourceException if no collection has ever succeeded and this one failed or overran its deadline
     */
    public Snapshot current() throws SourceException {
        return current(ticker.getAsLong());
    }

    /**
     * As {@link #current()} for a request that arrived at {@code arrivedNanos} ({@link #nanoTime()}) and may have
     * waited for a thread since: a collection that finished after it arrived is served as if the request had joined
     * it, so that requests queued behind a collection share it rather than start one each.
     *
     * @throws SourceException if no collection has ever succeeded and this one failed or overran its deadline
     */
    public Snapshot current(long arrivedNanos) throws SourceException {
        Flight flight;
        synchronized (lock) {
            long now = ticker.getAsLong();
            if (last != null && (now - last.monotonicNanos() < maxAge.toNanos()
                    || last.monotonicNanos() - arrivedNanos > 0)) {
                return last;
            }
            if (inFlight == null) {
                inFlight = start(now);
            }
            flight = inFlight;
            if (flight.overdue || (overran && last != null)) {
                // Stuck, or the last one overran: answer at once with what there is while a collection runs.
                return lastOr(new SourceException(overdueReason()));
            }
        }
        long wait = flight.startedNanos + deadline.toNanos() - ticker.getAsLong();
        try {
            return flight.result.get(Math.max(wait, 0), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SourceException("interrupted while waiting for a collection", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof SourceException ? (SourceException) cause
                    : new SourceException(describe(cause), cause);
        } catch (TimeoutException e) {
            overdue(flight);
            synchronized (lock) {
                return lastOr(new SourceException(overdueReason()));
            }
        }
    }

    /**
     * A fresh collection of what {@code request} asks for (listeners only, a few states, tcp_info), outside the
     * cache: it is neither kept nor served to other requests. A source that cannot filter reads everything.
     *
     * @throws SourceException when the collection fails
     */
    public Snapshot collect(SocketRequest request) throws SourceException {
        long start = ticker.getAsLong();
        SocketTable table = source.collect(request);
        Attribution attribution = owners == null ? Attribution.NONE : owners.resolve(table);
        NetStats netStats = stats.get();
        long end = ticker.getAsLong();
        return new Snapshot(clock.instant(), host, table, netStats, Duration.ofNanos(end - start), end, attribution);
    }

    /** The last good snapshot, without collecting; {@code null} before the first success. */
    public Snapshot latest() {
        synchronized (lock) {
            return last;
        }
    }

    /**
     * As {@link #latest()}, retained for the caller, who reads its sockets and then calls
     * {@code table().release()}: until then its columns are not reused for a later collection.
     */
    public Snapshot latestRetained() {
        synchronized (lock) {
            // the service holds the served snapshot until it replaces it, under this lock: this cannot fail
            return last != null && last.table().retain() ? last : null;
        }
    }

    /**
     * As {@link #current(long)}, retained for the caller, who reads its sockets (a /snapshot rendered to a slow
     * client) and then calls {@code table().release()}: until then its columns are not reused for a later
     * collection. A snapshot replaced and released before the caller could retain it is passed over for the one
     * served now.
     *
     * @throws SourceException as {@link #current(long)}
     */
    public Snapshot currentRetained(long arrivedNanos) throws SourceException {
        Snapshot s = current(arrivedNanos);
        if (s.table().retain()) {
            return s;
        }
        synchronized (lock) { // a newer one replaced it: the served one cannot be released while it is served
            if (last.table().retain()) {
                return last;
            }
        }
        throw new IllegalStateException("the served snapshot was released"); // a holder released it twice
    }

    /**
     * Why the data should not be relied on, or {@code null} when it can: no collection has succeeded yet, or the
     * collection under way has overrun its deadline (the snapshot served is older than the daemon means it to be).
     */
    public String staleness() {
        synchronized (lock) {
            if (overran || inFlight != null && (inFlight.overdue
                    || ticker.getAsLong() - inFlight.startedNanos > deadline.toNanos())) {
                String age = last == null ? "" : "; serving the snapshot from "
                        + Math.max(0, (ticker.getAsLong() - last.monotonicNanos()) / 1_000_000_000L) + " s ago";
                return "stale: " + overdueReason() + age;
            }
            if (last == null) {
                return "no collection has succeeded yet";
            }
            return null;
        }
    }

    /** Collections attempted. */
    public long collections() {
        return collections.get();
    }

    /** Collections that failed, overran their deadline included. */
    public long failures() {
        return failures.get();
    }

    /** The last failure's one-line reason, or {@code null}. */
    public String lastError() {
        return lastError;
    }

    private String overdueReason() {
        return "a collection has run for longer than its " + human(deadline) + " deadline";
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private Snapshot lastOr(SourceException e) throws SourceException {
        // caller holds lock
        if (last != null) {
            return last;
        }
        throw e;
    }

    private Flight start(long now) {
        // caller holds lock
        Flight flight = new Flight(now);
        flight.task = collector.submit(() -> run(flight));
        return flight;
    }

    /** Marks a flight past its deadline: counted and reported once, and its thread interrupted. */
    private void overdue(Flight flight) {
        synchronized (lock) {
            if (flight.overdue || flight.result.isDone()) {
                return;
            }
            flight.overdue = true;
            overran = true;
            flight.task.cancel(true);
        }
        String reason = overdueReason();
        failures.incrementAndGet();
        lastError = reason;
        Duration took = Duration.ofNanos(ticker.getAsLong() - flight.startedNanos);
        for (Listener l : listeners) {
            notify(l, x -> x.failed(reason, took));
        }
    }

    /** The collection itself, on the collector thread. */
    private void run(Flight flight) {
        long start = ticker.getAsLong();
        collections.incrementAndGet();
        Snapshot result = null;
        Throwable error = null;
        try {
            SocketTable table = source.collect();
            Attribution attribution = owners == null ? Attribution.NONE : owners.resolve(table);
            NetStats netStats = stats.get();
            long end = ticker.getAsLong();
            result = new Snapshot(clock.instant(), host, table, netStats, Duration.ofNanos(end - start), end,
                    attribution);
        } catch (Throwable t) { // an Error from a source is a failed collection too, never a dead thread
            error = t;
        }
        boolean counted;
        Snapshot replaced = null;
        synchronized (lock) {
            if (inFlight == flight) {
                inFlight = null;
            }
            if (result != null) {
                replaced = last;
                last = result;
                overran = false;
            }
            counted = flight.overdue;
        }
        if (replaced != null) {
            replaced.table().release(); // the service's hold: its columns are reused once its readers are done too
        }
        if (result != null) {
            Snapshot s = result;
            for (Listener l : listeners) {
                notify(l, x -> x.collected(s));
            }
            flight.result.complete(result);
            return;
        }
        String reason = describe(error);
        if (!counted) {
            failures.incrementAndGet();
            lastError = reason;
            if (!(error instanceof SourceException)) {
                logOnce("collection failed unexpectedly: " + reason, error);
            }
            Duration took = Duration.ofNanos(ticker.getAsLong() - start);
            for (Listener l : listeners) {
                notify(l, x -> x.failed(reason, took));
            }
        }
        Snapshot fallback;
        synchronized (lock) {
            fallback = last;
        }
        if (fallback != null) {
            flight.result.complete(fallback); // serve the last good one on
        } else {
            flight.result.completeExceptionally(error instanceof SourceException && error.getMessage() != null
                    ? error : new SourceException(reason, error));
        }
    }

    private void notify(Listener l, java.util.function.Consumer<Listener> call) {
        try {
            call.accept(l);
        } catch (Throwable t) { // an observer must not fail the collection it observes
            logOnce("listener " + l.getClass().getName() + " failed: " + describe(t), t);
        }
    }

    /** Logs a problem with its cause, but not again while it repeats. */
    private void logOnce(String message, Throwable cause) {
        synchronized (lock) {
            if (message.equals(lastLogged)) {
                return;
            }
            lastLogged = message;
        }
        LOG.log(System.Logger.Level.WARNING, message, cause);
    }

    /** A one-line reason for a failure: its message, else its class; never null. */
    static String describe(Throwable t) {
        if (t == null) {
            return "unknown failure";
        }
        if (t instanceof SourceException && t.getMessage() != null) {
            return t.getMessage();
        }
        return "collection failed: " + t; // the class name says what an Error or a message-less exception was
    }
}
