package io.connmon.parser.model;

import java.util.List;

/**
 * Reads a list of sockets one row at a time without making a {@link SocketRecord} per socket: over a
 * {@link CompactSocketList} the accessors read its columns, so an aggregation over 300,000 sockets leaves no
 * garbage; over any other list they read its records. {@link #record()} materialises the current row when a
 * caller needs the whole record (an endpoint, an owner lookup).
 *
 * <pre>{@code
 * for (SocketCursor c = SocketCursor.over(sockets); c.next(); ) {
 *     counts[c.protocol().ordinal()][c.state().ordinal()]++;
 * }
 * }</pre>
 */
public abstract class SocketCursor {

    SocketCursor() {
    }

    /** A cursor before the first socket of {@code sockets}. */
    public static SocketCursor over(List<SocketRecord> sockets) {
        if (sockets instanceof CompactSocketList) {
            return ((CompactSocketList) sockets).cursor();
        }
        return new OfRecords(sockets);
    }

    /** Moves to the next socket; false when there is none. */
    public abstract boolean next();

    /** The current socket's index in the list. */
    public abstract int index();

    public abstract Protocol protocol();

    public abstract Family family();

    public abstract SocketState state();

    public abstract int localPort();

    public abstract int remotePort();

    /** As {@link SocketRecord#remoteHigh()}. */
    public abstract long remoteHigh();

    /** As {@link SocketRecord#remoteLow()}. */
    public abstract long remoteLow();

    public abstract long sendQueue();

    public abstract long receiveQueue();

    /** The current socket as a record (made on each call over a compact list). */
    public abstract SocketRecord record();

    private static final class OfRecords extends SocketCursor {
        private final List<SocketRecord> list;
        private int i = -1;
        private SocketRecord r;

        OfRecords(List<SocketRecord> list) {
            this.list = list;
        }

        @Override
        public boolean next() {
            if (i + 1 >= list.size()) {
                r = null;
                return false;
            }
            r = list.get(++i);
            return true;
        }

        @Override
        public int index() {
            return i;
        }

        @Override
        public Protocol protocol() {
            return r.protocol();
        }

        @Override
        public Family family() {
            return r.family();
        }

        @Override
        public SocketState state() {
            return r.state();
        }

        @Override
        public int localPort() {
            return r.localPort();
        }

        @Override
        public int remotePort() {
            return r.remotePort();
        }

        @Override
        public long remoteHigh() {
            return r.remoteHigh();
        }

        @Override
        public long remoteLow() {
            return r.remoteLow();
        }

        @Override
        public long sendQueue() {
            return r.sendQueue();
        }

        @Override
        public long receiveQueue() {
            return r.receiveQueue();
        }

        @Override
        public SocketRecord record() {
            return r;
        }
    }
}
