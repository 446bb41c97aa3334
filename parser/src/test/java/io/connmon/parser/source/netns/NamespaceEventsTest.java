package io.connmon.parser.source.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The feed over namespaces with fake subscriptions: added when found, closed when gone, counts summed. */
class NamespaceEventsTest {

    /** A subscription that counts what the test tells it. */
    static final class Fake implements ConnectionEvents {
        final ClosedConnections sink;
        long lost;
        long failures;
        boolean closed;

        Fake(ClosedConnections sink) {
            this.sink = sink;
        }

        @Override
        public ClosedConnections closed() {
            return closed ? null : sink;
        }

        @Override
        public long lost() {
            return lost;
        }

        @Override
        public long failures() {
            return failures;
        }

        @Override
        public String unavailableReason() {
            return null;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final Map<Long, Fake> opened = new HashMap<>();

    private NamespaceEvents.Opener opener(long key) {
        return sink -> {
            Fake f = new Fake(sink);
            opened.put(key, f);
            return f;
        };
    }

    private Map<Long, NamespaceEvents.Opener> wanted(long... keys) {
        Map<Long, NamespaceEvents.Opener> m = new HashMap<>();
        for (long k : keys) {
            m.put(k, opener(k));
        }
        return m;
    }

    @Test
    void namespacesAreFollowedAsTheyComeAndGoAndTheirCountsSummed() {
        ClosedConnections shared = new ClosedConnections(10);
        NamespaceEvents events = new NamespaceEvents(shared);
        assertFalse(events.receiving(), "nothing followed before the first collection");
        events.sync(wanted(1, 2));
        assertEquals(2, events.subscriptions());
        Fake one = opened.get(1L);
        Fake two = opened.get(2L);
        assertSame(shared, one.sink);
        assertSame(shared, two.sink);
        assertTrue(events.receiving());
        one.lost = 3;
        two.lost = 4;
        two.failures = 1;
        assertEquals(7, events.lost());
        assertEquals(1, events.failures());

        events.sync(wanted(1, 2, 3)); // 3 appears; 1 and 2 are kept, not reopened
        assertEquals(3, events.subscriptions());
        assertSame(one, opened.get(1L));
        assertSame(two, opened.get(2L));

        events.sync(wanted(1, 3)); // 2 is gone: closed, its counts kept
        assertTrue(two.closed);
        assertFalse(one.closed);
        assertEquals(2, events.subscriptions());
        opened.get(3L).lost = 5;
        assertEquals(3 + 4 + 5, events.lost());
        assertEquals(1, events.failures());

        events.close();
        assertTrue(one.closed);
        assertTrue(opened.get(3L).closed);
        assertNull(events.closed());
        assertEquals(12, events.lost());
        events.sync(wanted(4));
        assertFalse(opened.containsKey(4L), "nothing opens after close");
    }

    @Test
    void aRefusedSubscriptionIsAFailureAndTriedAgain() {
        NamespaceEvents events = new NamespaceEvents(new ClosedConnections(0));
        Map<Long, NamespaceEvents.Opener> m = new HashMap<>();
        m.put(7L, sink -> {
            throw new IOException("setns: EPERM");
        });
        events.sync(m);
        events.sync(m);
        assertEquals(0, events.subscriptions());
        assertEquals(2, events.failures());
        assertEquals("setns: EPERM", events.lastFailure());
        events.sync(wanted(7));
        assertEquals(1, events.subscriptions());
        assertEquals(2, events.failures());
    }
}
