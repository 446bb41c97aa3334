package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.source.netns.NamespacesSocketSource;
import io.connmon.parser.source.SourceKind;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Namespaces of its own ({@code ip netns add cmtest-RANDOM-N}, deleted afterwards) with known sockets in each
 * (a listener, N connected pairs, one TIME_WAIT, a UDP socket; the load ends by itself within 90 s), read by
 * {@code --netns all} both ways, netlink (setns: this test runs as root) and procfs (forced), and checked
 * namespace by namespace against {@code ip netns exec NAME ss -tanuH}, in /snapshot and in /metrics. Needs
 * root, {@code ip}, {@code ss} and python3: skipped without them, failed under CI=true.
 */
class NetnsLiveTest {

    private static final String LOAD = String.join("\n",
            "import socket, sys, time",
            "n, port = int(sys.argv[1]), int(sys.argv[2])",
            "l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "l.bind(('127.0.0.1', port)); l.listen(16)",
            "keep = []",
            "for i in range(n):",
            "    c = socket.create_connection(('127.0.0.1', port)); s, _ = l.accept(); keep += [c, s]",
            "c = socket.create_connection(('127.0.0.1', port)); s, _ = l.accept(); c.close(); time.sleep(0.05); s.close()",
            "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', port))",
            "print('ready', flush=True)",
            "time.sleep(90)");

