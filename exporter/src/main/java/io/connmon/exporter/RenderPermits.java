package io.connmon.exporter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;

/**
 * A bound on concurrent renders of whole snapshots, refusing at once rather than queueing.
 *
 * <p>A {@code /snapshot} render keeps its snapshot's socket table alive for as long as the client reads (seconds
 * at a million sockets, longer for a slow client), while the scrapes go on collecting new tables: each
 * concurrent render can pin one more table. At 1,000,000 sockets a table is ~66 MiB, so two renders beside the
 * served table and the one being read would not fit the launcher's heap. With a permit per render, the extra
 * request is answered {@code 503} with {@code Retry-After: 1} at once and costs nothing.
 *
 * <pre>{@code
 * server.createContext("/snapshot", readOnly(RenderPermits.SNAPSHOT.guard(new SnapshotHandler(service))));
 * }</pre>
 */
public final class RenderPermits {

    /** The permits of {@code /snapshot}: one render at a time. */
    public static final RenderPermits SNAPSHOT = new RenderPermits(1);

    private final Semaphore permits;
    private final int max;

    public RenderPermits(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("at least one permit");
        }
        this.max = max;
        this.permits = new Semaphore(max);
    }

    /** Takes a permit if one is free, without waiting; a {@code true} must be followed by {@link #release()}. */
    public boolean tryAcquire() {
        return permits.tryAcquire();
    }

    /** Gives back a permit taken with {@link #tryAcquire()}. */
    public void release() {
        permits.release();
    }

    /** Permits free now. */
    public int available() {
        return permits.availablePermits();
    }

    /**
     * A handler that runs {@code h} under a permit, or answers {@code 503} with a one-line JSON error and
     * {@code Retry-After: 1} when all are taken.
     */
    public HttpHandler guard(HttpHandler h) {
        return exchange -> {
            if (!tryAcquire()) {
                refuse(exchange);
                return;
            }
            try {
                h.handle(exchange);
            } finally {
                release();
            }
        };
    }

    private void refuse(HttpExchange exchange) throws IOException {
        byte[] body = ("{\"error\":\"busy: " + max + " snapshot render" + (max == 1 ? " is" : "s are")
                + " under way, retry in a moment\"}\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Retry-After", "1");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(503, head ? -1 : body.length);
        if (!head) {
            exchange.getResponseBody().write(body);
        }
    }
}
