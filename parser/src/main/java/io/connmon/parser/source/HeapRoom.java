package io.connmon.parser.source;

import java.util.function.LongSupplier;

/**
 * Whether the heap has room for another socket table, asked before a collection starts.
 *
 * <p>A table stays alive as long as anyone renders it: the served one, the one being read, and one more for each
 * render still streaming an older snapshot to a slow client; a netlink source also keeps the columns of the
 * table before for its next one, and lets them go when they are all that stands in the way. At a million
 * sockets a table is ~70 MiB, and a third one does not fit a small daemon's heap: the collection would die of
 * {@link OutOfMemoryError} and take
 * the daemon with it. Asked first, the source can refuse one collection instead (the last snapshot is served on,
 * and the refusal is counted and logged as a failed collection) and try again at the next.
 *
 * <p>The check is cheap when there is plenty of room; near the cap it runs a full collection to see what is
 * really alive (the allocation would have forced one anyway). It relies on {@link System#gc()} doing that:
 * with {@code -XX:+DisableExplicitGC} garbage would count as alive and collections could be skipped needlessly.
 */
final class HeapRoom {

    private final LongSupplier max;
    private final LongSupplier used;
    private final Runnable gc;

    /** This JVM's heap. */
    HeapRoom() {
        this(() -> Runtime.getRuntime().maxMemory(),
                () -> Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory(), System::gc);
    }

    HeapRoom(LongSupplier max, LongSupplier used, Runnable gc) {
        this.max = max;
        this.used = used;
        this.gc = gc;
    }

    /**
     * Whether {@code bytes} more fit, keeping a tenth of the heap free for the young generation and the
     * renders' short-lived garbage.
     */
    boolean has(long bytes) {
        return has(bytes, () -> { });
    }

    /**
     * As {@link #has(long)}; when they do not fit at first, {@code trim} lets caches go before the heap is asked
     * again.
     */
    boolean has(long bytes, Runnable trim) {
        long cap = max.getAsLong();
        if (cap == Long.MAX_VALUE) {
            return true; // no limit known
        }
        long need = bytes + cap / 10;
        if (used.getAsLong() + need <= cap) {
            return true;
        }
        trim.run();
        gc.run();
        return used.getAsLong() + need <= cap;
    }
}