    private static final List<String> NAMES = new ArrayList<>();
    private static final List<Process> LOADS = new ArrayList<>();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void namespaces() throws Exception {
        boolean root = "0".equals(run("id", "-u").trim());
        Tools.require(root, "not root: ip netns add and setns need it");
        Tools.require(works("ip", "-V"), "ip (iproute2) not found");
        Tools.require(works("ss", "-V"), "ss not found");
        Tools.require(works("python3", "-V"), "python3 not found");
        String tag = "cmtest-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        for (int i = 0; i < 3; i++) {
            String name = tag + "-" + i;
            run("ip", "netns", "add", name);
            NAMES.add(name);
            run("ip", "-n", name, "link", "set", "lo", "up");
        }
        // a range of its own in the first, to see each namespace's range read from inside it
        run("ip", "netns", "exec", NAMES.get(0), "sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 40999");
        for (int i = 0; i < NAMES.size(); i++) {
            Process p = new ProcessBuilder("ip", "netns", "exec", NAMES.get(i), "timeout", "120", "python3", "-c", LOAD,
                    Integer.toString(2 + 3 * i), Integer.toString(7000 + i)).redirectErrorStream(true).start();
            LOADS.add(p);
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", r.readLine(), "load in " + NAMES.get(i));
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (Process p : LOADS) {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (String name : NAMES) { // only the ones this test made
            new ProcessBuilder("ip", "netns", "del", name).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void netlinkWithCapabilities() throws Exception {
        check(SourceKind.AUTO, "netlink");
    }

    @Test
    void procfsWithout() throws Exception {
        check(SourceKind.PROCFS, "procfs");
    }

    /**
     * A JVM of its own with no capability at all (setpriv, every set emptied): auto picks procfs per namespace,
     * and without ptrace access to the loads (root's, with capabilities connmon lacks) their inodes are unknown,
     * so each namespace is listed as its process, netns null and netnsPid set.
     */
    @Test
    void withoutAnyCapabilityInAJvmOfItsOwn() throws Exception {
        Tools.require(works("setpriv", "--version"), "setpriv not found");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", java, "-cp",
                System.getProperty("java.class.path"), NetnsSnapshotMain.class.getName()).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
        assertEquals(0, p.exitValue(), err);
        JsonNode doc = TestServer.JSON.readTree(out);
        for (int i = 0; i < NAMES.size(); i++) {
            String name = NAMES.get(i);
            long pid = LOADS.get(i).pid(); // timeout, the namespace's first process
            JsonNode ns = null;
            for (JsonNode n : doc.get("namespaces")) {
                if (n.get("pid").asLong() == pid) {
                    ns = n;
                }
            }
            assertNotNull(ns, name + " (pid " + pid + ") in " + doc.get("namespaces"));
            assertEquals("procfs", ns.get("reader").asText(), ns.toString());
            assertTrue(ns.get("netns").isNull(), "no ptrace access: the inode is unknown: " + ns);
            assertFalse(ns.get("netnsUnknown").asText().isEmpty());
            Map<String, Integer> ours = new TreeMap<>();
            for (JsonNode s : doc.get("sockets")) {
                if (s.get("netns").isNull() && s.get("netnsPid").asLong() == pid) {
                    ours.merge(s.get("protocol").asText() + " " + s.get("state").asText() + " "
                            + hp(s.get("local")) + " " + hp(s.get("remote")), 1, Integer::sum);
                }
            }
            assertEquals(ss(name), ours, name + " against ip netns exec " + name + " ss -tanuH");
        }
    }

    private void check(SourceKind kind, String reader) throws Exception {
        try (NamespacesSocketSource source = new NamespacesSocketSource(Path.of("/proc"), Path.of("/var/run/netns"),
                kind)) {
            SnapshotService service = new SnapshotService(source, new NetStatReader(Path.of("/proc")), Duration.ZERO);
            PrometheusRegistry registry = new PrometheusRegistry();
            registry.register(new SocketMetrics(service, MetricsConfig.DEFAULT, "test").perNamespace(200));
            HttpEndpoints http = HttpEndpoints.start(new InetSocketAddress("127.0.0.1", 0), service, registry);
            try {
                URI base = URI.create("http://127.0.0.1:" + http.address().getPort());
                for (int i = 0; i < NAMES.size(); i++) {
                    String name = NAMES.get(i);
                    long inode = (Long) Files.getAttribute(Path.of("/var/run/netns", name), "unix:ino");
                    JsonNode doc = TestServer.JSON.readTree(get(base.resolve("/snapshot?netns=" + name)));
                    Map<String, Integer> ss = ss(name);
                    assertEquals(1, doc.get("namespaces").size(), name);
                    JsonNode ns = doc.get("namespaces").get(0);
                    assertEquals(inode, ns.get("netns").asLong(), name + " inode as stat -L shows it");
                    assertEquals(name, ns.get("name").asText());
                    assertEquals(reader, ns.get("reader").asText(), name + ": " + ns);
                    Map<String, Integer> ours = new TreeMap<>();
                    for (JsonNode s : doc.get("sockets")) {
                        assertEquals(inode, s.get("netns").asLong());
                        ours.merge(s.get("protocol").asText() + " " + s.get("state").asText() + " "
                                + hp(s.get("local")) + " " + hp(s.get("remote")), 1, Integer::sum);
                    }
                    assertEquals(ss, ours, name + " against ip netns exec " + name + " ss -tanuH");
                    assertTrue(ours.keySet().stream().anyMatch(k -> k.startsWith("tcp TIME_WAIT")), name);
                    assertEquals(1, ours.getOrDefault("tcp LISTEN 127.0.0.1:" + (7000 + i) + " 0.0.0.0:0", 0), name);
                    String metrics = get(base.resolve("/metrics"));
                    long established = ss.entrySet().stream().filter(e -> e.getKey().startsWith("tcp ESTABLISHED"))
                            .mapToLong(Map.Entry::getValue).sum();
                    assertEquals(2 * (2 + 3 * i), established, name);
                    assertEquals((double) established, metric(metrics, "connmon_sockets", "family=\"ipv4\",netns=\""
                            + inode + "\",protocol=\"tcp\",state=\"established\""), name);
                    assertNotNull(metric(metrics, "connmon_netns_info", "name=\"" + name + "\",netns=\"" + inode
                            + "\""), name + " info");
                    Double range = metric(metrics, "connmon_ephemeral_ports", "netns=\"" + inode + "\"");
                    if (reader.equals("netlink")) {
                        assertNotNull(range, name + ": read from inside the namespace");
                        if (i == 0) {
                            assertEquals(1000.0, range, name + ": its own range, 40000-40999");
                        }
                    } else {
                        assertEquals(null, range, name + ": unknowable through procfs, so left out");
                        assertFalse(ns.get("ephemeralPortsUnknown").asText().isEmpty());
                    }
                }
            } finally {
                http.close();
            }
        }
    }

    private static String hp(JsonNode e) {
        String a = e.get("address").asText();
        return (a.contains(":") ? "[" + a + "]" : a) + ":" + e.get("port").asInt();
    }

    /** {@code ss -tanuH} in the namespace, as "protocol STATE local remote" with counts. */
    private static Map<String, Integer> ss(String name) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        for (String line : run("ip", "netns", "exec", name, "ss", "-tanuH").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6) {
                continue;
            }
            SocketState st = SocketState.fromName(f[1]);
            out.merge(f[0] + " " + st.name() + " " + f[4].replace(":*", ":0").replace("*:0", "0.0.0.0:0") + " "
                    + f[5].replace(":*", ":0"), 1, Integer::sum);
        }
        return out;
    }

    private static Double metric(String text, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{([^}]*)\\} (\\S+)$").matcher(text);
        while (m.find()) {
            if (m.group(1).contains(labels)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return null;
    }

    private static String get(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), uri + ": " + r.body());
        return r.body();
    }

    private static boolean works(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
