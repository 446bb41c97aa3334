package io.connmon.exporter;

import io.connmon.parser.source.SocketRequest;
import io.connmon.parser.source.SourceException;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * connmon's HTTP server: {@code /metrics}, {@code /snapshot}, {@code /}, {@code /-/healthy}, {@code /-/ready}, on
 * the JDK's {@link HttpServer} with a bounded pool of worker threads.
 *
 * <pre>{@code
 * try (HttpEndpoints http = HttpEndpoints.start(new InetSocketAddress("127.0.0.1", 9469), service, registry)) {
 *     ...
 * }
 * }</pre>
 */
public final class HttpEndpoints implements AutoCloseable {

    /** Worker threads; more requests than these wait in a bounded queue, then on the accepting thread. */
    static final int THREADS = 4;
    static final int QUEUE = 64;

    /** When the request the current thread serves arrived ({@link System#nanoTime()}). */
    private static final ThreadLocal<Long> ARRIVED = new ThreadLocal<>();

    private final HttpServer server;
    private final ThreadPoolExecutor executor;

    private HttpEndpoints(HttpServer server, ThreadPoolExecutor executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds and starts the server.
     *
     * @throws IOException if the address cannot be bound (in use, not local)
     */
    public static HttpEndpoints start(InetSocketAddress address, SnapshotService service, PrometheusRegistry registry)
            throws IOException {
        HttpServer server = HttpServer.create(address, 64);
        ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE), r -> {
                    Thread t = new Thread(r, "connmon-http");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        executor.allowCoreThreadTimeOut(true);
        // Note when each request arrived, before it waits for a worker: see SnapshotService.current(long).
        server.setExecutor(task -> {
            long arrived = System.nanoTime();
            executor.execute(() -> {
                ARRIVED.set(arrived);
                try {
                    task.run();
                } finally {
                    ARRIVED.remove();
                }
            });
        });
        MetricsHandler metrics = new MetricsHandler(registry);
        server.createContext("/metrics", readOnly(exchange -> {
            try {
                service.current(arrived()); // one collection, then every family renders from it
            } catch (SourceException e) {
                // connmon_up and the error counter tell the story; the scrape still answers
            }
            metrics.handle(exchange);
        }));
        server.createContext("/snapshot", readOnly(new SnapshotHandler(service)));
        server.createContext("/-/healthy", readOnly(exchange -> text(exchange, 200, "OK\n")));
        server.createContext("/-/ready", readOnly(exchange -> {
            if (service.latest() != null) {
                text(exchange, 200, "Ready\n");
            } else {
                text(exchange, 503, "Not ready: no collection has succeeded yet\n");
            }
        }));
        server.createContext("/", readOnly(exchange -> {
            if (!exchange.getRequestURI().getPath().equals("/")) {
                text(exchange, 404, "Not found\n");
                return;
            }
            byte[] body = LANDING.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            send(exchange, 200, body);
        }));
        server.start();
        return new HttpEndpoints(server, executor);
    }

    private static long arrived() {
        Long t = ARRIVED.get();
        return t == null ? System.nanoTime() : t;
    }

    /** Serves the last closed connections of {@code feed} at {@code /closed} (see {@link ClosedHandler}). */
    public void closedConnections(io.connmon.parser.events.ConnectionEvents feed) {
        server.createContext("/closed", readOnly(new ClosedHandler(feed)));
    }

    /** The bound address (the port is the real one when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /**
     * Stops at once: requests under way get up to half a second to finish, then the listener and connections
     * close. ({@code HttpServer.stop(n)} waits the whole n seconds on Java 17 even when idle, which would break
     * the one-second stop that systemd and operators expect.)
     */
    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.stop(0);
        executor.shutdownNow();
    }

