package io.connmon.parser.source;

import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.SocketTable;

import java.util.List;

/**
 * Any {@link SocketSource}, asking the heap for room before each collection (see {@link HeapRoom}): when the
 * tables still alive (the one served, older ones still being rendered to slow clients) leave no room for one
 * of the last full table's size, the collection fails with a {@link SourceException} saying so, so that the
 * last snapshot is served on rather than the daemon dying of {@link OutOfMemoryError}. The next collection
 * asks again. The first collection is never refused (no size is known yet), nor one of a source whose
 * last table was empty.
 *
 * <p>The check costs two reads of the heap's figures; only when these say there is no room does it run one
 * full garbage collection to see what is really alive (see {@link HeapRoom}).
 */
final class HeapCheckedSource implements SocketSource {

    /** Bytes a socket takes in a table that is not a {@link CompactSocketList} (records as objects). */
    static final long OBJECT_ROW_BYTES = 125;
    /** Bytes the tcp_info columns add to a row. */
    static final long TCP_INFO_ROW_BYTES = 48;

    private final SocketSource source;
    private final HeapRoom heap;
    private volatile long lastRows; // of the last full table; 0 before the first
    private volatile long lastBytes;

    HeapCheckedSource(SocketSource source, HeapRoom heap) {
        this.source = source;
        this.heap = heap;
    }

    /** The source this one asks before reading (for tests of the choice). */
    SocketSource inner() {
        return source;
    }

    @Override
    public String name() {
        return source.name();
    }

    @Override
    public SocketTable collect() throws SourceException {
        ask(false);
        return remember(source.collect(), true);
    }

    @Override
    public SocketTable collect(SocketRequest request) throws SourceException {
        ask(request.tcpInfo());
        // A filtered table (connmon list -tln, say) says nothing about the size of a full one.
        return remember(source.collect(request), request.isAll());
    }

    @Override
    public io.connmon.parser.events.ConnectionEvents subscribeClosed(int closedMax, int receiveBufferBytes)
            throws java.io.IOException {
        return source.subscribeClosed(closedMax, receiveBufferBytes);
    }

    @Override
    public void trim() {
        source.trim();
    }

    @Override
    public void close() {
        source.close();
    }

    private void ask(boolean tcpInfo) throws SourceException {
        long rows = lastRows;
        long bytes = lastBytes + (tcpInfo ? rows * TCP_INFO_ROW_BYTES : 0);
        long need = bytes + bytes / 8; // the sources presize for an eighth more than last time
        if (need > 0 && !heap.has(need, source::trim)) { // spare columns go before a table is refused
            throw new SourceException("no heap room for another socket table (" + (need >> 20) + " MiB for "
                    + rows + " sockets) while older snapshots are still being rendered: collection skipped, the "
                    + "last snapshot is served on; raise -Xmx if this persists");
        }
    }

    private SocketTable remember(SocketTable table, boolean full) {
        if (full) {
            List<?> sockets = table.sockets();
            lastRows = sockets.size();
            lastBytes = sockets instanceof CompactSocketList c ? c.rowBytes() : sockets.size() * OBJECT_ROW_BYTES;
        }
        return table;
    }
}
