package io.connmon.exporter;

import static io.connmon.exporter.Sockets.listen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The landing page and a 400's "accepts" list every parameter /snapshot takes, from one list. */
class SnapshotParametersTest {

    @Test
    void theLandingPageAndThe400NameEveryParameter() throws Exception {
        SnapshotService service = new SnapshotService(new FakeSource(List.of(listen("0.0.0.0", 22))),
                Sockets::stats, Duration.ZERO, Sockets.tickingClock(), "h");
        try (TestServer s = TestServer.start(service)) {
            String landing = s.get("/").body();
            HttpResponse<String> bad = s.get("/snapshot?bogus=1");
            assertEquals(400, bad.statusCode());
            JsonNode error = TestServer.JSON.readTree(bad.body());
            assertEquals("bogus", error.get("parameter").asText());
            for (String p : List.of("protocol", "family", "state", "port", "local_port", "remote_port", "address",
                    "limit", "pid", "process", "pretty")) {
                assertTrue(SocketQuery.PARAMETERS.contains(p), p);
                assertTrue(landing.contains(p), p + " missing from the landing page: " + landing);
                assertTrue(error.get("accepts").asText().contains(p), p + " missing from " + bad.body());
            }
            // pretty is accepted and indents: the document still parses, with line breaks
            String pretty = s.get("/snapshot?pretty").body();
            assertTrue(pretty.contains("\n  \"host\""), pretty);
        }
    }
}
