package io.connmon.parser.source.netns;

import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;

import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The destroy events of several network namespaces as one feed: one subscription per namespace, all writing
 * into one shared {@link ClosedConnections} (whose writes are synchronized, so the subscriptions' threads may
 * write at once). {@link #sync(Map)} is given the namespaces to follow at each collection: it opens a
 * subscription for each new one and closes those of the namespaces gone. Lost events and failures are summed
 * over the subscriptions, those closed included; a subscription that cannot be opened counts as a failure and is
 * tried again at the next collection.
 */
final class NamespaceEvents implements ConnectionEvents {

    /** Opens one namespace's subscription writing into {@code sink}, started. */
    interface Opener {
        ConnectionEvents open(ClosedConnections sink) throws IOException;
    }

    private final ClosedConnections sink;
    private final Map<Long, ConnectionEvents> subscriptions = new HashMap<>();
    private long lostBefore; // of subscriptions closed
    private long failuresBefore; // of subscriptions closed, and refused openings
    private String lastFailure;
    private boolean closed;

    NamespaceEvents(ClosedConnections sink) {
        this.sink = sink;
    }

    /**
     * Follows exactly the namespaces of {@code wanted} (key: the namespace's key): opens what is new, closes what
     * is no longer there.
     */
    synchronized void sync(Map<Long, Opener> wanted) {
        if (closed) {
            return;
        }
        for (Iterator<Map.Entry<Long, ConnectionEvents>> it = subscriptions.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, ConnectionEvents> e = it.next();
            if (!wanted.containsKey(e.getKey())) {
                retire(e.getValue());
                it.remove();
            }
        }
        for (Map.Entry<Long, Opener> w : wanted.entrySet()) {
            if (subscriptions.containsKey(w.getKey())) {
                continue;
            }
            try {
                subscriptions.put(w.getKey(), w.getValue().open(sink));
            } catch (IOException | RuntimeException e) {
                failuresBefore++;
                lastFailure = e.getMessage();
            }
        }
    }

    private void retire(ConnectionEvents s) {
        s.close();
        lostBefore += s.lost();
        failuresBefore += s.failures();
    }

    /** The namespaces followed now. */
    synchronized int subscriptions() {
        return subscriptions.size();
    }

    /** The last refused opening, or {@code null}. */
    synchronized String lastFailure() {
        return lastFailure;
    }

    @Override
    public synchronized ClosedConnections closed() {
        return closed ? null : sink;
    }

    @Override
    public synchronized long lost() {
        long n = lostBefore;
        for (ConnectionEvents s : subscriptions.values()) {
            n += s.lost();
        }
        return n;
    }

    @Override
    public synchronized long failures() {
        long n = failuresBefore;
        for (ConnectionEvents s : subscriptions.values()) {
            n += s.failures();
        }
        return n;
    }

    /** True while every namespace followed receives (and at least one is followed). */
    @Override
    public synchronized boolean receiving() {
        if (closed || subscriptions.isEmpty()) {
            return false;
        }
        for (ConnectionEvents s : subscriptions.values()) {
            if (!s.receiving()) {
                return false;
            }
        }
        return true;
    }

    /** The smallest receive buffer of the subscriptions, or 0 when none is known. */
    @Override
    public synchronized int receiveBufferBytes() {
        int min = 0;
        for (ConnectionEvents s : subscriptions.values()) {
            int b = s.receiveBufferBytes();
            if (b > 0 && (min == 0 || b < min)) {
                min = b;
            }
        }
        return min;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        for (ConnectionEvents s : subscriptions.values()) {
            retire(s);
        }
        subscriptions.clear();
        closed = true;
    }
}
