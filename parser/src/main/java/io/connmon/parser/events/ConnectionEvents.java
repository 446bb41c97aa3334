package io.connmon.parser.events;

/**
 * A feed of closed connections and what it could not see, as the exporter reads it. A subscription implements
 * it; {@link #unavailable(String)} stands for none, with the reason.
 */
public interface ConnectionEvents {

    /** What arrived, or {@code null} when the feed is unavailable. */
    ClosedConnections closed();

    /** Events the kernel could not deliver (its receive buffer was full). */
    long lost();

    /** Times the feed failed and was reopened (events in between are unknown, not counted in {@link #lost()}). */
    long failures();

    /** Whether events are being received now (false while a failed subscription waits to reopen). */
    default boolean receiving() {
        return closed() != null;
    }

    /** Why there is no feed, or {@code null} when there is one. */
    String unavailableReason();

    /**
     * The feed's receive buffer as the kernel reports it (twice what it grants for data), or 0 or less when
     * unknown or none.
     */
    default int receiveBufferBytes() {
        return 0;
    }

    /** Stops the feed (nothing to do for none). */
    default void close() {
    }

    /** No feed, and why: the counters it would give are absent, not zero. */
    static ConnectionEvents unavailable(String reason) {
        return new ConnectionEvents() {
            @Override
            public ClosedConnections closed() {
                return null;
            }

            @Override
            public long lost() {
                return 0;
            }

            @Override
            public long failures() {
                return 0;
            }

            @Override
            public String unavailableReason() {
                return reason;
            }
        };
    }
}
