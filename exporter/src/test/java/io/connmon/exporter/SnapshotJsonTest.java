package io.connmon.exporter;

import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import static io.connmon.exporter.Sockets.full;
import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static io.connmon.exporter.Sockets.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<SocketRecord> SOCKETS = List.of(
            full(SocketState.LISTEN, "127.0.0.1", 9469, "0.0.0.0", 0, 0, 6926),
            full(SocketState.ESTABLISHED, "10.0.0.1", 22, "192.168.1.5", 50000, 1000, 7001),
            full(SocketState.TIME_WAIT, "2001:db8::1", 40000, "2001:db8::7", 443, 1000, 0),
            tcp(SocketState.ESTABLISHED, "10.0.0.1", 41000, "10.0.0.7", 443, 12, 34),
            udp("0.0.0.0", 68));

    private static String write(List<SocketRecord> sockets, SocketQuery q, boolean pretty) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotJson.write(Sockets.snapshot(sockets), q, out, pretty);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static JsonNode doc(List<SocketRecord> sockets, SocketQuery q) throws IOException {
        return JSON.readTree(write(sockets, q, false));
    }

    private static SocketQuery query(String... pairs) throws QueryException {
        Map<String, List<String>> m = new java.util.LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            m.computeIfAbsent(p.substring(0, eq), k -> new ArrayList<>()).add(p.substring(eq + 1));
        }
        return SocketQuery.parse(m);
    }

    @Test
    void theDocumentDescribesTheSnapshotAndEverySocket() throws IOException {
        JsonNode d = doc(SOCKETS, SocketQuery.ALL);
        assertEquals("2026-11-24T18:00:00Z", d.get("timestamp").asText());
        assertEquals("testhost", d.get("host").asText());
        assertEquals("fake", d.get("source").asText());
        assertEquals(0.012, d.get("collectionSeconds").asDouble(), 1e-9);
        assertEquals(5, d.get("total").asLong());
        assertFalse(d.get("truncated").asBoolean());
        assertEquals(5, d.get("sockets").size());

        JsonNode listen = d.get("sockets").get(0);
        assertEquals("tcp", listen.get("protocol").asText());
        assertEquals("ipv4", listen.get("family").asText());
        assertEquals("LISTEN", listen.get("state").asText());
        assertEquals("127.0.0.1", listen.get("local").get("address").asText());
        assertEquals(9469, listen.get("local").get("port").asInt());
        assertEquals("0.0.0.0", listen.get("remote").get("address").asText());
        assertEquals(0, listen.get("remote").get("port").asInt());
        assertEquals(0, listen.get("uid").asLong());
        assertEquals(6926, listen.get("inode").asLong());

        JsonNode v6 = d.get("sockets").get(2);
        assertEquals("ipv6", v6.get("family").asText());
        assertEquals("TIME_WAIT", v6.get("state").asText());
        assertEquals("2001:db8::7", v6.get("remote").get("address").asText());
        assertEquals(1000, v6.get("uid").asLong());

        JsonNode unknownOwner = d.get("sockets").get(3);
        assertTrue(unknownOwner.get("uid").isNull(), "a uid the source does not know is null");
        assertEquals(12, unknownOwner.get("sendQueue").asLong());
        assertEquals(34, unknownOwner.get("receiveQueue").asLong());

        JsonNode udp = d.get("sockets").get(4);
        assertEquals("udp", udp.get("protocol").asText());
        assertEquals("UNCONN", udp.get("state").asText());
    }

    @Test
    void countsBreakTheTotalDown() throws IOException {
        JsonNode d = doc(SOCKETS, SocketQuery.ALL);
        long sum = 0;
        for (JsonNode c : d.get("counts")) {
            sum += c.get("count").asLong();
        }
        assertEquals(d.get("total").asLong(), sum);
        assertEquals(JSON.readTree("["
                + "{\"protocol\":\"tcp\",\"family\":\"ipv4\",\"state\":\"ESTABLISHED\",\"count\":2},"
                + "{\"protocol\":\"tcp\",\"family\":\"ipv4\",\"state\":\"LISTEN\",\"count\":1},"
                + "{\"protocol\":\"tcp\",\"family\":\"ipv6\",\"state\":\"TIME_WAIT\",\"count\":1},"
                + "{\"protocol\":\"udp\",\"family\":\"ipv4\",\"state\":\"UNCONN\",\"count\":1}]"), d.get("counts"));
    }

    @Test
    void aFilterCountsOnlyWhatItMatchesAndALimitTruncatesTheList() throws Exception {
        List<SocketRecord> sockets = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sockets.add(tcp(i % 5 == 0 ? SocketState.TIME_WAIT : SocketState.ESTABLISHED, "10.0.0.1", 40000 + i,
                    "10.0.0.7", 443));
        }
        JsonNode d = doc(sockets, query("state=time_wait", "limit=4"));
        assertEquals(10, d.get("total").asLong());
        assertTrue(d.get("truncated").asBoolean());
        assertEquals(4, d.get("sockets").size());
        assertEquals(40000, d.get("sockets").get(0).get("local").get("port").asInt());
        assertEquals(40015, d.get("sockets").get(3).get("local").get("port").asInt());
        assertEquals(1, d.get("counts").size());
        assertEquals(10, d.get("counts").get(0).get("count").asLong());

        JsonNode exact = doc(sockets, query("state=time_wait", "limit=10"));
        assertFalse(exact.get("truncated").asBoolean());
        assertEquals(10, exact.get("sockets").size());

        JsonNode none = doc(sockets, query("limit=0"));
        assertEquals(50, none.get("total").asLong());
        assertTrue(none.get("truncated").asBoolean());
        assertEquals(0, none.get("sockets").size());

        JsonNode nothing = doc(sockets, query("protocol=udp"));
        assertEquals(0, nothing.get("total").asLong());
        assertFalse(nothing.get("truncated").asBoolean());
        assertEquals(0, nothing.get("counts").size());
        assertEquals(0, nothing.get("sockets").size());
    }

    @Test
    void prettyIsTheSameDocumentIndented() throws IOException {
        String compact = write(SOCKETS, SocketQuery.ALL, false);
        String pretty = write(SOCKETS, SocketQuery.ALL, true);
        assertFalse(compact.contains("\n"));
        assertTrue(pretty.lines().count() > 20);
        assertEquals(JSON.readTree(compact), JSON.readTree(pretty));
    }

    @Test
    void theOutputStreamIsLeftOpen() throws IOException {
        boolean[] closed = new boolean[1];
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FilterOutputStream out = new FilterOutputStream(bytes) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        SnapshotJson.write(Sockets.snapshot(List.of(listen("0.0.0.0", 22))), SocketQuery.ALL, out, false);
        assertFalse(closed[0]);
        assertEquals(1, JSON.readTree(bytes.toByteArray()).get("total").asLong(), "flushed though not closed");
    }
}
