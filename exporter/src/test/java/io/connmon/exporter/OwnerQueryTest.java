package io.connmon.exporter;

import io.connmon.parser.attribution.SocketOwners;

import static io.connmon.exporter.Sockets.listen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A filter on the owning process says so when attribution is off, rather than matching nothing. */
class OwnerQueryTest {

    @TempDir
    Path procWithoutProcesses;

    @Test
    void pidOrProcessWithAttributionOffIsA400NamingTheReason() throws Exception {
        SnapshotService service = new SnapshotService(new FakeSource(List.of(listen("0.0.0.0", 22))),
                Sockets::stats, Duration.ZERO, Sockets.tickingClock(), "h");
        try (TestServer s = TestServer.start(service)) {
            for (String query : List.of("pid=1", "process=sshd", "state=listen&process=sshd")) {
                HttpResponse<String> r = s.get("/snapshot?" + query);
                assertEquals(400, r.statusCode(), query + ": " + r.body());
                JsonNode body = TestServer.JSON.readTree(r.body());
                String name = query.contains("pid") ? "pid" : "process";
                assertEquals(name, body.get("parameter").asText());
                assertEquals("parameter '" + name + "' needs process attribution, which is off",
                        body.get("error").asText());
                assertTrue(body.get("accepts").asText().contains("--attribution on"), r.body());
            }
            JsonNode all = s.snapshot("");
            assertFalse(all.get("attribution").asBoolean());
            assertEquals(1, all.get("total").asLong());
        }
    }

    @Test
    void withAttributionOnTheSameQueryIsAnswered() throws Exception {
        SnapshotService service = new SnapshotService(new FakeSource(List.of(listen("0.0.0.0", 22))),
                Sockets::stats, Duration.ZERO, Sockets.tickingClock(), "h",
                new SocketOwners(procWithoutProcesses, Duration.ofSeconds(1)));
        try (TestServer s = TestServer.start(service)) {
            JsonNode found = s.snapshot("process=sshd");
            assertTrue(found.get("attribution").asBoolean());
            assertEquals(0, found.get("total").asLong()); // attribution ran and found no such owner
        }
    }

    @Test
    void theRefusalIsDecidedByTheSnapshotsData() throws Exception {
        SocketQuery byPid = SocketQuery.parse(Map.of("pid", List.of("42")));
        QueryException e = byPid.refusal(Sockets.snapshot(List.of()));
        assertEquals("pid", e.parameter());
        assertNull(SocketQuery.parse(Map.of("port", List.of("22"))).refusal(Sockets.snapshot(List.of())));
    }
}
