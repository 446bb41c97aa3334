import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The memory floor of a daemon on connmon's stack, with none of connmon's code or data: the JDK's HTTP server on
 * loopback, Micrometer's Prometheus registry with 50 gauges on /metrics, and optionally JNA loaded and calling
 * libc ({@code jna}) and a JSON document streamed by Jackson's generator on /snapshot ({@code json}).
 *
 * <p>Compiled first: run as a source file, the JVM would hold the compiler too.
 *
 * <pre>
 * mvn -q -DskipTests package
 * javac -cp agent/target/connmon.jar -d /tmp/jvmfloor bench/floor/JvmFloor.java
 * java $FLAGS -cp agent/target/connmon.jar:/tmp/jvmfloor JvmFloor 19510 jna,json &amp;   # the launcher's serve flags
 * sleep 5
 * for i in $(seq 30); do curl -s 127.0.0.1:19510/metrics; curl -s 127.0.0.1:19510/snapshot; done &gt;/dev/null
 * grep VmHWM /proc/$!/status
 * </pre>
 */
public class JvmFloor {

    public static void main(String[] args) throws Exception {
        String parts = args.length > 1 ? args[1] : "";
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (int i = 0; i < 50; i++) {
            int k = i;
            Gauge.builder("floor_gauge_" + i, () -> k).register(registry);
        }
        if (parts.contains("jna")) {
            com.sun.jna.NativeLibrary.getInstance("c").getFunction("getpid").invokeInt(new Object[0]);
        }
        JsonFactory json = parts.contains("json") ? new JsonFactory() : null;
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                Integer.parseInt(args[0])), 0);
        server.createContext("/metrics", ex -> {
            byte[] b = registry.scrape().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.createContext("/snapshot", ex -> {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            if (json != null) {
                try (JsonGenerator g = json.createGenerator(buf, JsonEncoding.UTF8)) {
                    g.writeStartObject();
                    g.writeArrayFieldStart("sockets");
                    for (int i = 0; i < 1000; i++) {
                        g.writeStartObject();
                        g.writeStringField("state", "ESTABLISHED");
                        g.writeNumberField("port", i);
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
            }
            byte[] b = buf.toByteArray();
            ex.sendResponseHeaders(200, b.length == 0 ? -1 : b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }
}
