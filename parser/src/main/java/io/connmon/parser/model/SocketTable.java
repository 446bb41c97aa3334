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
 * @param namespaces the network namespaces read, each socket's {@link SocketRecord#netns()} indexing this list;
 *     empty when the source did not say which namespace it read
 */
public record SocketTable(String source, List<SocketRecord> sockets, List<FileReport> inputs,
        SourceCapabilities knows, long duplicatesDropped, List<NetNamespace> namespaces) {

    public SocketTable {
        sockets = CompactSocketList.copyOf(sockets); // columns of primitives: see CompactSocketList
        inputs = List.copyOf(inputs);
        if (knows == null) {
            knows = SourceCapabilities.MINIMAL;
        }
        namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
    }

    /** A table of one unnamed namespace (the source does not say which). */
    public SocketTable(String source, List<SocketRecord> sockets, List<FileReport> inputs,
            SourceCapabilities knows, long duplicatesDropped) {
        this(source, sockets, inputs, knows, duplicatesDropped, List.of());
    }

    /** This table, its sockets in the namespaces given. */
    public SocketTable withNamespaces(List<NetNamespace> list) {
        return new SocketTable(source, sockets, inputs, knows, duplicatesDropped, list);
    }

    /** The namespace of {@code r}, or {@code null} when the table names none. */
    public NetNamespace namespaceOf(SocketRecord r) {
        return r.netns() < namespaces.size() ? namespaces.get(r.netns()) : null;
    }

    /** A table from a source that knows the socket pair, state and queues only, with no duplicates dropped. */
    public SocketTable(String source, List<SocketRecord> sockets, List<FileReport> inputs) {
        this(source, sockets, inputs, SourceCapabilities.MINIMAL, 0);
    }

    /**
     * One more reader of the sockets, until it calls {@link #release}: see {@link CompactSocketList#retain}.
     *
     * @return false when the last holder released the table already: the caller must not read it
     */
    public boolean retain() {
        return ((CompactSocketList) sockets).retain();
    }

    /**
     * A holder is done with the sockets; after the last, a source that recycles columns fills them again (see
     * {@link CompactSocketList#release}). Every holder releases once: the maker (for a served snapshot, the
     * service that served it) and every reader that {@link #retain retained} it.
     */
    public void release() {
        ((CompactSocketList) sockets).release();
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
