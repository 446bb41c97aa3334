package io.connmon.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The HTTP server on 127.0.0.1 and an ephemeral port, over a registry assembled as {@code connmon serve} does,
 * with a client for it. Only loopback is ever touched.
 */
final class TestServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    final SnapshotService service;
    /** The daemon's registry: Micrometer's, with client_java's {@link #registry} under it. */
    final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final PrometheusRegistry registry = meters.getPrometheusRegistry();
    final HttpEndpoints http;
    final URI base;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(SnapshotService service, MetricsConfig config) throws IOException {
        this.service = service;
        registry.register(new SocketMetrics(service, config, "test"));
        SelfMetrics self = new SelfMetrics();
        self.bindTo(meters);
        SelfMetrics.registerProcessAndJvm(registry);
        service.addListener(self);
        http = HttpEndpoints.start(new InetSocketAddress("127.0.0.1", 0), service, registry);
        base = URI.create("http://127.0.0.1:" + http.address().getPort());
    }

    static TestServer start(SnapshotService service) throws IOException {
        return new TestServer(service, MetricsConfig.DEFAULT);
    }

    static TestServer start(SnapshotService service, MetricsConfig config) throws IOException {
        return new TestServer(service, config);
    }

    int port() {
        return http.address().getPort();
    }

    HttpRequest.Builder request(String method, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> body) {
        try {
            return client.send(request.build(), body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String path, String... headers) {
        return send(request("GET", path, headers), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> getBytes(String path, String... headers) {
        return send(request("GET", path, headers), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<InputStream> stream(String path, String... headers) {
        return send(request("GET", path, headers), HttpResponse.BodyHandlers.ofInputStream());
    }

    HttpResponse<String> method(String method, String path) {
        return send(request(method, path), HttpResponse.BodyHandlers.ofString());
    }

    /** GET /metrics, which must answer 200, parsed. */
    Exposition metrics() {
        HttpResponse<String> r = get("/metrics");
        if (r.statusCode() != 200) {
            throw new AssertionError("/metrics answered " + r.statusCode() + ": " + r.body());
        }
        return Exposition.parse(r.body());
    }

    /** GET /snapshot with a query string (may be empty), which must answer 200, parsed. */
    JsonNode snapshot(String query) {
        HttpResponse<String> r = get("/snapshot" + (query.isEmpty() ? "" : "?" + query));
        if (r.statusCode() != 200) {
            throw new AssertionError("/snapshot?" + query + " answered " + r.statusCode() + ": " + r.body());
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
