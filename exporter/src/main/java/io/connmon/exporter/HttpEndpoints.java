package io.connmon.exporter;

import io.connmon.parser.source.SocketRequest;
import io.connmon.parser.source.SourceException;
import io.connmon.exporter.web.WebSecurity;

import com.sun.net.httpserver.HttpContext;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * connmon's HTTP server: {@code /metrics}, {@code /snapshot}, {@code /}, {@code /-/healthy}, {@code /-/ready} (exact
 * paths; anything else is 404), on the JDK's {@link HttpServer}.
 *
 * <p>No client can stall it. The JDK reads each request on a thread of the server's executor, and a slow sender would
 * hold one such thread until {@link HttpLimits} closes it; so no more than {@value #HEAD_READERS} requests are read
 * at once, the others wait for their turn without a thread, and while they wait the slowest senders are closed
 * ({@link HeadReaders}). The executor has a thread for every request past its head, up to one for every connection
 * the server accepts. What costs something is admitted by path: at most {@value #METRICS_THREADS} {@code /metrics}
 * answers render at once and {@value #METRICS_QUEUE} more may wait, apart from {@code /snapshot}'s
 * {@value #SNAPSHOT_THREADS} and {@value #SNAPSHOT_QUEUE}, so a burst of one never delays the other; past that, or
 * after waiting {@code MAX_QUEUE_NANOS}, a request is answered 503 at once. The dispatcher thread never runs a
 * request. {@code /-/healthy}, {@code /-/ready} and {@code /} are answered without waiting for anything.
 *
 * <p>An unexpected error answers 500 with a one-line JSON body; each answer is counted in
 * {@code connmon_http_requests_total{path,code}}. When an answer cannot be written (the client went away), the
 * failure goes back to the JDK, which closes the connection and forgets it: closing the exchange instead, as
 * client_java's handler does, closes the socket of a fixed-length answer never (descriptor leak) or only behind
 * the server's back (the connection stays counted open, and {@code jdk.httpserver.maxConnections} of them lock every
 * client out).
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
    /** /metrics answers rendered at once, and requests that may wait for their turn. */
    static final int METRICS_THREADS = 2;
    static final int METRICS_QUEUE = 64;
    /**
     * /snapshot answers streamed at once, and requests that may wait for their turn. One: a render keeps its
     * snapshot's table alive for as long as the client reads (seconds at a million sockets, ~66 MiB a table), while
     * scrapes go on collecting new tables, so each concurrent render could pin one more table than the heap holds.
     */
    static final int SNAPSHOT_THREADS = 1;
    static final int SNAPSHOT_QUEUE = 16;
    /** A request that waited this long for its turn is answered 503 rather than served late. */
    static final long MAX_QUEUE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * Requests whose head is read at once, each on a thread ({@link HeadReaders}); others wait for their turn without
     * one, and while they wait, a request whose head took longer than {@code HEAD_GRACE_NANOS} is closed.
     */
    static final int HEAD_READERS = 16;
    static final long HEAD_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private static final System.Logger LOG = System.getLogger("connmon.http");

    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final ScheduledThreadPoolExecutor timer;
    private final PrometheusRegistry registry;
    final HttpMetrics requests;
    private final Router router;

    private HttpEndpoints(HttpServer server, ThreadPoolExecutor executor, ScheduledThreadPoolExecutor timer,
            PrometheusRegistry registry, HttpMetrics requests, Router router) {
        this.router = router;
        this.server = server;
        this.executor = executor;
        this.timer = timer;
        this.registry = registry;
        this.requests = requests;
    }

    /**
     * Binds and starts the server.
     *
     * @throws IOException if the address cannot be bound (in use, not local)
     */
    public static HttpEndpoints start(InetSocketAddress address, SnapshotService service, PrometheusRegistry registry)
            throws IOException {
        return start(address, service, registry, WebSecurity.none());
    }

    /**
     * Binds and starts the server with the TLS, basic authentication and headers of a web configuration file
     * ({@link WebSecurity#none()}: plain HTTP, as without one).
     *
     * @throws IOException if the address cannot be bound (in use, not local)
     */
    public static HttpEndpoints start(InetSocketAddress address, SnapshotService service, PrometheusRegistry registry,
            WebSecurity web) throws IOException {
        AcceptBackoff.install();
        HttpServer server = web.createServer(address, BACKLOG);
        // A thread for each connection with a request under way, created when needed and gone after 10 s idle.
        // Past the limit (more connections than the server accepts: cannot happen) the dispatcher closes the
        // connection rather than wait.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(0, HttpLimits.maxConnections(), 10, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "connmon-http");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        // At most HEAD_READERS requests are read at once, so slow senders do not each hold a thread: see HeadReaders.
        // Its checks run on a thread of their own, there only while requests wait for their turn to be read.
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "connmon-http-heads");
            t.setDaemon(true);
            return t;
        });
        timer.setKeepAliveTime(10, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
        HeadReaders heads = new HeadReaders(executor, HEAD_READERS, HEAD_GRACE_NANOS, System::nanoTime,
                (check, nanos) -> timer.schedule(check, nanos, TimeUnit.NANOSECONDS));
        server.setExecutor(heads);
        HttpMetrics requests = new HttpMetrics();
        registry.register(requests);
        Router router = new Router(service, registry, requests);
        HttpContext context = web.guard(server.createContext("/", router));
        context.getFilters().add(0, heads.filter()); // first, before the guard's authentication
        server.start();
        return new HttpEndpoints(server, executor, timer, registry, requests, router);
    }

    /** Serves the last closed connections of {@code feed} at {@code /closed} (see {@link ClosedHandler}). */
    public void closedConnections(io.connmon.parser.events.ConnectionEvents feed) {
        router.closed = new ClosedHandler(feed);
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
        timer.shutdownNow();
        registry.unregister(requests);
    }

    /** A handler that may fail; {@link #serve} turns any failure into an answer or a closed connection. */
    interface Handler {
        void handle(HttpExchange exchange) throws IOException, QueryException;
    }

    /** Admission for one path: so many answers at once, so many waiting, the rest refused. */
    static final class Gate {
        final Semaphore admitted;
        final Semaphore running;

        Gate(int running, int waiting) {
            this.admitted = new Semaphore(running + waiting);
            this.running = new Semaphore(running, true);
        }
    }

    /** Routes by exact path, answers the cheap paths at once and admits the others through their gates. */
    static final class Router implements HttpHandler {
        private final SnapshotService service;
        private final HttpMetrics requests;
        private final PrometheusScrapeHandler scrape;
        private final SnapshotHandler snapshot;
        private final Gate metricsGate = new Gate(METRICS_THREADS, METRICS_QUEUE);
        private final Gate snapshotGate = new Gate(SNAPSHOT_THREADS, SNAPSHOT_QUEUE);
        /** {@code /closed}, once a feed of closed connections is attached; until then a 404. */
        volatile ClosedHandler closed;

        Router(SnapshotService service, PrometheusRegistry registry, HttpMetrics requests) {
            this.service = service;
            this.requests = requests;
            this.scrape = new PrometheusScrapeHandler(registry);
            this.snapshot = new SnapshotHandler(service);
        }

        @Override
        public void handle(HttpExchange exchange) throws IOException {
            long arrived = service.nanoTime();
            String path = exchange.getRequestURI().getRawPath();
            String label = switch (path == null ? "" : path) {
                case "/metrics", "/snapshot", "/", "/-/healthy", "/-/ready" -> path;
                case "/closed" -> closed != null ? path : "other";
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
                    case "/metrics" -> admit(metricsGate, exchange, label, arrived, x -> metrics(x, arrived));
                    case "/snapshot" -> admit(snapshotGate, exchange, label, arrived, x -> snapshot.handle(x, arrived));
                    case "/-/healthy" -> serve(exchange, label, requests, x -> text(x, 200, "OK\n"));
                    case "/closed" -> serve(exchange, label, requests, closed::handle);
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

        /** Serves through {@code gate}: 503 at once when it is full, or when the turn does not come in time. */
        private void admit(Gate gate, HttpExchange exchange, String label, long arrived, Handler h)
                throws IOException {
            if (!gate.admitted.tryAcquire()) {
                serve(exchange, label, requests, x -> overloaded(x, label));
                return;
            }
            try {
                boolean turn;
                try {
                    turn = gate.running.tryAcquire(MAX_QUEUE_NANOS - (service.nanoTime() - arrived),
                            TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) { // stopping
                    Thread.currentThread().interrupt();
                    turn = false;
                }
                if (!turn) {
                    serve(exchange, label, requests, x -> overloaded(x, label));
                    return;
                }
                try {
                    serve(exchange, label, requests, h);
                } finally {
                    gate.running.release();
                }
            } finally {
                gate.admitted.release();
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
     * Runs one handler to the end and counts its answer. A malformed query is a 400; any other failure before the
     * answer began is logged and answered 500 with a JSON body. When the answer cannot be written (the client went
     * away: a debug line, not an error) or was cut short, the IOException goes back to the JDK, which closes and
     * forgets the connection; otherwise the exchange is closed here.
     */
    static void serve(HttpExchange exchange, String label, HttpMetrics requests, Handler h) throws IOException {
        try {
            try {
                h.handle(exchange);
            } catch (QueryException e) {
                answerError(exchange, 400, e.getMessage());
            } catch (IllegalArgumentException e) { // a malformed query string (bad %-escape)
                answerError(exchange, 400, "malformed query string: " + e.getMessage());
            } catch (IOException e) {
                throw e;
            } catch (Throwable e) { // a bug, or an Error: answered, logged, counted, never a dropped connection
                LOG.log(System.Logger.Level.WARNING, "request " + label + " failed", e);
                answerError(exchange, 500, "internal error: " + e);
            }
        } catch (IOException e) {
            requests.count(label, exchange.getResponseCode());
            LOG.log(System.Logger.Level.DEBUG, () -> label + ": the answer was not delivered: " + e);
            throw e;
        }
        requests.count(label, exchange.getResponseCode());
        exchange.close();
    }

    private static void answerError(HttpExchange exchange, int status, String message) throws IOException {
        if (exchange.getResponseCode() != -1) {
            throw new IOException("answer cut short: " + message); // too late for a status: close the connection
        }
        json(exchange, status, "{\"error\":" + SnapshotHandler.quote(message.replace('\n', ' ')) + "}\n");
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
     * The response body. Once a write has failed, {@code close()} throws and leaves the JDK's stream alone: closing
     * a fixed-length stream with bytes still owed closes the exchange, whose connection then closes behind the
     * server's back (JDK 17), or not at all when the stream was closed first.
     */
    static OutputStream body(HttpExchange exchange) {
        OutputStream out = exchange.getResponseBody();
        return new OutputStream() {
            private boolean failed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                check();
                try {
                    out.write(b, off, len);
                } catch (IOException | RuntimeException e) {
                    failed = true;
                    throw e;
                }
            }

            @Override
            public void flush() throws IOException {
                check();
                try {
                    out.flush();
                } catch (IOException | RuntimeException e) {
                    failed = true;
                    throw e;
                }
            }

            @Override
            public void close() throws IOException {
                check();
                failed = true; // once
                out.close();
            }

            private void check() throws IOException {
                if (failed) {
                    throw new IOException("the answer could not be written");
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
            // serve() closes the exchange, or leaves a failed one to the JDK
        }
    }

    private static final String LANDING = "<!DOCTYPE html>\n<html><head><title>connmon</title></head><body>\n"
            + "<h1>connmon</h1>\n<p>A netstat-style connection monitor.</p>\n<ul>\n"
            + "<li><a href=\"metrics\">/metrics</a>: Prometheus metrics</li>\n"
            + "<li><a href=\"snapshot\">/snapshot</a>: the socket table as JSON "
            + "(parameters: " + String.join(", ", SocketQuery.PARAMETERS) + ")</li>\n"
            + "<li><a href=\"-/healthy\">/-/healthy</a></li>\n<li><a href=\"-/ready\">/-/ready</a></li>\n"
            + "</ul>\n</body></html>\n";

    static void text(HttpExchange exchange, int status, String body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = body(exchange)) {
                out.write(body);
            }
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
                // held until written: the columns of a snapshot being read are not reused for a later collection
                s = info ? service.collect(SocketRequest.ALL.withTcpInfo(true)) : service.currentRetained(arrived);
            } catch (SourceException e) {
                error(exchange, 503, "no snapshot: " + e.getMessage(), null, null);
                return;
            }
            try {
                write(exchange, s, query, pretty);
            } finally {
                s.table().release();
            }
        }

        private void write(HttpExchange exchange, Snapshot s, SocketQuery query, boolean pretty) throws IOException {
            QueryException refused = query.refusal(s);
            if (refused != null) {
                error(exchange, 400, refused.getMessage(), refused.parameter(), refused.accepts());
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            // How old the data is, in whole seconds: more than max-age while collections fail or overrun.
            exchange.getResponseHeaders().set("Age",
                    Long.toString(Math.max(0, (service.nanoTime() - s.monotonicNanos()) / 1_000_000_000L)));
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
