package io.connmon.exporter;

import io.connmon.parser.source.SourceException;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * connmon's HTTP server: {@code /metrics}, {@code /snapshot}, {@code /}, {@code /-/healthy}, {@code /-/ready} (exact
 * paths; anything else is 404), on the JDK's {@link HttpServer}.
 *
 * <p>No client can stall it. The JDK reads each request on a thread of the server's executor, so slow senders
 * each hold one such thread until {@link HttpLimits} closes them; the answers that cost something run on pools of
 * their own, {@code /metrics} apart from {@code /snapshot}, so a burst of one never delays the other. A request
 * finding its pool's threads and queue full is answered 503 at once; the dispatcher thread never runs a request.
 * {@code /-/healthy}, {@code /-/ready}, {@code /} and every error are answered right on the reading thread.
 * Whatever happens, each exchange is closed (which closes its connection when its answer could not be written),
 * an unexpected error answers 500 with a one-line JSON body, and each answer is counted in
 * {@code connmon_http_requests_total{path,code}}.
 *
 * <pre>{@code
 * try (HttpEndpoints http = HttpEndpoints.start(new InetSocketAddress("127.0.0.1", 9469), service, registry)) {
 *     ...
 * }
 * }</pre>
 */
public final class HttpEndpoints implements AutoCloseable {

    static {
        // Before the first HttpServer exists: the JDK reads its limits once (see HttpLimits).
        HttpLimits.applyDefaults(System.getProperties(), HttpLimits.openFilesLimit());
    }

    /** Connections waiting to be accepted. */
    static final int BACKLOG = 64;
    /** Threads rendering /metrics, and requests that may wait for one. */
    static final int METRICS_THREADS = 2;
    static final int METRICS_QUEUE = 64;
    /** Threads streaming /snapshot, and requests that may wait for one. */
    static final int SNAPSHOT_THREADS = 2;
    static final int SNAPSHOT_QUEUE = 16;
    /** A request that waited this long for a thread is answered 503 rather than served late. */
    static final long MAX_QUEUE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final System.Logger LOG = System.getLogger("connmon.http");

    private final HttpServer server;
    private final List<ThreadPoolExecutor> pools;
    final HttpMetrics requests;

    private HttpEndpoints(HttpServer server, List<ThreadPoolExecutor> pools, HttpMetrics requests) {
        this.server = server;
        this.pools = pools;
        this.requests = requests;
    }

    /**
     * Binds and starts the server.
     *
     * @throws IOException if the address cannot be bound (in use, not local)
     */
    public static HttpEndpoints start(InetSocketAddress address, SnapshotService service, PrometheusRegistry registry)
            throws IOException {
        HttpServer server = HttpServer.create(address, BACKLOG);
        // Reading requests: one thread per connection with a request under way, never more than the connections
        // the server accepts; past that (cannot happen) the dispatcher closes the connection rather than wait.
        int readers = HttpLimits.maxConnections();
        ThreadPoolExecutor reading = pool("connmon-http", readers, 0, new ThreadPoolExecutor.AbortPolicy());
        ThreadPoolExecutor metricsPool = pool("connmon-http-metrics", METRICS_THREADS, METRICS_QUEUE,
                new ThreadPoolExecutor.AbortPolicy());
        ThreadPoolExecutor snapshotPool = pool("connmon-http-snapshot", SNAPSHOT_THREADS, SNAPSHOT_QUEUE,
                new ThreadPoolExecutor.AbortPolicy());
        server.setExecutor(reading);
        HttpMetrics requests = new HttpMetrics();
        registry.register(requests);
        server.createContext("/", new Router(service, registry, metricsPool, snapshotPool, requests));
        server.start();
        return new HttpEndpoints(server, List.of(metricsPool, snapshotPool, reading), requests);
    }

