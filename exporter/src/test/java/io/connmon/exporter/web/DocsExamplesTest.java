package io.connmon.exporter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every web configuration example of docs/security.md is accepted by connmon and by {@code promtool check
 * web-config} (exporter-toolkit's own validation), with the test certificates in place of the real ones.
 */
class DocsExamplesTest {

    static final Path DOC = Path.of("..", "docs", "security.md");

    @TempDir
    Path dir;

    /** The ```yaml blocks that are web configuration files (not Prometheus scrape configurations). */
    static List<String> examples() throws Exception {
        List<String> out = new ArrayList<>();
        String[] lines = Files.readString(DOC).split("\n");
        StringBuilder block = null;
        for (String l : lines) {
            if (block == null && l.equals("```yaml")) {
                block = new StringBuilder();
            } else if (block != null && l.equals("```")) {
                if (!block.toString().contains("scrape_configs:")) {
                    out.add(block.toString());
                }
                block = null;
            } else if (block != null) {
                block.append(l).append('\n');
            }
        }
        return out;
    }

    private Path placeExample(int i, String yaml) {
        Path d = dir.resolve("example" + i);
        Fixtures.copy("server-ec-sec1.crt", d, "tls/server.crt");
        Fixtures.copy("server-ec-sec1.key", d, "tls/server.key");
        Fixtures.copy("ca.crt", d, "tls/ca.crt");
        return Fixtures.write(d, "web.yml", yaml);
    }

    private static Path promtool() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Test
    void theDocsShowExamples() throws Exception {
        assertEquals(4, examples().size(), "TLS, TLS with basic auth, mutual TLS, headers");
    }

    @Test
    void connmonAcceptsEveryExample() throws Exception {
        List<String> ex = examples();
        for (int i = 0; i < ex.size(); i++) {
            WebConfig c = WebConfig.load(placeExample(i, ex.get(i)));
            assertTrue(c.tls() != null, "every example uses TLS: " + ex.get(i));
        }
    }

    @Test
    void promtoolAcceptsEveryExample() throws Exception {
        Path promtool = promtool();
        if (promtool == null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("promtool is not on PATH (install the prometheus package)");
        }
        Assumptions.assumeTrue(promtool != null, "promtool is not on PATH");
        List<String> ex = examples();
        assertFalse(ex.isEmpty());
        for (int i = 0; i < ex.size(); i++) {
            Path f = placeExample(i, ex.get(i));
            Process p = new ProcessBuilder(promtool.toString(), "check", "web-config", f.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool hangs");
            assertEquals(0, p.exitValue(), "promtool check web-config on\n" + ex.get(i) + "\nsays: " + out);
            assertTrue(out.contains("SUCCESS"), out);
        }
    }

    @Test
    void promtoolRejectsWhatConnmonRejects() throws Exception {
        Path promtool = promtool();
        if (promtool == null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("promtool is not on PATH (install the prometheus package)");
        }
        Assumptions.assumeTrue(promtool != null, "promtool is not on PATH");
        // the same strictness: an unknown key, a bad client_auth_type, a header exporter-toolkit forbids
        for (String bad : List.of("tls_server_config:\n  cert_file: tls/server.crt\n  key_file: tls/server.key\n"
                + "  certfile: x\n",
                "tls_server_config:\n  cert_file: tls/server.crt\n  key_file: tls/server.key\n"
                        + "  client_auth_type: Maybe\n",
                "http_server_config:\n  headers:\n    Server: x\n")) {
            Path f = placeExample(9, bad);
            Process p = new ProcessBuilder(promtool.toString(), "check", "web-config", f.toString())
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertTrue(p.exitValue() != 0, "promtool accepts\n" + bad);
            org.junit.jupiter.api.Assertions.assertThrows(WebConfigException.class, () -> WebConfig.load(f),
                    "connmon accepts\n" + bad);
        }
    }
}