    private static final String LANDING = "<!DOCTYPE html>\n<html><head><title>connmon</title></head><body>\n"
            + "<h1>connmon</h1>\n<p>A netstat-style connection monitor.</p>\n<ul>\n"
            + "<li><a href=\"metrics\">/metrics</a>: Prometheus metrics</li>\n"
            + "<li><a href=\"snapshot\">/snapshot</a>: the socket table as JSON "
            + "(parameters: " + String.join(", ", SocketQuery.PARAMETERS) + ")</li>\n"
            + "<li><a href=\"-/healthy\">/-/healthy</a></li>\n<li><a href=\"-/ready\">/-/ready</a></li>\n"
            + "</ul>\n</body></html>\n";

    /** Answers 405 to anything but GET and HEAD; turns any failure into a 500 rather than a dropped connection. */
    static HttpHandler readOnly(HttpHandler h) {
        return exchange -> {
            try (exchange) {
                String m = exchange.getRequestMethod();
                if (!m.equals("GET") && !m.equals("HEAD")) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    text(exchange, 405, "Method not allowed: use GET or HEAD\n");
                    return;
                }
                h.handle(exchange);
            } catch (IOException e) {
                // the client went away
            } catch (RuntimeException e) {
                System.getLogger("connmon.http").log(System.Logger.Level.WARNING,
                        "request " + exchange.getRequestURI().getPath() + " failed: " + e);
            }
        };
    }

    static void text(HttpExchange exchange, int status, String body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head) {
            exchange.getResponseBody().write(body);
        }
    }

    /** Decodes a raw query string into parameters, keeping repeats in order. */
    static Map<String, List<String>> parseQuery(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    /** {@code /snapshot}: the socket table as streamed JSON; gzip when the client accepts it. */
    static final class SnapshotHandler implements HttpHandler {
        private final SnapshotService service;

        SnapshotHandler(SnapshotService service) {
            this.service = service;
        }

        @Override
        public void handle(HttpExchange exchange) throws IOException {
            Map<String, List<String>> params;
            SocketQuery query;
            boolean pretty;
            boolean info;
            try {
                params = parseQuery(exchange.getRequestURI().getRawQuery());
                pretty = params.remove("pretty") != null;
                List<String> infoParam = params.remove("info"); // tcp_info: a fresh collection, on request only
                info = infoParam != null && infoParam.contains("1");
                query = SocketQuery.parse(params);
            } catch (QueryException e) {
                error(exchange, 400, e.getMessage(), e.parameter(), e.accepts());
                return;
            } catch (IllegalArgumentException e) {
                error(exchange, 400, "malformed query string: " + e.getMessage(), null, null);
                return;
            }
            Snapshot s;
            try {
                s = info ? service.collect(SocketRequest.ALL.withTcpInfo(true)) : service.current(arrived());
            } catch (SourceException e) {
                error(exchange, 503, "no snapshot: " + e.getMessage(), null, null);
                return;
            }
            QueryException refused = query.refusal(s);
            if (refused != null) {
                error(exchange, 400, refused.getMessage(), refused.parameter(), refused.accepts());
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            String acceptEncoding = exchange.getRequestHeaders().getFirst("Accept-Encoding");
            boolean gzip = acceptEncoding != null && acceptEncoding.contains("gzip");
            if (gzip) {
                exchange.getResponseHeaders().set("Content-Encoding", "gzip");
            }
            exchange.sendResponseHeaders(200, 0); // chunked: the body is streamed
            OutputStream body = exchange.getResponseBody();
            OutputStream out = gzip ? new GZIPOutputStream(body, 64 * 1024) : new BufferedOutputStream(body, 64 * 1024);
            try (out) {
                SnapshotJson.write(s, query, out, pretty);
            }
        }

        private static void error(HttpExchange exchange, int status, String message, String parameter, String accepts)
                throws IOException {
            StringBuilder b = new StringBuilder("{\"error\":").append(quote(message));
            if (parameter != null) {
                b.append(",\"parameter\":").append(quote(parameter));
            }
            if (accepts != null) {
                b.append(",\"accepts\":").append(quote(accepts));
            }
            b.append("}\n");
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            send(exchange, status, b.toString().getBytes(StandardCharsets.UTF_8));
        }

        private static String quote(String s) {
            StringBuilder b = new StringBuilder("\"");
            com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s, b);
            return b.append('"').toString();
        }
    }
}