    private static ThreadPoolExecutor pool(String name, int threads, int queue, RejectedExecutionHandler rejected) {
        ThreadPoolExecutor p = new ThreadPoolExecutor(queue == 0 ? 0 : threads, threads, 10, TimeUnit.SECONDS,
                queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                }, rejected);
        p.allowCoreThreadTimeOut(queue != 0); // idle threads go: a quiet daemon holds none
        return p;
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
        for (ThreadPoolExecutor p : pools) {
            p.shutdown();
        }
        try {
            pools.get(0).awaitTermination(500, TimeUnit.MILLISECONDS);
            pools.get(1).awaitTermination(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.stop(0);
        for (ThreadPoolExecutor p : pools) {
            p.shutdownNow();
        }
    }

    /** A handler that may fail; {@link #serve} turns any failure into an answer or a closed connection. */
    interface Handler {
        void handle(HttpExchange exchange) throws IOException, QueryException;
    }

    /** Routes by exact path, answers the cheap paths at once and hands the others to their pools. */
    static final class Router implements HttpHandler {
        private final SnapshotService service;
        private final ThreadPoolExecutor metricsPool;
        private final ThreadPoolExecutor snapshotPool;
        private final HttpMetrics requests;
        private final PrometheusScrapeHandler scrape;
        private final SnapshotHandler snapshot;

        Router(SnapshotService service, PrometheusRegistry registry, ThreadPoolExecutor metricsPool,
                ThreadPoolExecutor snapshotPool, HttpMetrics requests) {
            this.service = service;
            this.metricsPool = metricsPool;
            this.snapshotPool = snapshotPool;
            this.requests = requests;
            this.scrape = new PrometheusScrapeHandler(registry);
            this.snapshot = new SnapshotHandler(service);
        }

        @Override
        public void handle(HttpExchange exchange) {
            long arrived = service.nanoTime();
            String path = exchange.getRequestURI().getRawPath();
            String label = switch (path == null ? "" : path) {
                case "/metrics", "/snapshot", "/", "/-/healthy", "/-/ready" -> path;
                default -> "other";
            };
            String m = exchange.getRequestMethod();
            if (label.equals("other")) {
                serve(exchange, label, requests, x -> text(x, 404, "Not found\n"));
            } else if (!m.equals("GET") && !m.equals("HEAD")) {
                serve(exchange, label, requests, x -> {
                    x.getResponseHeaders().set("Allow", "GET, HEAD");
                    text(x, 405, "Method not allowed: use GET or HEAD\n");
                });
            } else {
                switch (label) {
                    case "/metrics" -> hand(metricsPool, exchange, label, arrived, x -> metrics(x, arrived));
                    case "/snapshot" -> hand(snapshotPool, exchange, label, arrived, x -> snapshot.handle(x, arrived));
                    case "/-/healthy" -> serve(exchange, label, requests, x -> text(x, 200, "OK\n"));
                    case "/-/ready" -> serve(exchange, label, requests, x -> {
                        String stale = service.staleness();
                        if (stale == null) {
                            text(x, 200, "Ready\n");
                        } else {
                            text(x, 503, "Not ready: " + stale + "\n");
                        }
                    });
                    default -> serve(exchange, label, requests, x -> {
                        x.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                        send(x, 200, LANDING.getBytes(StandardCharsets.UTF_8));
                    });
                }
            }
        }

        /** Runs {@code h} on {@code pool}; 503 at once when the pool is full, or when the request waited too long. */
        private void hand(ThreadPoolExecutor pool, HttpExchange exchange, String label, long arrived, Handler h) {
            try {
                pool.execute(() -> {
                    if (service.nanoTime() - arrived > MAX_QUEUE_NANOS) {
                        serve(exchange, label, requests, x -> overloaded(x, label));
                    } else {
                        serve(exchange, label, requests, h);
                    }
                });
            } catch (RejectedExecutionException e) {
                serve(exchange, label, requests, x -> overloaded(x, label));
            }
        }

        private void metrics(HttpExchange exchange, long arrived) throws IOException, QueryException {
            Map<String, List<String>> params = parseQuery(exchange.getRequestURI().getRawQuery());
            List<String> debug = params.get("debug");
            if (debug != null && !(debug.size() == 1
                    && List.of("text", "openmetrics", "prometheus-protobuf").contains(debug.get(0)))) {
                text(exchange, 400, "Bad request: 'debug' takes text, openmetrics or prometheus-protobuf\n");
                return;
            }
            try {
                service.current(arrived); // one collection, then every family renders from it
            } catch (SourceException e) {
                // connmon_up and the error counter tell the story; the scrape still answers
            }
            scrape.handleRequest(new ScrapeExchange(exchange));
        }
    }

    /**
     * Runs one handler to the end: a client that went away is a debug line; any other failure is a WARNING and,
     * when nothing was sent yet, a 500 with a JSON body. The exchange is always closed, then the answer counted.
     */
    static void serve(HttpExchange exchange, String label, HttpMetrics requests, Handler h) {
        try {
            h.handle(exchange);
        } catch (QueryException e) {
            answerError(exchange, 400, e.getMessage());
        } catch (IllegalArgumentException e) { // a malformed query string (bad %-escape)
            answerError(exchange, 400, "malformed query string: " + e.getMessage());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> label + ": the client went away: " + e);
        } catch (Throwable e) { // a bug, or an Error: answered, logged, counted, never a dropped connection
            LOG.log(System.Logger.Level.WARNING, "request " + label + " failed", e);
            answerError(exchange, 500, "internal error: " + e);
        } finally {
            exchange.close(); // closes the connection too when the answer was cut short
            requests.count(label, exchange.getResponseCode());
        }
    }

