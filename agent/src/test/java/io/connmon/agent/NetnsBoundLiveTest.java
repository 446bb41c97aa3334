package io.connmon.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connmon.parser.model.SocketState;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A namespace of its own ({@code ip netns add cmbound-RANDOM}, deleted afterwards) that no process lives in but
 * which still holds a socket: a short process in it connects to a listener of its own, closes the client side
 * first and exits, leaving a TIME_WAIT socket (60 s) behind. {@code connmon list --netns NAME} and
 * {@code --netns all} read it through netlink (setns through {@code /var/run/netns/NAME}: this test runs as
 * root), checked against {@code ip netns exec NAME ss -tanH}; with {@code --source procfs} it cannot be read, and
 * says so in one line. Needs root, {@code ip}, {@code ss} and python3: skipped without them, failed under CI=true.
 */
class NetnsBoundLiveTest {

    private static final String CLOSE_FIRST = String.join("\n",
            "import socket, time",
            "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(4)",
            "c = socket.create_connection(l.getsockname()); s, _ = l.accept()",
            "c.close(); time.sleep(0.1); s.close(); l.close()",
            "print('done', flush=True)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String name;

    @BeforeAll
    static void namespaceWithNoProcessButATimeWaitSocket() throws Exception {
        boolean root = "0".equals(run("id", "-u").trim());
        require(root, "not root: ip netns add and setns need it");
        require(works("ip", "-V"), "ip (iproute2) not found");
        require(works("ss", "-V"), "ss not found");
        require(works("python3", "-V"), "python3 not found");
        name = "cmbound-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        run("ip", "netns", "add", name);
        run("ip", "-n", name, "link", "set", "lo", "up");
        assertEquals("done", run("ip", "netns", "exec", name, "timeout", "30", "python3", "-c", CLOSE_FIRST).trim());
        assertEquals("", run("ip", "netns", "pids", name).trim(), "no process lives in " + name + " now");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (name != null) { // only the one this test made
            new ProcessBuilder("ip", "netns", "del", name).redirectErrorStream(true).start().waitFor(10,
                    TimeUnit.SECONDS);
        }
    }

    @Test
    void listByNameReadsItThroughNetlink() throws Exception {
        long inode = (Long) Files.getAttribute(Path.of("/var/run/netns", name), "unix:ino");
        CommandRun r = CommandRun.run(Map.of(), "list", "--netns", name, "--json");
        assertEquals(0, r.code, r.err);
        JsonNode doc = JSON.readTree(r.out);
        assertEquals(1, doc.get("namespaces").size(), doc.get("namespaces").toString());
        JsonNode ns = doc.get("namespaces").get(0);
        assertEquals(inode, ns.get("netns").asLong());
        assertEquals(name, ns.get("name").asText());
        assertTrue(ns.get("pid").isNull(), "no representative process: " + ns);
        assertEquals("netlink", ns.get("reader").asText(), ns.toString());
        assertTrue(ns.get("error").isNull(), ns.toString());
        Map<String, Integer> ours = new TreeMap<>();
        for (JsonNode s : doc.get("sockets")) {
            assertEquals(inode, s.get("netns").asLong());
            ours.merge(s.get("state").asText() + " " + hp(s.get("local")) + " " + hp(s.get("remote")), 1,
                    Integer::sum);
        }
        Map<String, Integer> ss = ss(name);
        assertEquals(ss, ours, name + " against ip netns exec " + name + " ss -tanH");
        assertEquals(1, ours.entrySet().stream().filter(e -> e.getKey().startsWith("TIME_WAIT 127.0.0.1:"))
                .mapToInt(Map.Entry::getValue).sum(), ours.toString());
    }

    @Test
    void allIncludesIt() throws Exception {
        long inode = (Long) Files.getAttribute(Path.of("/var/run/netns", name), "unix:ino");
        CommandRun r = CommandRun.run(Map.of(), "list", "--netns", "all", "--json");
        assertEquals(0, r.code, r.err);
        JsonNode doc = JSON.readTree(r.out);
        JsonNode ns = null;
        for (JsonNode n : doc.get("namespaces")) {
            if (n.get("netns").asLong() == inode) {
                assertEquals(null, ns, "listed once: " + doc.get("namespaces"));
                ns = n;
            }
        }
        assertNotNull(ns, name + " in " + doc.get("namespaces"));
        assertEquals(name, ns.get("name").asText());
        assertTrue(ns.get("pid").isNull(), ns.toString());
        assertEquals("netlink", ns.get("reader").asText(), ns.toString());
        long timeWait = 0;
        for (JsonNode s : doc.get("sockets")) {
            if (s.get("netns").asLong() == inode && "TIME_WAIT".equals(s.get("state").asText())) {
                timeWait++;
            }
        }
        assertEquals(1, timeWait, name + "'s TIME_WAIT socket");
    }

    @Test
    void procfsCannotReadItAndSaysSoInOneLine() {
        CommandRun r = CommandRun.run(Map.of(), "list", "--netns", name, "--source", "procfs");
        assertEquals(1, r.code, r.out + r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.contains(name) && r.err.contains("no process lives in it")
                && r.err.contains("CAP_SYS_ADMIN"), r.err);
    }

    private static String hp(JsonNode e) {
        String a = e.get("address").asText();
        return (a.contains(":") ? "[" + a + "]" : a) + ":" + e.get("port").asInt();
    }

    /** {@code ss -tanH} in the namespace, as "STATE local remote" with counts. */
    private static Map<String, Integer> ss(String ns) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        for (String line : run("ip", "netns", "exec", ns, "ss", "-tanH").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 5) {
                continue;
            }
            out.merge(SocketState.fromName(f[0]).name() + " " + f[3] + " " + f[4], 1, Integer::sum);
        }
        return out;
    }



    /** Skips the test when {@code available} is false, or fails it under {@code CI=true}. */
    private static void require(boolean available, String missing) {
        if (!available && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(missing + " (CI=true: a missing tool fails the test instead of skipping it)");
        }
        Assumptions.assumeTrue(available, missing);
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
