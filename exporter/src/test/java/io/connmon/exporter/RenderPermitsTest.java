package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RenderPermitsTest {

    @Test
    void permitsAreTakenAndGivenBackWithoutWaiting() {
        RenderPermits p = new RenderPermits(2);
        assertTrue(p.tryAcquire());
        assertTrue(p.tryAcquire());
        assertFalse(p.tryAcquire());
        p.release();
        assertEquals(1, p.available());
        assertTrue(p.tryAcquire());
        assertThrows(IllegalArgumentException.class, () -> new RenderPermits(0));
    }

    @Test
    void aSecondRenderIsRefusedWith503WhileTheFirstRuns() throws Exception {
        RenderPermits permits = new RenderPermits(1);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/snapshot", HttpEndpoints.readOnly(permits.guard(exchange -> {
            started.countDown();
            try {
                finish.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            HttpEndpoints.text(exchange, 200, "rendered\n");
        })));
        server.start();
        URL url = new URL("http://127.0.0.1:" + server.getAddress().getPort() + "/snapshot");
        try {
            Thread first = new Thread(() -> {
                try {
                    get(url);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            first.start();
            assertTrue(started.await(10, TimeUnit.SECONDS));
            HttpURLConnection c = (HttpURLConnection) url.openConnection();
            assertEquals(503, c.getResponseCode());
            assertEquals("1", c.getHeaderField("Retry-After"));
            try (InputStream in = c.getErrorStream()) {
                assertEquals("{\"error\":\"busy: 1 snapshot render is under way, retry in a moment\"}\n",
                        new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            finish.countDown();
            first.join(10_000);
            assertEquals(1, permits.available()); // given back
            assertEquals(200, get(url));
        } finally {
            finish.countDown();
            server.stop(0);
        }
    }

    private static int get(URL url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        int code = c.getResponseCode();
        c.getInputStream().readAllBytes();
        return code;
    }
}
