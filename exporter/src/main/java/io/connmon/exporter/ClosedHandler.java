package io.connmon.exporter;

import io.connmon.parser.events.ClosedConnection;
import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;

/**
 * {@code GET /closed}: the last closed TCP connections, newest first, as the destroy events told them, for
 * {@code curl | jq} the way {@code tcplife} is used. {@code ?limit=N} keeps the newest N. 503 with the reason
 * when there are no events.
 *
 * <pre>{@code
 * {"available":true,"kept":1000,"lost":0,"connections":[{"closedAt":"2026-11-25T17:10:00.123Z",
 *   "direction":"inbound","local":"127.0.0.1:8080","remote":"127.0.0.1:51234","bytesSent":201,
 *   "bytesReceived":1001,"retransmits":0,"rttSeconds":0.000028,"cookie":4097}]}
 * }</pre>
 */
final class ClosedHandler implements HttpHandler {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private final ConnectionEvents feed;

    ClosedHandler(ConnectionEvents feed) {
        this.feed = feed;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestURI().getPath().equals("/closed")) {
            HttpEndpoints.text(exchange, 404, "Not found\n");
            return;
        }
        int limit = Integer.MAX_VALUE;
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null && !query.isEmpty()) {
            try {
                limit = limit(query);
            } catch (IllegalArgumentException e) {
                HttpEndpoints.text(exchange, 400, e.getMessage() + "\n");
                return;
            }
        }
        ClosedConnections closed = feed.closed();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (closed == null) {
            write(body, null, feed, 0);
        } else {
            write(body, closed.last(limit), feed, closed.ringSize());
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        HttpEndpoints.send(exchange, closed == null ? 503 : 200, body.toByteArray());
    }

    /** The value of {@code limit=N}, the only parameter. */
    static int limit(String query) {
        int limit = Integer.MAX_VALUE;
        for (String part : query.split("&")) {
            if (part.isEmpty() || part.equals("pretty")) {
                continue;
            }
            if (!part.startsWith("limit=")) {
                throw new IllegalArgumentException("unknown parameter '" + part.split("=")[0]
                        + "': /closed accepts limit=N");
            }
            try {
                limit = Integer.parseInt(part.substring(6));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 0) {
                throw new IllegalArgumentException("limit=" + part.substring(6) + ": expected a number, 0 or more");
            }
        }
        return limit;
    }

    static void write(OutputStream out, List<ClosedConnection> list, ConnectionEvents feed, int kept)
            throws IOException {
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeBooleanField("available", list != null);
            if (list == null) {
                g.writeStringField("reason", feed.unavailableReason());
                g.writeEndObject();
                return;
            }
            g.writeNumberField("kept", kept);
            g.writeNumberField("lost", feed.lost());
            g.writeArrayFieldStart("connections");
            for (ClosedConnection c : list) {
                g.writeStartObject();
                g.writeStringField("closedAt", Instant.ofEpochMilli(c.closedAtMillis()).toString());
                g.writeStringField("direction", c.inbound() ? "inbound" : "outbound");
                g.writeStringField("local", c.local().toString());
                g.writeStringField("remote", c.remote().toString());
                known(g, "bytesSent", c.bytesSent());
                known(g, "bytesReceived", c.bytesReceived());
                known(g, "retransmits", c.retransmits());
                if (c.rttMicros() >= 0) {
                    g.writeNumberField("rttSeconds", c.rttMicros() / 1e6);
                } else {
                    g.writeNullField("rttSeconds");
                }
                g.writeFieldName("cookie");
                g.writeNumber(Long.toUnsignedString(c.cookie()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        out.write('\n');
    }

    /** A figure, or null where the kernel did not send it. */
    private static void known(JsonGenerator g, String name, long v) throws IOException {
        if (v >= 0) {
            g.writeNumberField(name, v);
        } else {
            g.writeNullField(name);
        }
    }
}
