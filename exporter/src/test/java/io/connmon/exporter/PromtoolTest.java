package io.connmon.exporter;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code promtool check metrics} on a real scrape of a registry assembled as the daemon's; skipped without it. */
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
        Assumptions.assumeTrue(promtool != null, "promtool is not on PATH");
        Path proc = Path.of("/proc");
        SnapshotService service = new SnapshotService(new ProcfsSocketSource(proc), new NetStatReader(proc),
                Duration.ZERO);
        try (TestServer s = TestServer.start(service)) {
            // The daemon's JVM and process binders, so that the whole exposition is checked.
            new ClassLoaderMetrics().bindTo(s.registry);
            new JvmMemoryMetrics().bindTo(s.registry);
            new JvmGcMetrics().bindTo(s.registry);
            new JvmThreadMetrics().bindTo(s.registry);
            // Not ProcessorMetrics, which the daemon also binds: promtool objects to two of its names
            // (process_cpu_time_ns_total: abbreviated unit; system_cpu_count: a gauge named _count).
            new UptimeMetrics().bindTo(s.registry);
            new FileDescriptorMetrics().bindTo(s.registry);
            String text = s.get("/metrics").body();
            assertTrue(text.contains("connmon_sockets{"), text);

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
