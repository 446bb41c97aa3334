package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.source.netlink.DestroySubscription;
import io.connmon.parser.source.netlink.NetlinkSocketSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The whole path on this host over loopback: a listener of the test's own, N connections opened and closed
 * between two scrapes of /metrics; the closed and opened counters of its port rise by exactly N in both
 * directions (inbound on the listener's port; outbound to it, named with --outbound-ports since the kernel
 * gives the listener a port in the ephemeral range). Then /closed lists them.
 */
class ConnectionEventsLiveTest {

    private static final int N = 300;

    @Test
    void connectionsBetweenTwoScrapesAreCountedExactlyInBothDirections() throws Exception {
        String probe = NetlinkSocketSource.probe();
        Tools.require(probe == null, "sock_diag unavailable: " + probe);
        HttpClient client = HttpClient.newHttpClient();
        try (ServerSocket listener = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
                DestroySubscription feed = DestroySubscription.open(new ClosedConnections(1000),
                        DestroySubscription.DEFAULT_RECEIVE_BUFFER)) {
            feed.start();
            int port = listener.getLocalPort();
            SnapshotService service = new SnapshotService(new NetlinkSocketSource(),
                    new NetStatReader(Path.of("/proc")), Duration.ZERO);
            PrometheusRegistry registry = new PrometheusRegistry();
            SocketMetrics metrics = new SocketMetrics(service,
                    new MetricsConfig(100, Set.of(), 20, 1000, 20, Set.of(port)), "test");
            metrics.connectionEvents(feed, line -> { });
            registry.register(metrics);
            try (HttpEndpoints http = HttpEndpoints.start(new InetSocketAddress("127.0.0.1", 0), service, registry)) {
                http.closedConnections(feed);
                URI base = URI.create("http://127.0.0.1:" + http.address().getPort());
                String[] in = {"direction", "inbound", "port", Integer.toString(port)};
                String[] out = {"direction", "outbound", "port", Integer.toString(port)};

                Exposition before = scrape(client, base);
                assertEquals(1, before.value("connmon_events_up"));
                double closedIn = valueOr0(before, "connmon_connections_closed_total", in);
                double closedOut = valueOr0(before, "connmon_connections_closed_total", out);
                double openedIn = valueOr0(before, "connmon_connections_opened_total", in);
                double openedOut = valueOr0(before, "connmon_connections_opened_total", out);

                long seen = feed.closed().total();
                churn(listener, N);
                // events arrive asynchronously: wait (bounded) until at least both ends of each have come
                for (int i = 0; i < 200 && feed.closed().total() - seen < 2L * N; i++) {
                    Thread.sleep(50);
                }
                Thread.sleep(100);

                Exposition after = scrape(client, base);
                assertEquals(0, after.value("connmon_events_lost_total"));
                assertEquals(N, after.value("connmon_connections_closed_total", in) - closedIn);
                assertEquals(N, after.value("connmon_connections_closed_total", out) - closedOut);
                assertEquals(N, after.value("connmon_connections_opened_total", in) - openedIn);
                assertEquals(N, after.value("connmon_connections_opened_total", out) - openedOut);

                HttpResponse<String> closed = client.send(HttpRequest.newBuilder(base.resolve("/closed?limit=5"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, closed.statusCode());
                JsonNode json = new ObjectMapper().readTree(closed.body());
                assertTrue(json.get("available").asBoolean());
                assertEquals(1000, json.get("kept").asInt());
                assertEquals(5, json.get("connections").size());
                HttpResponse<String> bad = client.send(HttpRequest.newBuilder(base.resolve("/closed?limit=x"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(400, bad.statusCode());
            }
        }
    }

    private static double valueOr0(Exposition e, String name, String... labels) {
        return e.has(name, labels) ? e.value(name, labels) : 0;
    }

    private static Exposition scrape(HttpClient client, URI base) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return Exposition.parse(r.body());
    }

    /** Opens and closes {@code n} connections to {@code listener}, accepting each; one byte each way. */
    private static void churn(ServerSocket listener, int n) throws IOException {
        InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        for (int i = 0; i < n; i++) {
            try (Socket c = new Socket()) {
                c.connect(to, 2000);
                try (Socket a = listener.accept()) {
                    c.getOutputStream().write(1);
                    a.getInputStream().read();
                    a.getOutputStream().write(2);
                    c.getInputStream().read();
                }
            }
        }
    }
}
