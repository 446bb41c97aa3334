package io.connmon.agent;

import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.netlink.DestroySubscription;
import io.connmon.parser.source.netlink.NetlinkSocketSource;

import java.io.IOException;
import java.util.logging.Logger;

/** Wiring of the connections-over-time feed: a destroy-event subscription beside a netlink source, or none. */
final class ConnectionFeed {

    private ConnectionFeed() {
    }

    /**
     * Subscribes when the source reads sock_diag (the events come from the same kernel interface, in the same
     * network namespace); otherwise, or when the subscription is refused, a feed that says why not.
     */
    static ConnectionEvents open(SocketSource source, boolean wanted, int closedMax, int receiveBuffer, Logger log) {
        if (!wanted) {
            return ConnectionEvents.unavailable("turned off (--events off)");
        }
        if (!(source instanceof NetlinkSocketSource)) {
            return ConnectionEvents.unavailable("the socket source is " + source.name()
                    + ", and destroy events come from netlink sock_diag in connmon's own network namespace");
        }
        try {
            DestroySubscription s = DestroySubscription.open(new ClosedConnections(closedMax), receiveBuffer);
            s.start();
            log.info("subscribed to TCP destroy events (receive buffer " + receiveBuffer + " bytes, last "
                    + closedMax + " closed connections kept)");
            return s;
        } catch (IOException | RuntimeException e) {
            return ConnectionEvents.unavailable("subscribing to destroy events failed: " + e.getMessage());
        }
    }

    static void close(ConnectionEvents feed) {
        if (feed instanceof DestroySubscription) {
            ((DestroySubscription) feed).close();
        }
    }
}
