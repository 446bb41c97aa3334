package io.connmon.parser.model;

import java.util.List;

/**
 * One collection of the kernel's socket tables by a {@code SocketSource}.
 *
 * @param source the source's name: {@code netlink}, {@code procfs}, {@code oshi} (for people; consumers ask
 *     {@code knows})
 * @param sockets every socket, in the order the source gave them; immutable, stored compactly
 * @param inputs what each input (file or dump) yielded, including skipped lines
 * @param knows what the source can tell about a socket
 * @param duplicatesDropped sockets the source listed twice in this collection (a non-atomic read under churn)
 *     and that were dropped
 */
public record SocketTable(String source, List<SocketRecord> sockets, List<FileReport> inputs,
        SourceCapabilities knows, long duplicatesDropped) {

    public SocketTable {
        sockets = CompactSocketList.copyOf(sockets); // columns of primitives: see CompactSocketList
        inputs = List.copyOf(inputs);
        if (knows == null) {
            knows = SourceCapabilities.MINIMAL;
        }
    }

    /** A table from a source that knows the socket pair, state and queues only, with no duplicates dropped. */
    public SocketTable(String source, List<SocketRecord> sockets, List<FileReport> inputs) {
        this(source, sockets, inputs, SourceCapabilities.MINIMAL, 0);
    }

    /** Malformed lines skipped over all inputs. */
    public long skippedLines() {
        long n = 0;
        for (FileReport r : inputs) {
            n += r.skipped();
        }
        return n;
    }
}
