package io.connmon.parser.source;

import io.connmon.parser.events.ConnectionEvents;
import io.connmon.parser.model.SocketTable;

/**
 * Where socket tables come from: the kernel's netlink sock_diag dump, the procfs text
 * tables behind it, OSHI last.
 *
 * <p>A source is created once and asked for a fresh {@link SocketTable} at each collection. It is lenient at
 * the edges: malformed input is skipped and counted in the table's {@link FileReport}s, an absent input is no
 * data. It throws {@link SourceException} only when nothing at all could be read, so that a caller can keep
 * serving the last good table.
 *
 * <pre>{@code
 * try (SocketSource source = SocketSources.open(SourceKind.AUTO, Path.of("/proc"))) {
 *     SocketTable table = source.collect();
 *     table.sockets().forEach(System.out::println);
 * }
 * }</pre>
 */
public interface SocketSource extends AutoCloseable {

    /** The source's name as reported to users: {@code procfs}, {@code oshi}, {@code netlink}. */
    String name();

    /**
     * Reads every TCP and UDP socket, IPv4 and IPv6.
     *
     * @throws SourceException when no input at all could be read
     */
    SocketTable collect() throws SourceException;

    /**
     * Reads at least the sockets {@code request} asks for; a source that cannot filter in the kernel (or give
     * tcp_info) reads them all, so callers still filter. The default reads everything.
     *
     * @throws SourceException when no input at all could be read
     */
    default SocketTable collect(SocketRequest request) throws SourceException {
        return collect();
    }

    /**
     * Subscribes to the kernel's notices of this source's sockets as they close (sock_diag destroy events), with
     * their last tcp_info, keeping the newest {@code closedMax} and asking the kernel for a receive buffer of
     * {@code receiveBufferBytes}; the feed runs until {@link ConnectionEvents#close()}. A source that cannot
     * answers {@link ConnectionEvents#unavailable} with the reason: its counters are then absent, not zero.
     *
     * @throws java.io.IOException when the subscription is refused
     */
    default ConnectionEvents subscribeClosed(int closedMax, int receiveBufferBytes) throws java.io.IOException {
        return ConnectionEvents.unavailable("the " + name() + " source has no destroy events (they come from "
                + "netlink sock_diag in connmon's own network namespace)");
    }

    /**
     * Lets go of memory kept only to make the next collection cheaper (a netlink source's spare columns), when the
     * heap is short of room for the next table. The default keeps nothing.
     */
    default void trim() {
    }

    /** Releases what the source holds (a netlink socket, say). Never throws. */
    @Override
    default void close() {
    }
}
