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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Hands out the current {@link Snapshot}, reading the kernel at most once at a time.
 *
 * <p>Single flight: however many callers ask at once, one collection runs and they all share its result. A
 * snapshot younger than {@code maxAge} is served as it is ({@code Duration.ZERO}: every request that does not
 * overlap a running collection starts a fresh one). When a collection fails, the last good snapshot is served on
 * and the failure is counted, so staleness shows in its age.
 *
 * <pre>{@code
 * SnapshotService service = new SnapshotService(source, new NetStatReader(Path.of("/proc")), Duration.ofSeconds(1));
 * Snapshot s = service.current();
 * }</pre>
 */
public final class SnapshotService {

    /** Told of every collection, on the collecting thread. */
    public interface Listener {
        void collected(Snapshot snapshot);

        void failed(String reason, Duration took);
    }

    private final SocketSource source;
    private final Supplier<NetStats> stats;
    private final Duration maxAge;
    private final Clock clock;
    private final String host;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final SocketOwners owners; // null: no attribution

    private final Object lock = new Object();
    private Snapshot last; // guarded by lock
    private CompletableFuture<Snapshot> inFlight; // guarded by lock
    private volatile long collections;
    private volatile long failures;
    private volatile String lastError;

    public SnapshotService(SocketSource source, NetStatReader stats, Duration maxAge) {
        this(source, stats, maxAge, null);
    }

    /** A service that also attributes sockets to processes with {@code owners} (null: no attribution). */
    public SnapshotService(SocketSource source, NetStatReader stats, Duration maxAge, SocketOwners owners) {
        this(source, stats::read, maxAge, Clock.systemUTC(), HostName.get(), owners);
    }

    SnapshotService(SocketSource source, Supplier<NetStats> stats, Duration maxAge, Clock clock, String host) {
        this(source, stats, maxAge, clock, host, null);
    }

    SnapshotService(SocketSource source, Supplier<NetStats> stats, Duration maxAge, Clock clock, String host,
            SocketOwners owners) {
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("max-age must not be negative");
        }
        this.source = source;
        this.stats = stats;
        this.maxAge = maxAge;
        this.clock = clock;
        this.host = host;
        this.owners = owners;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
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

    /**
     * A snapshot no older than max-age, collecting one if needed (or joining the collection under way).
     *
     * @throws SourceException if no collection has ever succeeded and this one failed
     */
    public Snapshot current() throws SourceException {
        return current(System.nanoTime());
    }

    /**
     * As {@link #current()} for a request that arrived at {@code arrivedNanos} ({@link System#nanoTime()}) and may
     * have waited for a thread since: a collection that finished after it arrived is served as if the request had
     * joined it, so that requests queued behind a collection share it rather than start one each.
     *
     * @throws SourceException if no collection has ever succeeded and this one failed
     */
    public Snapshot current(long arrivedNanos) throws SourceException {
        CompletableFuture<Snapshot> flight;
        boolean collector = false;
        synchronized (lock) {
            if (last != null && (System.nanoTime() - last.monotonicNanos() < maxAge.toNanos()
                    || last.monotonicNanos() - arrivedNanos >= 0)) {
                return last;
            }
            if (inFlight == null) {
                inFlight = new CompletableFuture<>();
                collector = true;
            }
            flight = inFlight;
        }
        if (collector) {
            Snapshot result = null;
            SourceException error = null;
            try {
                result = collect();
            } catch (SourceException e) {
                error = e;
            } catch (RuntimeException | Error e) {
                error = new SourceException("collection failed: " + e, e);
            }
            synchronized (lock) {
                inFlight = null;
                if (result != null) {
                    last = result;
                } else {
                    result = last; // serve the last good one on
                }
            }
            if (result != null) {
                flight.complete(result);
            } else {
                flight.completeExceptionally(error);
            }
        }
        try {
            return flight.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SourceException("interrupted while waiting for a collection", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof SourceException ? (SourceException) cause
                    : new SourceException(String.valueOf(cause), cause);
        }
    }

    /**
     * A fresh collection of what {@code request} asks for (listeners only, a few states, tcp_info), outside the
     * cache: it is neither kept nor served to other requests. A source that cannot filter reads everything.
     *
     * @throws SourceException when the collection fails
     */
    public Snapshot collect(SocketRequest request) throws SourceException {
        long start = System.nanoTime();
        SocketTable table = source.collect(request);
        Attribution attribution = owners == null ? Attribution.NONE : owners.resolve(table);
        NetStats netStats = stats.get();
        long end = System.nanoTime();
        return new Snapshot(clock.instant(), host, table, netStats, Duration.ofNanos(end - start), end, attribution);
    }

    /** The last good snapshot, without collecting; {@code null} before the first success. */
    public Snapshot latest() {
        synchronized (lock) {
            return last;
        }
    }

    /** Collections attempted. */
    public long collections() {
        return collections;
    }

    /** Collections that failed. */
    public long failures() {
        return failures;
    }

    /** The last failure's one-line reason, or {@code null}. */
    public String lastError() {
        return lastError;
    }

    private Snapshot collect() throws SourceException {
        long start = System.nanoTime();
        collections++;
        try {
            SocketTable table = source.collect();
            Attribution attribution = owners == null ? Attribution.NONE : owners.resolve(table);
            NetStats netStats = stats.get();
            long end = System.nanoTime();
            Snapshot s = new Snapshot(clock.instant(), host, table, netStats, Duration.ofNanos(end - start), end,
                    attribution);
            for (Listener l : listeners) {
                l.collected(s);
            }
            return s;
        } catch (SourceException | RuntimeException e) {
            failures++;
            lastError = e.getMessage();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            for (Listener l : listeners) {
                l.failed(e.getMessage(), took);
            }
            throw e;
        }
    }
}