    private static void answerError(HttpExchange exchange, int status, String message) {
        if (exchange.getResponseCode() != -1) {
            return; // too late for a status: the connection is closed instead
        }
        try {
            json(exchange, status, "{\"error\":" + SnapshotHandler.quote(message.replace('\n', ' ')) + "}\n");
        } catch (IOException e) {
            // the client went away as well
        }
    }

    private static void overloaded(HttpExchange exchange, String label) throws IOException {
        exchange.getResponseHeaders().set("Retry-After", "1");
        String message = "overloaded: too many " + label + " requests at once, try again";
        if (label.equals("/snapshot")) {
            json(exchange, 503, "{\"error\":" + SnapshotHandler.quote(message) + "}\n");
        } else {
            text(exchange, 503, message + "\n");
        }
    }

    static void json(HttpExchange exchange, int status, String body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The response body, whose {@code close()} closes the exchange. JDK 17's fixed-length body stream, closed
     * before its exchange with bytes still owed (the write failed: the client went away), closes the exchange
     * without its connection, and the descriptor leaks for good; closing the exchange itself closes the connection
     * in that case.
     */
    static OutputStream body(HttpExchange exchange) {
        return new FilterOutputStream(exchange.getResponseBody()) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                try {
                    out.flush();
                } finally {
                    exchange.close();
                }
            }
        };
    }

    /** client_java's scrape handler over an exchange, with failures left to {@link #serve}. */
    static final class ScrapeExchange implements PrometheusHttpExchange {
        private final HttpExchange exchange;

        ScrapeExchange(HttpExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public PrometheusHttpRequest getRequest() {
            return new PrometheusHttpRequest() {
                @Override
                public String getQueryString() {
                    return exchange.getRequestURI().getRawQuery();
                }

                @Override
                public Enumeration<String> getHeaders(String name) {
                    List<String> values = exchange.getRequestHeaders().get(name);
                    return values == null ? Collections.emptyEnumeration() : Collections.enumeration(values);
                }

                @Override
                public String getMethod() {
                    return exchange.getRequestMethod();
                }

                @Override
                public String getRequestPath() {
                    return exchange.getRequestURI().getPath();
                }
            };
        }

        @Override
        public PrometheusHttpResponse getResponse() {
            return new PrometheusHttpResponse() {
                @Override
                public void setHeader(String name, String value) {
                    exchange.getResponseHeaders().set(name, value);
                }

                @Override
                public OutputStream sendHeadersAndGetBody(int status, int contentLength) throws IOException {
                    exchange.sendResponseHeaders(status, contentLength);
                    return body(exchange);
                }
            };
        }

        @Override
        public void handleException(IOException e) throws IOException {
            throw e;
        }

        @Override
        public void handleException(RuntimeException e) {
            throw e;
        }

        @Override
        public void close() {
            exchange.close();
        }
    }

    private static final String LANDING = "<!DOCTYPE html>\n<html><head><title>connmon</title></head><body>\n"
            + "<h1>connmon</h1>\n<p>A netstat-style connection monitor.</p>\n<ul>\n"
            + "<li><a href=\"metrics\">/metrics</a>: Prometheus metrics</li>\n"
            + "<li><a href=\"snapshot\">/snapshot</a>: the socket table as JSON "
            + "(filters: protocol, family, state, port, local_port, remote_port, address, limit)</li>\n"
            + "<li><a href=\"-/healthy\">/-/healthy</a></li>\n<li><a href=\"-/ready\">/-/ready</a></li>\n"
            + "</ul>\n</body></html>\n";

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
    static final class SnapshotHandler {
        private final SnapshotService service;

        SnapshotHandler(SnapshotService service) {
            this.service = service;
        }

        /** Serves a request that arrived at {@code arrived} ({@link SnapshotService#nanoTime()}). */
        void handle(HttpExchange exchange, long arrived) throws IOException {
            Map<String, List<String>> params;
            SocketQuery query;
            boolean pretty;
            try {
                params = parseQuery(exchange.getRequestURI().getRawQuery());
                pretty = params.remove("pretty") != null;
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
                s = service.current(arrived);
            } catch (SourceException e) {
                error(exchange, 503, "no snapshot: " + e.getMessage(), null, null);
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
            OutputStream body = body(exchange);
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

        static String quote(String s) {
            StringBuilder b = new StringBuilder("\"");
            com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s, b);
            return b.append('"').toString();
        }
    }
}
