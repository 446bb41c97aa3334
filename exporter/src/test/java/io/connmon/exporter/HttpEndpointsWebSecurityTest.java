package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.exporter.web.WebSecurity;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every endpoint of the daemon's server is behind basic auth when the web configuration asks for it. */
class HttpEndpointsWebSecurityTest {

    /** htpasswd -nbBC 5 alice 'correct horse' */
    private static final String ALICE = "$2y$05$SVTdAw7e0HVAxDYlxDT6Eu9sUnVIcJ8looDgQWCUhbRPk6/JrQ65S";

    @TempDir
    Path dir;

    @Test
    void everyPathAsksForCredentials() throws Exception {
        Path file = dir.resolve("web.yml");
        Files.writeString(file, "basic_auth_users:\n  alice: " + ALICE + "\n");
        List<String> log = new ArrayList<>();
        SnapshotService service = new SnapshotService(new FakeSource(List.of(Sockets.listen("0.0.0.0", 22))),
                Sockets::stats, Duration.ZERO, Sockets.tickingClock(), "testhost");
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new SocketMetrics(service, MetricsConfig.DEFAULT, "test"));
        try (HttpEndpoints http = HttpEndpoints.start(new InetSocketAddress("127.0.0.1", 0), service,
                registry, WebSecurity.load(file, (level, line) -> log.add(line)))) {
            HttpClient c = HttpClient.newHttpClient();
            String auth = "Basic " + Base64.getEncoder().encodeToString("alice:correct horse"
                    .getBytes(StandardCharsets.UTF_8));
            for (String path : List.of("/", "/metrics", "/snapshot", "/-/healthy", "/-/ready", "/nope")) {
                URI u = URI.create("http://127.0.0.1:" + http.address().getPort() + path);
                HttpResponse<String> r = c.send(HttpRequest.newBuilder(u).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(401, r.statusCode(), path);
                assertEquals("Basic", r.headers().firstValue("WWW-Authenticate").orElse(null), path);
                r = c.send(HttpRequest.newBuilder(u).header("Authorization", auth).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(path.equals("/nope") ? 404 : 200, r.statusCode(), path);
                if (path.equals("/metrics")) {
                    assertTrue(r.body().contains("connmon_"), r.body());
                }
            }
            assertEquals(List.of(), log);
        }
    }
}
