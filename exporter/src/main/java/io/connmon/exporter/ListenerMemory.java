package io.connmon.exporter;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The local TCP ports that had a listener recently. A service that restarts leaves its accepted connections
 * behind (TIME_WAIT, FIN_WAIT2) while its listener is gone; they are still inbound connections to that service,
 * not outbound ones to the clients' random ports. Remembering each listening port for a while after it was last
 * seen keeps them inbound.
 *
 * <p>Time is the snapshots' own ({@link Snapshot#timestamp()}), so that tests feed a sequence of snapshots
 * without waiting. Held by {@link SocketMetrics}: the parser knows nothing of it.
 */
final class ListenerMemory {

    /** How long a listening port is remembered after it was last seen. */
    static final Duration DEFAULT = Duration.ofMinutes(10);

    private final long memoryMillis;
    private final Map<Integer, Long> lastSeen = new HashMap<>(); // port -> epoch millis; guarded by this

    ListenerMemory(Duration memory) {
        this.memoryMillis = memory.toMillis();
    }

    /** How long a port is remembered. */
    Duration duration() {
        return Duration.ofMillis(memoryMillis);
    }

    /**
     * Notes the ports listening now ({@code ports}, repeats allowed, each also marked in {@code listening}) as
     * seen at {@code now}, forgets those not seen within the memory, and marks the remembered ones in
     * {@code listening} too. The caller lists the ports so that the 65,536 entries need no scan.
     */
    synchronized void apply(boolean[] listening, int[] ports, Instant now) {
        long t = now.toEpochMilli();
        Long seen = t; // one box for every port
        for (int p : ports) {
            lastSeen.put(p, seen);
        }
        for (Iterator<Map.Entry<Integer, Long>> it = lastSeen.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Long> e = it.next();
            if (t - e.getValue() > memoryMillis) {
                it.remove();
            } else {
                listening[e.getKey()] = true;
            }
        }
    }

    /**
     * Marks in {@code ports} the ports remembered at {@code now}: those {@link #apply} would mark at {@code now} for
     * not listening any more, before it is told the ports listening now.
     */
    synchronized void markRemembered(boolean[] ports, Instant now) {
        long t = now.toEpochMilli();
        for (Map.Entry<Integer, Long> e : lastSeen.entrySet()) {
            if (t - e.getValue() <= memoryMillis) {
                ports[e.getKey()] = true;
            }
        }
    }

    /** How many ports are remembered (listening now or recently). */
    synchronized int size() {
        return lastSeen.size();
    }
}
