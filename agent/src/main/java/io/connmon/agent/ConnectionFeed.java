package io.connmon.agent;

import io.connmon.parser.events.ConnectionEvents;
import io.connmon.parser.source.SocketSource;

import io.connmon.exporter.SocketMetrics;
import io.connmon.parser.source.SourceException;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
        try {
            ConnectionEvents s = source.subscribeClosed(closedMax, receiveBuffer);
            if (s.closed() == null) {
                return s; // the source has none, and says why
            }
            int granted = s.receiveBufferBytes() / 2; // the kernel reports twice what it grants for data
            log.info("subscribed to TCP destroy events (receive buffer " + (granted > 0 ? granted : receiveBuffer)
                    + " bytes, last " + closedMax + " closed connections kept)");
            if (granted > 0 && granted < receiveBuffer) {
                log.warning("destroy events: receive buffer " + granted + " bytes, not the " + receiveBuffer
                        + " asked (net.core.rmem_max caps it without CAP_NET_ADMIN): bursts may lose events, "
                        + "counted in connmon_events_lost_total; raise net.core.rmem_max to lift it");
            }
            return s;
        } catch (IOException | RuntimeException e) {
            return ConnectionEvents.unavailable("subscribing to destroy events failed: " + e.getMessage());
        }
    }

    /**
     * Every {@code interval} (none when 0 or without events), reads the established connections' tcp_info for
     * the live RTT histogram, on a daemon thread of its own.
     */
    static void sampleRtt(SocketMetrics metrics, ConnectionEvents feed, Duration interval, Logger log) {
        if (interval.isZero() || interval.isNegative() || feed.closed() == null) {
            return;
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "connmon-tcp-info");
            t.setDaemon(true);
            return t;
        });
        long millis = Math.max(1000, interval.toMillis());
        timer.scheduleWithFixedDelay(() -> {
            try {
                metrics.sampleConnectionRtt();
            } catch (SourceException | RuntimeException e) {
                log.fine("tcp_info sample failed: " + e.getMessage());
            }
        }, Math.min(millis, 10_000), millis, TimeUnit.MILLISECONDS);
    }

    static void close(ConnectionEvents feed) {
        feed.close();
    }
}
