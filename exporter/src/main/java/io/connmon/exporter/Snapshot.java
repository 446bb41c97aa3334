package io.connmon.exporter;

import io.connmon.parser.attribution.Attribution;
import io.connmon.parser.counters.NetStats;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One consistent collection: the socket table and the protocol counters read together. Everything connmon
 * publishes at a moment (/metrics, /snapshot, the CLI table) is rendered from one of these.
 *
 * @param timestamp when the collection finished
 * @param host the host name
 * @param table the sockets and what each input yielded
 * @param stats the protocol counters, sockstat and the ephemeral port range
 * @param collectionTime how long the collection took
 * @param monotonicNanos {@link System#nanoTime()} when the collection finished, for ages immune to clock steps
 * @param attribution which process owns each socket ({@link Attribution#NONE} when attribution is off)
 */
public record Snapshot(Instant timestamp, String host, SocketTable table, NetStats stats, Duration collectionTime,
        long monotonicNanos, Attribution attribution) {

    /** A snapshot without process attribution. */
    public Snapshot(Instant timestamp, String host, SocketTable table, NetStats stats, Duration collectionTime,
            long monotonicNanos) {
        this(timestamp, host, table, stats, collectionTime, monotonicNanos, Attribution.NONE);
    }

    /** The sockets, in source order. */
    public List<SocketRecord> sockets() {
        return table.sockets();
    }

    /** The source's name: {@code procfs}, {@code oshi}. */
    public String source() {
        return table.source();
    }
}
