package io.connmon.exporter;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code promtool check metrics} on a real scrape of a registry assembled as the daemon's. Skipped without
 * promtool on a developer's machine; with {@code CI=true} a missing promtool fails the test.
 */
class PromtoolTest {

    private static Path promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Test
    void promtoolFindsNothingToSay() throws Exception {
        Path promtool = promtool();
        Tools.require(promtool != null, "promtool is not on PATH");
        Path proc = Path.of("/proc");
        SnapshotService service = new SnapshotService(new ProcfsSocketSource(proc), new NetStatReader(proc),
                Duration.ZERO);
        try (TestServer s = TestServer.start(service)) {
            String text = s.get("/metrics").body();
            assertTrue(text.contains("connmon_sockets{"), text);
            assertTrue(text.contains("process_resident_memory_bytes "), text);

            Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals("", said);
            assertEquals(0, p.exitValue());
        }
    }
}
