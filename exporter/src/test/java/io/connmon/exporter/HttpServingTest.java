package io.connmon.exporter;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import static io.connmon.exporter.Sockets.listen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP server under clients that misbehave: slow, silent, greedy, gone, or asking for nonsense. */
class HttpServingTest {

    private TestServer server;
    private final List<Socket> raw = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : raw) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private TestServer start(FakeSource source, Duration maxAge) throws IOException {
        server = TestServer.start(
                new SnapshotService(source, Sockets::stats, maxAge, Sockets.tickingClock(), "testhost"));
        return server;
    }

    private static final List<SocketRecord> SAMPLE = List.of(listen("0.0.0.0", 22), listen("127.0.0.1", 9469));

    /** {@code n} established connections: about 150 bytes of JSON each. */
    private static List<SocketRecord> many(int n) {
        List<SocketRecord> sockets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sockets.add(SocketRecord.of(Protocol.TCP, SocketState.ESTABLISHED,
                    Endpoint.ipv4(0x0A000000 | (i >>> 16), 1 + (i & 0x7FFF)), Endpoint.ipv4(0xC0A80001, 443), 0, 0));
        }
        return sockets;
    }

    /** A connection that sends {@code request} (raw bytes, any of it) and then, unless told, nothing more. */
    private Socket open(String request) throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        raw.add(s);
        s.setSoTimeout(20_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        return s;
    }

    /** The whole answer to one request on its own connection. */
    private String rawAnswer(String requestLine) throws IOException {
        try (Socket s = open(requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, what);
            Thread.sleep(10);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/metricsx", "/metrics/", "/snapshot.json", "/snapshot/", "/-/healthy/", "/-/readyz",
        "/index.html", "/Metrics", "/%6Detrics"})
    void onlyTheExactPathsAnswer(String path) throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ZERO);
        HttpResponse<String> r = s.get(path);
        assertEquals(404, r.statusCode(), path);
        await("the 404 was never counted", () -> s.http.requests.get("other", 404) == 1);
        assertEquals(404, s.method("POST", path).statusCode(), "an unknown path is 404 whatever the method");
    }

    @Test
    void malformedOrUnknownQueryValuesAre400Not500() throws Exception {
        FakeSource source = new FakeSource(SAMPLE);
        TestServer s = start(source, Duration.ZERO);
        assertEquals(400, s.get("/metrics?debug=%00").statusCode());
        assertEquals(400, s.get("/metrics?debug=nonsense").statusCode());
        assertEquals(400, s.get("/snapshot?debug=%00").statusCode());
        assertTrue(rawAnswer("GET /metrics?debug=%zz HTTP/1.1").startsWith("HTTP/1.1 400 "));
        assertTrue(rawAnswer("GET /metrics?x=%e2%82 HTTP/1.1").startsWith("HTTP/1.1 200 "),
                "an unknown parameter is ignored, as every exporter does");
        assertTrue(rawAnswer("GET /snapshot?state=%zz HTTP/1.1").startsWith("HTTP/1.1 400 "));
        HttpResponse<String> debug = s.get("/metrics?debug=text");
        assertEquals(200, debug.statusCode());
        assertTrue(debug.body().contains("connmon_up"), debug.body());
        await("the 400s were never counted", () -> s.http.requests.get("/metrics", 400) == 2);
        assertEquals(0, s.http.requests.get("/metrics", 500));
    }

    @Test
    void anUnexpectedErrorAnswers500WithAOneLineJsonBodyAndIsCounted() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ZERO);
        Collector broken = () -> {
            throw new IllegalStateException("a collector with a bug");
        };
        s.registry.register(broken);
        HttpResponse<String> r = s.get("/metrics");
        assertEquals(500, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.body().endsWith("}\n") && r.body().indexOf('\n') == r.body().length() - 1, r.body());
        assertTrue(TestServer.JSON.readTree(r.body()).get("error").asText().contains("a collector with a bug"),
                r.body());
        await("the 500 was never counted", () -> s.http.requests.get("/metrics", 500) == 1);
        s.registry.unregister(broken);
        Exposition m = s.metrics(); // the server goes on, and the count is exported
        assertEquals(1, m.value("connmon_http_requests_total", "path", "/metrics", "code", "500"));
        assertEquals("counter", m.types.get("connmon_http_requests_total"));
    }

    @Test
    void overloadAnswers503AtOnceWhileTheDispatcherKeepsServing() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        FakeSource source = new FakeSource(SAMPLE).gate(gate); // every scrape waits for the one collection
        TestServer s = start(source, Duration.ZERO);
        int capacity = HttpEndpoints.METRICS_THREADS + HttpEndpoints.METRICS_QUEUE;
        int extra = 6;
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < capacity + extra; i++) {
            answers.add(s.client.sendAsync(s.request("GET", "/metrics").build(), HttpResponse.BodyHandlers.ofString()));
        }
        // While the collection is held, the requests past the pool's capacity are answered 503...
        await("the extra requests were never refused",
                () -> answers.stream().filter(CompletableFuture::isDone).count() == extra);
        for (CompletableFuture<HttpResponse<String>> a : answers) {
            if (a.isDone()) {
                assertEquals(503, a.get().statusCode());
                assertEquals("1", a.get().headers().firstValue("Retry-After").orElse(""));
                assertTrue(a.get().body().startsWith("overloaded"), a.get().body());
            }
        }
        // ...and the server still answers everything else at once: nothing runs on its dispatcher thread.
        assertEquals(200, s.get("/-/healthy").statusCode());
        assertEquals(503, s.get("/-/ready").statusCode());
        assertEquals(200, s.get("/").statusCode());
        assertEquals(1, source.calls());
        gate.countDown();
        int ok = 0;
        for (CompletableFuture<HttpResponse<String>> a : answers) {
            ok += a.get(60, TimeUnit.SECONDS).statusCode() == 200 ? 1 : 0;
        }
        assertEquals(capacity, ok);
        await("the 503s were never counted", () -> s.http.requests.get("/metrics", 503) == extra);
    }

    @Test
    void silentAndSlowClientsEachCostOneConnectionNeverTheServer() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ZERO);
        for (int i = 0; i < 40; i++) {
            open(i % 2 == 0 ? "G" : "GET /metrics HTTP/1.1\r\nHost: x\r\n"); // never finished
        }
        for (int i = 0; i < 10; i++) {
            new Socket("127.0.0.1", s.port()).close();
            raw.add(new Socket("127.0.0.1", s.port())); // connected, silent
        }
        await("the slow clients never filled the reading threads",
                () -> threads("connmon-http") >= HttpEndpoints.HEAD_READERS);
        assertEquals(200, s.get("/-/healthy").statusCode());
        assertEquals(200, s.get("/metrics").statusCode());
        assertEquals(200, s.get("/snapshot").statusCode());
        assertTrue(threads("connmon-http") < 40, "a thread for each slow client: " + threads("connmon-http"));
    }

    @Test
    void pastTheLimitTheSlowestSendersAreClosedAndAPromptRequestIsServed() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ZERO);
        int extra = 24;
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < HttpEndpoints.HEAD_READERS + extra; i++) {
            slow.add(open("GET /metrics HTTP/1.1\r\nHost: x\r\n")); // the head never ends
        }
        await("the slow clients never filled the reading threads",
                () -> threads("connmon-http") >= HttpEndpoints.HEAD_READERS);
        // Those beyond the limit wait for a turn; the slowest make room for them, then for a prompt request.
        assertEquals(200, s.get("/metrics").statusCode());
        assertTrue(threads("connmon-http") < HttpEndpoints.HEAD_READERS + extra,
                "a thread for each slow client: " + threads("connmon-http"));
        int closed = 0;
        for (Socket c : slow) {
            c.setSoTimeout(300);
            try {
                if (c.getInputStream().read() == -1) {
                    closed++;
                }
            } catch (java.net.SocketTimeoutException e) {
                // still open, still being read
            } catch (IOException e) { // reset: closed too
                closed++;
            }
        }
        assertEquals(extra + 1, closed, "the slow senders beyond the limit, and one for the prompt request, are closed");
        assertEquals(200, s.get("/-/healthy").statusCode());
    }

    @Test
    void clientsThatNeverReadTheirSnapshotDoNotDelayMetrics() throws Exception {
        TestServer s = start(new FakeSource(many(200_000)), Duration.ofMinutes(5));
        s.metrics(); // the one collection
        int greedy = HttpEndpoints.SNAPSHOT_THREADS + HttpEndpoints.SNAPSHOT_QUEUE + 4;
        for (int i = 0; i < greedy; i++) {
            Socket c = open("GET /snapshot HTTP/1.1\r\nHost: x\r\n\r\n");
            c.setReceiveBufferSize(4096);
        }
        await("the snapshot pool never filled", () -> s.http.requests.get("/snapshot", 503) >= 4);
        assertEquals(200, s.get("/metrics").statusCode());
        assertEquals(200, s.get("/-/healthy").statusCode());
        HttpResponse<String> refused = s.get("/snapshot");
        assertEquals(503, refused.statusCode());
        assertTrue(TestServer.JSON.readTree(refused.body()).get("error").asText().startsWith("overloaded"));
    }

    @Test
    void pastTheCollectionDeadlineTheLastSnapshotIsServedAndReadinessSaysStale() throws Exception {
        SnapshotServiceTest.BlockingSource source = new SnapshotServiceTest.BlockingSource(true);
        SnapshotServiceTest.Ticker ticker = new SnapshotServiceTest.Ticker();
        SnapshotService service = new SnapshotService(source, Sockets::stats, Duration.ZERO, Duration.ofMillis(200),
                Sockets.tickingClock(), ticker, "testhost", null);
        server = TestServer.start(service);
        JsonNode good = server.snapshot("");
        assertEquals(200, server.get("/-/ready").statusCode());
        // from now on, a net/tcp that never ends
        Exposition m = server.metrics();
        assertEquals(1, m.value("connmon_collection_errors_total"));
        assertEquals(1, m.value("connmon_up"));
        assertEquals(good.get("timestamp"), server.snapshot("").get("timestamp"));
        ticker.advance(Duration.ofSeconds(5)); // the stale snapshot is served with its age
        assertEquals("5", server.get("/snapshot").headers().firstValue("Age").orElse(""));
        HttpResponse<String> ready = server.get("/-/ready");
        assertEquals(503, ready.statusCode());
        assertTrue(ready.body().startsWith("Not ready: stale: a collection has run for longer than its 200ms deadline"),
                ready.body());
        assertEquals(2, source.calls.get(), "the stuck collection is the only one");
        assertEquals(1, source.maxRunning.get());
        source.release.countDown();
    }

    /** The descriptors this process has open. */
    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static long threads(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).count();
    }

    /**
     * Sends a request, waits for the first byte of the answer (the server is writing it: its handler runs) and
     * resets the connection, with most of the answer still to be written.
     */
    private void abort(String request) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096); // a small window: the answer cannot all be written before the reset
        s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
        s.setSoTimeout(20_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        assertTrue(s.getInputStream().read() >= 0, "no answer");
        s.setSoLinger(true, 0);
        s.close();
    }

    @Test
    void abortedRequestsLeakNoDescriptorAndLogNoError() throws Exception {
        TestServer s = start(new FakeSource(many(60_000)), Duration.ofMinutes(5));
        // A /metrics answer of 8 MB, more than socket buffers hold: the reset comes while it is being written.
        String filler = "x".repeat(400);
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name("test_big").help("filler");
        for (int i = 0; i < 20_000; i++) {
            b.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("n", i + filler)).value(i).build());
        }
        MetricSnapshot bigSnapshot = b.build();
        Collector big = () -> bigSnapshot;
        s.registry.register(big);
        List<LogRecord> errors = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    synchronized (errors) {
                        errors.add(r);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try {
            String[] requests = {
                "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
                "GET /snapshot HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /snapshot HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            };
            for (String r : requests) { // once each, read to the end: what is opened once is open before we count
                try (Socket c = open(r.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"))) {
                    c.getInputStream().readAllBytes();
                }
            }
            assertEquals(200, s.get("/-/healthy").statusCode());
            await("the warm-up connections never closed", () -> s.http.requests.get("/", 200) == 1);
            long before = openFds();
            for (int i = 0; i < 100; i++) {
                for (String r : requests) {
                    abort(r);
                }
                if (i % 10 == 9) { // now and then a full answer on the way: the server still serves
                    assertEquals(200, s.get("/-/healthy").statusCode());
                }
            }
            long[] now = {0};
            await("descriptors leaked: " + now[0] + " open, " + before + " before", () -> {
                try {
                    now[0] = openFds();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return now[0] <= before;
            });
            synchronized (errors) {
                assertEquals(List.of(), errors.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList(),
                        "a client that goes away is not worth a warning");
            }
        } finally {
            root.removeHandler(capture);
        }
    }

    @Test
    void theJdkServerLimitsAreSetBeforeTheFirstServerUnlessTheUserSetThem() throws Exception {
        start(new FakeSource(SAMPLE), Duration.ZERO);
        assertEquals("10", System.getProperty("sun.net.httpserver.maxReqTime"));
        assertEquals("120", System.getProperty("sun.net.httpserver.maxRspTime"));
        assertEquals("30", System.getProperty("sun.net.httpserver.idleInterval"));
        int max = Integer.parseInt(System.getProperty("jdk.httpserver.maxConnections"));
        assertEquals(HttpLimits.defaultMaxConnections(HttpLimits.openFilesLimit()), max);

        Properties user = new Properties();
        user.setProperty("sun.net.httpserver.maxReqTime", "3");
        HttpLimits.applyDefaults(user, 1024);
        assertEquals("3", user.getProperty("sun.net.httpserver.maxReqTime"));
        assertEquals("120", user.getProperty("sun.net.httpserver.maxRspTime"));
        assertEquals("400", user.getProperty("jdk.httpserver.maxConnections"));
        assertEquals("true", user.getProperty("sun.net.httpserver.nodelay"));
        assertEquals(36, HttpLimits.defaultMaxConnections(200));
        assertEquals(16, HttpLimits.defaultMaxConnections(100));
        assertEquals(400, HttpLimits.defaultMaxConnections(1 << 20));
    }
}
