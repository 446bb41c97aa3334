package io.connmon.exporter;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} and {@code /snapshot} rendered over HTTP from the fixture proc tree
 * ({@code parser/src/test/resources/proc}, captured from a real kernel) with a fixed clock and host name, and
 * compared with the checked-in files under {@code src/test/resources/golden/}: a change in what connmon
 * publishes is always a reviewed change of those files.
 *
 * <p>What varies from run to run is masked: the time a collection took (JSON {@code collectionSeconds},
 * {@code connmon_last_collection_duration_seconds}, the summary's {@code _sum}), the snapshot's age, and every
 * family that is not connmon's own ({@code process_*}, {@code jvm_*}) is left out.
 *
 * <p>After a deliberate change of output, regenerate the files with
 * {@code mvn -B -ntp -pl exporter -am verify -Dtest=GoldenTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dconnmon.golden.update=true}, then review the diff ({@code git diff exporter/src/test/resources/golden}).
 */
class GoldenTest {

    private static final Path MODULE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    private static final Path PROC = MODULE.resolve("../parser/src/test/resources/proc").normalize();
    private static final Path GOLDEN = MODULE.resolve("src/test/resources/golden");
    private static final boolean UPDATE = Boolean.getBoolean("connmon.golden.update");

    /** Values that differ between runs: the sample's value (after the last space) is replaced. */
    private static final Pattern VARYING = Pattern.compile(
            "^(connmon_last_collection_duration_seconds|connmon_snapshot_age_seconds"
                    + "|connmon_collection_duration_seconds_sum)[ {].*");

    private static SnapshotService service() {
        Clock fixed = Clock.fixed(Instant.parse("2026-11-24T18:00:00Z"), ZoneOffset.UTC);
        NetStatReader counters = new NetStatReader(PROC);
        return new SnapshotService(new ProcfsSocketSource(PROC), counters::read, Duration.ZERO, fixed, "golden");
    }

    @Test
    void metricsMatchTheGoldenFile() throws IOException {
        try (TestServer s = TestServer.start(service())) {
            HttpResponse<String> r = s.get("/metrics");
            assertEquals(200, r.statusCode());
            String own = r.body().lines()
                    .filter(l -> l.startsWith("connmon_") || l.matches("# (HELP|TYPE) connmon_.*"))
                    .map(l -> VARYING.matcher(l).matches() ? l.substring(0, l.lastIndexOf(' ') + 1) + "MASKED" : l)
                    .collect(Collectors.joining("\n", "", "\n"));
            compare("metrics.txt", own);
        }
    }

    @Test
    void snapshotMatchesTheGoldenFile() throws IOException {
        try (TestServer s = TestServer.start(service())) {
            HttpResponse<String> r = s.get("/snapshot?pretty");
            assertEquals(200, r.statusCode());
            String body = r.body().replaceFirst("\"collectionSeconds\" : [0-9.eE-]+", "\"collectionSeconds\" : \"MASKED\"");
            compare("snapshot.json", body.endsWith("\n") ? body : body + "\n");
        }
    }

    private static void compare(String name, String actual) throws IOException {
        Path file = GOLDEN.resolve(name);
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, actual, StandardCharsets.UTF_8);
            return;
        }
        String expected = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(no file " + file + ")";
        assertEquals(expected, actual, name + " differs from " + file
                + "; if the change is meant, regenerate with -Dconnmon.golden.update=true and review the diff");
    }
}
