package io.connmon.exporter;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static io.connmon.exporter.Sockets.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HttpEndpointsTest {

    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private TestServer start(FakeSource source, Duration maxAge) throws IOException {
        server = TestServer.start(
                new SnapshotService(source, Sockets::stats, maxAge, Sockets.tickingClock(), "testhost"));
        return server;
    }

    /** With monotonic time that moves only when the test says so. */
    private TestServer start(FakeSource source, Duration maxAge, SnapshotServiceTest.Ticker ticker)
            throws IOException {
        server = TestServer.start(new SnapshotService(source, Sockets::stats, maxAge,
                SnapshotService.DEFAULT_DEADLINE, Sockets.tickingClock(), ticker, "testhost", null));
        return server;
    }

    /** The n-th collection has n established connections to a listener on port 8080. */
    private static List<SocketRecord> numbered(int n) {
        List<SocketRecord> out = new ArrayList<>();
        out.add(listen("0.0.0.0", 8080));
        for (int i = 0; i < n; i++) {
            out.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 8080, "10.0.0.9", 50000 + i));
        }
        return out;
    }

    private static final List<SocketRecord> SAMPLE = List.of(
            listen("0.0.0.0", 22),
            tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "192.168.1.5", 50000),
            tcp(SocketState.TIME_WAIT, "10.0.0.1", 40000, "93.184.216.34", 443),
            tcp(SocketState.ESTABLISHED, "2001:db8::1", 40001, "2001:db8::7", 443),
            udp("127.0.0.53", 53));

    @Test
    void manyConcurrentScrapesAreServedByOneCollection() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        FakeSource source = new FakeSource(HttpEndpointsTest::numbered).gate(gate);
        // always fresh, and time moves only when the test says so: only single flight can share
        SnapshotServiceTest.Ticker ticker = new SnapshotServiceTest.Ticker();
        TestServer s = start(source, Duration.ZERO, ticker);
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answers.add(s.client.sendAsync(s.request("GET", "/metrics").build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        // Hold the one collection until all 20 requests have arrived and wait: for it, or for their turn.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Thread.getAllStackTraces().keySet().stream().filter(HttpEndpointsTest::waitingInHandler).count() < 20
                || source.calls() != 1) {
            assertTrue(System.nanoTime() < deadline, "the 20 scrapes never all waited");
            Thread.sleep(5);
        }
        ticker.advance(Duration.ofMillis(1)); // the collection ends after every request arrived
        gate.countDown();
        Set<Double> timestamps = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> a : answers) {
            HttpResponse<String> r = a.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            timestamps.add(Exposition.parse(r.body()).value("connmon_last_success_timestamp_seconds"));
        }
        assertEquals(1, source.calls(), "collections for 20 concurrent scrapes");
        assertEquals(1, source.maxConcurrent(), "never two reads at once");
        assertEquals(1, timestamps.size(), "every answer describes the one collection");
    }

    /** Whether a thread is parked somewhere inside the HTTP server's handler. */
    private static boolean waitingInHandler(Thread t) {
        Thread.State state = t.getState();
        if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(HttpEndpoints.class.getName() + "$Router") && e.getMethodName().equals("handle")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void metricsAndSnapshotServedAtTheSameMomentDescribeTheSameSnapshot() throws Exception {
        FakeSource source = new FakeSource(HttpEndpointsTest::numbered).delay(500);
        TestServer s = start(source, Duration.ZERO);
        var metrics = s.client.sendAsync(s.request("GET", "/metrics").build(), HttpResponse.BodyHandlers.ofString());
        var snapshot = s.client.sendAsync(s.request("GET", "/snapshot").build(),
                HttpResponse.BodyHandlers.ofString());
        Exposition m = Exposition.parse(metrics.get(60, TimeUnit.SECONDS).body());
        JsonNode j = TestServer.JSON.readTree(snapshot.get(60, TimeUnit.SECONDS).body());
        assertEquals(1, source.calls());

        double sockets = m.samples("connmon_sockets").stream().mapToDouble(Exposition.Sample::value).sum();
        assertEquals(2, j.get("total").asLong()); // the first collection: a listener and one connection
        assertEquals(j.get("total").asDouble(), sockets);
        assertEquals(java.time.Instant.parse(j.get("timestamp").asText()).getEpochSecond(),
                m.value("connmon_last_success_timestamp_seconds"));
        assertEquals(1, m.value("connmon_inbound_connections", "port", "8080", "state", "established"));
    }

    @Test
    void aFreshEnoughSnapshotIsServedAsItIs() throws Exception {
        FakeSource source = new FakeSource(HttpEndpointsTest::numbered);
        TestServer s = start(source, Duration.ofMinutes(5));
        s.metrics();
        JsonNode a = s.snapshot("");
        s.metrics();
        JsonNode b = s.snapshot("");
        assertEquals(1, source.calls());
        assertEquals(a, b);
    }

    @Test
    void aListenerThatWentAwayLeavesNoSeries() throws Exception {
        FakeSource source = new FakeSource(n -> n == 1
                ? List.of(listen("0.0.0.0", 8080), listen("0.0.0.0", 22),
                        tcp(SocketState.ESTABLISHED, "10.0.0.1", 8080, "10.0.0.9", 50000))
                : List.of(listen("0.0.0.0", 22)));
        TestServer s = start(source, Duration.ZERO);
        Exposition first = s.metrics();
        assertEquals(1, first.value("connmon_listeners", "protocol", "tcp", "address", "0.0.0.0", "port", "8080"));
        assertFalse(first.matching("connmon_inbound_connections", "port", "8080").isEmpty());
        Exposition second = s.metrics();
        assertEquals(2, source.calls());
        assertEquals(List.of(), second.samples.stream().filter(x -> "8080".equals(x.labels().get("port")))
                .collect(java.util.stream.Collectors.toList()));
        assertFalse(second.text.contains("\"8080\""));
        assertEquals(1, second.value("connmon_listeners", "protocol", "tcp", "address", "0.0.0.0", "port", "22"));
    }

    @Test
    void whileCollectionsFailTheLastGoodSnapshotIsServedAndItsAgeGrows() throws Exception {
        FakeSource source = new FakeSource(HttpEndpointsTest::numbered);
        SnapshotServiceTest.Ticker ticker = new SnapshotServiceTest.Ticker();
        TestServer s = start(source, Duration.ZERO, ticker);
        Exposition ok = s.metrics();
        JsonNode good = s.snapshot("");
        source.fail("net/tcp: cannot open");
        ticker.advance(Duration.ofMillis(250));
        Exposition failed = s.metrics();
        ticker.advance(Duration.ofMillis(250));
        Exposition failedAgain = s.metrics();
        JsonNode stale = s.snapshot("");

        assertEquals(0, ok.value("connmon_collection_errors_total"));
        assertEquals(1, failed.value("connmon_collection_errors_total"));
        assertEquals(2, failedAgain.value("connmon_collection_errors_total"));
        assertEquals(0.0, ok.value("connmon_snapshot_age_seconds"));
        assertEquals(0.25, failed.value("connmon_snapshot_age_seconds"));
        assertEquals(0.5, failedAgain.value("connmon_snapshot_age_seconds"));
        assertEquals(1, failedAgain.value("connmon_up"));
        assertEquals(good.get("timestamp"), stale.get("timestamp"));
        assertEquals(good.get("sockets"), stale.get("sockets"));
        assertEquals(200, s.get("/-/ready").statusCode());
    }

    @Test
    void notReadyUntilACollectionSucceeds() throws Exception {
        FakeSource source = new FakeSource(List.of(listen("0.0.0.0", 22))).fail("cannot read /proc/net");
        TestServer s = start(source, Duration.ZERO);
        HttpResponse<String> ready = s.get("/-/ready");
        assertEquals(503, ready.statusCode());
        assertTrue(ready.body().startsWith("Not ready"), ready.body());
        assertEquals(200, s.get("/-/healthy").statusCode(), "alive though not ready");

        Exposition m = s.metrics(); // a failed collection still answers the scrape
        assertEquals(0, m.value("connmon_up"));
        assertEquals(1, m.value("connmon_collection_errors_total"));
        HttpResponse<String> snapshot = s.get("/snapshot");
        assertEquals(503, snapshot.statusCode());
        assertEquals("application/json", snapshot.headers().firstValue("Content-Type").orElse(""));
        assertTrue(TestServer.JSON.readTree(snapshot.body()).get("error").asText().contains("cannot read /proc/net"));
        assertEquals(503, s.get("/-/ready").statusCode());

        source.fail(null);
        assertEquals(1, s.metrics().value("connmon_up"));
        HttpResponse<String> nowReady = s.get("/-/ready");
        assertEquals(200, nowReady.statusCode());
        assertEquals("Ready\n", nowReady.body());
    }

    @Test
    void healthyAndTheLandingPage() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ZERO);
        HttpResponse<String> healthy = s.get("/-/healthy");
        assertEquals(200, healthy.statusCode());
        assertEquals("OK\n", healthy.body());
        assertEquals("text/plain; charset=utf-8", healthy.headers().firstValue("Content-Type").orElse(""));
        HttpResponse<String> landing = s.get("/");
        assertEquals(200, landing.statusCode());
        assertTrue(landing.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(landing.body().contains("href=\"metrics\"") && landing.body().contains("href=\"snapshot\""));
        assertEquals(404, s.get("/nothing-here").statusCode());
    }

    @Test
    void theSnapshotFiltersAndCounts() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ZERO);
        JsonNode all = s.snapshot("");
        assertEquals(5, all.get("total").asLong());
        assertEquals("testhost", all.get("host").asText());
        assertEquals("fake", all.get("source").asText());

        JsonNode v4Tcp = s.snapshot("protocol=tcp&family=ipv4");
        assertEquals(3, v4Tcp.get("total").asLong());
        JsonNode https = s.snapshot("remote_port=443&state=time-wait");
        assertEquals(1, https.get("total").asLong());
        assertEquals("93.184.216.34", https.get("sockets").get(0).get("remote").get("address").asText());
        JsonNode cidr = s.snapshot("address=" + "2001:db8::/32".replace("/", "%2F"));
        assertEquals(1, cidr.get("total").asLong());
        assertEquals(40001, cidr.get("sockets").get(0).get("local").get("port").asInt());
        JsonNode limited = s.snapshot("protocol=tcp&limit=2");
        assertEquals(4, limited.get("total").asLong());
        assertTrue(limited.get("truncated").asBoolean());
        assertEquals(2, limited.get("sockets").size());
        JsonNode pretty = s.snapshot("pretty&local_port=22");
        assertEquals(2, pretty.get("total").asLong());
        assertTrue(s.get("/snapshot?pretty").body().contains("\n  \""), "indented");
    }

    @ParameterizedTest(name = "{0} names {1}")
    @CsvSource({
        "bogus=1,                 bogus",
        "state=timewait,          state",
        "state=established&state=nope, state",
        "port=70000,              port",
        "local_port=ssh,          local_port",
        "remote_port=-1,          remote_port",
        "address=10.0.0.0%2F33,   address",
        "address=web1.example,    address",
        "limit=-5,                limit",
        "limit=lots,              limit",
        "protocol=icmp,           protocol",
        "family=ipx,              family",
        "port=22&port=80,         port",
    })
    void aBadQueryIsA400NamingTheParameter(String query, String parameter) throws Exception {
        FakeSource source = new FakeSource(SAMPLE);
        TestServer s = start(source, Duration.ZERO);
        HttpResponse<String> r = s.get("/snapshot?" + query);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode body = TestServer.JSON.readTree(r.body());
        assertEquals(parameter, body.get("parameter").asText());
        assertTrue(body.get("error").asText().contains("'" + parameter + "'"), body.toString());
        assertFalse(body.get("accepts").asText().isBlank());
        assertEquals(0, source.calls(), "a bad query reads nothing");
    }

    @Test
    void aMalformedQueryStringIsA400() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ZERO);
        // java.net.http refuses to send a bad escape, so the request goes over a plain socket.
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", s.port())) {
            raw.setSoTimeout(10_000);
            raw.getOutputStream().write(("GET /snapshot?state=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(raw.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        }
        // The decoder behind the handler refuses it too, rather than guessing.
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> HttpEndpoints.parseQuery("state=%zz"));
        assertEquals(java.util.Map.of("state", List.of("time wait", "x"), "pretty", List.of("")),
                HttpEndpoints.parseQuery("state=time+wait&state=x&&pretty"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/metrics", "/snapshot", "/", "/-/healthy", "/-/ready"})
    void onlyGetAndHeadAreAllowed(String path) throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ZERO);
        for (String method : List.of("POST", "PUT", "DELETE")) {
            HttpResponse<String> r = s.method(method, path);
            assertEquals(405, r.statusCode(), method + " " + path);
            assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""), method + " " + path);
        }
    }

    @Test
    void headAnswersWithoutABody() throws Exception {
        FakeSource source = new FakeSource(SAMPLE);
        TestServer s = start(source, Duration.ZERO);
        HttpResponse<String> snapshot = s.method("HEAD", "/snapshot");
        assertEquals(200, snapshot.statusCode());
        assertEquals("application/json", snapshot.headers().firstValue("Content-Type").orElse(""));
        assertEquals("", snapshot.body());
        HttpResponse<String> metrics = s.method("HEAD", "/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertEquals("", metrics.body());
        assertEquals(200, s.method("HEAD", "/-/healthy").statusCode());
        assertEquals(400, s.method("HEAD", "/snapshot?state=bogus").statusCode());
    }

    @Test
    void theSnapshotIsGzippedWhenTheClientAcceptsIt() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ofMinutes(1));
        HttpResponse<byte[]> zipped = s.getBytes("/snapshot", "Accept-Encoding", "gzip");
        assertEquals(200, zipped.statusCode());
        assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElse(""));
        JsonNode unzipped = TestServer.JSON.readTree(new GZIPInputStream(new ByteArrayInputStream(zipped.body())));
        assertEquals(s.snapshot(""), unzipped);
        HttpResponse<String> plain = s.get("/snapshot");
        assertTrue(plain.headers().firstValue("Content-Encoding").isEmpty());
    }

    @Test
    void metricsAreGzippedWhenTheClientAcceptsIt() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ofMinutes(1));
        HttpResponse<byte[]> zipped = s.getBytes("/metrics", "Accept-Encoding", "gzip");
        assertEquals(200, zipped.statusCode());
        assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElse(""));
        String text = new String(new GZIPInputStream(new ByteArrayInputStream(zipped.body())).readAllBytes(),
                StandardCharsets.UTF_8);
        assertEquals(1, Exposition.parse(text).value("connmon_listeners", "protocol", "tcp", "address", "0.0.0.0",
                "port", "22"));
    }

    @Test
    void metricsAreTextFormatByDefaultAndOpenMetricsWhenAsked() throws Exception {
        TestServer s = start(new FakeSource(SAMPLE), Duration.ofMinutes(1));
        HttpResponse<String> text = s.get("/metrics");
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
                text.headers().firstValue("Content-Type").orElse(""));
        assertFalse(text.body().contains("# EOF"));

        HttpResponse<String> om = s.get("/metrics", "Accept", "application/openmetrics-text; version=1.0.0");
        assertEquals("application/openmetrics-text; version=1.0.0; charset=utf-8",
                om.headers().firstValue("Content-Type").orElse(""));
        assertTrue(om.body().endsWith("# EOF\n"));
        Exposition m = Exposition.parse(om.body());
        assertEquals(1, m.value("connmon_sockets", "protocol", "tcp", "family", "ipv4", "state", "listen"));
        assertEquals(42, m.value("connmon_tcp_active_opens_total"));
        assertEquals("counter", m.types.get("connmon_tcp_active_opens"));
        assertEquals("info", m.types.get("connmon_build"));

        // What Prometheus 3 sends: the answer must carry a Content-Type it accepts.
        HttpResponse<String> p3 = s.get("/metrics", "Accept", "application/openmetrics-text;version=1.0.0;"
                + "escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;"
                + "version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
        assertEquals(200, p3.statusCode());
        String type = p3.headers().firstValue("Content-Type").orElse("");
        assertTrue(type.startsWith("application/openmetrics-text; version=1.0.0")
                || type.startsWith("text/plain; version=0.0.4"), type);
    }

    @Test
    void aLargeTableIsStreamed() throws Exception {
        int n = 200_000;
        List<SocketRecord> sockets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Endpoint local = Endpoint.ipv4(0x0A000000 | (i >>> 16), 1 + (i & 0x7FFF));
            Endpoint remote = Endpoint.ipv4(0xC0A80001, 443);
            sockets.add(SocketRecord.of(Protocol.TCP, i % 10 == 0 ? SocketState.TIME_WAIT : SocketState.ESTABLISHED,
                    local, remote, 0, 0));
        }
        TestServer s = start(new FakeSource(sockets), Duration.ofMinutes(1));
        HttpResponse<InputStream> r = s.stream("/snapshot");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Length").isEmpty(), "streamed, not buffered: no length");
        long total = -1;
        long listed = 0;
        long counted = 0;
        try (InputStream in = r.body(); JsonParser p = new JsonFactory().createParser(in)) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.getCurrentName();
                JsonToken value = p.nextToken();
                if (field.equals("total")) {
                    total = p.getLongValue();
                } else if (field.equals("counts")) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String f = p.getCurrentName();
                            p.nextToken();
                            if (f.equals("count")) {
                                counted += p.getLongValue();
                            }
                        }
                    }
                } else if (field.equals("sockets")) {
                    assertEquals(JsonToken.START_ARRAY, value);
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        listed++;
                        p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        assertEquals(n, total);
        assertEquals(n, listed);
        assertEquals(n, counted);

        JsonNode timeWait = s.snapshot("state=time_wait&limit=5");
        assertEquals(n / 10, timeWait.get("total").asLong());
        assertEquals(5, timeWait.get("sockets").size());
        assertEquals(n * 9 / 10.0, s.metrics().value("connmon_sockets", "protocol", "tcp", "family", "ipv4",
                "state", "established"));
    }
}
