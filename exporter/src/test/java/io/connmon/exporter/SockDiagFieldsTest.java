package io.connmon.exporter;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.TcpInfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What only sock_diag knows, as /snapshot and the CLI table show it: dual-stack, timers, tcp_info. */
class SockDiagFieldsTest {

    /** A dual-stack listener on :: port 8080 (v6only 0), as the netlink source gives it. */
    static final SocketRecord DUAL = new SocketRecord(Protocol.TCP, Family.IPV6, SocketState.LISTEN, 0, 0, 8080, 0, 0,
            0, 128, 0, 1000, 4242, 0, 0, 0, 77, 5, 0, 0, null);
    /** An IPv6-only listener on :: port 22. */
    static final SocketRecord V6ONLY = new SocketRecord(Protocol.TCP, Family.IPV6, SocketState.LISTEN, 0, 0, 22, 0, 0,
            0, 128, 0, 0, 4243, 0, 0, 0, 78, 5, 1, 0, null);
    /** An established IPv4 connection with a keepalive timer and tcp_info. */
    static final SocketRecord ESTAB = new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0,
            0x7F000001L, 40000, 0, 0x7F000001L, 8080, 0, 0, 1000, 4244, 2, 719, 0, 79, 5, -1, 7190,
            new TcpInfo(13, 6, 2, 6, 2, 4096000000L));

    @Test
    void theTableShowsDualStackAsSsDoesWithTimersAndInfo() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NetstatTable.write(List.of(DUAL, V6ONLY, ESTAB), r -> true, -1,
                new PrintStream(bytes, true, StandardCharsets.UTF_8), null, true, true);
        assertEquals(""
                + "Proto Recv-Q Send-Q Local Address           Foreign Address         State       Timer\n"
                + "tcp6       0    128 *:8080                  *:*                     LISTEN      off (0.00/0/0)\n"
                + "tcp6       0    128 [::]:22                 [::]:*                  LISTEN      off (0.00/0/0)\n"
                + "tcp        0      0 127.0.0.1:40000         127.0.0.1:8080          ESTABLISHED keepalive (7.19/0/0)\n"
                + "\trtt:0.013/0.006 retrans:2 bytes_acked:6 bytes_received:2 delivery_rate:32768000000bps\n",
                bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void procfsTimersAreInClockTicks() {
        SocketRecord tw = new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.TIME_WAIT, 0, 0x7F000001L, 1, 0,
                0x7F000001L, 2, 0, 0, 0, 0, 3, 5952, 0);
        assertEquals("timewait (59.52/0/0)", NetstatTable.timer(tw));
    }

    @Test
    void theSnapshotSaysDualStackAndTcpInfo() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotJson.write(Sockets.snapshot(List.of(DUAL, V6ONLY, ESTAB)), SocketQuery.parse(Map.of()), out, false);
        JsonNode sockets = new ObjectMapper().readTree(out.toByteArray()).get("sockets");
        assertTrue(sockets.get(0).get("dualStack").asBoolean());
        assertFalse(sockets.get(1).has("dualStack"), "v6only: not dual-stack");
        assertFalse(sockets.get(0).has("tcpInfo"));
        JsonNode info = sockets.get(2).get("tcpInfo");
        assertEquals(13, info.get("rttMicros").asLong());
        assertEquals(6, info.get("rttVarMicros").asLong());
        assertEquals(2, info.get("retransmits").asLong());
        assertEquals(6, info.get("bytesAcked").asLong());
        assertEquals(2, info.get("bytesReceived").asLong());
        assertEquals(4096000000L, info.get("deliveryRateBytesPerSecond").asLong());
        assertEquals("keepalive", sockets.get(2).get("timer").asText());
        assertEquals(7190, sockets.get(2).get("expiresMs").asLong());
    }

    @Test
    void procfsTimersComeOutInMillisecondsToo() throws Exception {
        SocketRecord tw = new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.TIME_WAIT, 0, 0x7F000001L, 1, 0,
                0x7F000001L, 2, 0, 0, 0, 0, 3, 5952, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotJson.write(Sockets.snapshot(List.of(tw, DUAL)), SocketQuery.parse(Map.of()), out, false);
        JsonNode sockets = new ObjectMapper().readTree(out.toByteArray()).get("sockets");
        assertEquals("timewait", sockets.get(0).get("timer").asText());
        assertEquals(59520, sockets.get(0).get("expiresMs").asLong(), "5952 clock ticks of 10 ms");
        assertFalse(sockets.get(1).has("timer"), "no timer running");
    }

    @Test
    void duplicatesDroppedAreAGauge() {
        io.connmon.parser.model.SocketTable t = new io.connmon.parser.model.SocketTable("fake", List.of(DUAL),
                List.of(), io.connmon.parser.model.SourceCapabilities.NETLINK, 7);
        Snapshot s = new Snapshot(java.time.Instant.EPOCH, "h", t, Sockets.stats(), java.time.Duration.ZERO, 0);
        SocketMetrics m = new SocketMetrics(null, MetricsConfig.DEFAULT, "1");
        boolean found = false;
        for (io.prometheus.metrics.model.snapshots.MetricSnapshot f : m.build(s)) {
            if (f.getMetadata().getName().equals("connmon_last_collection_duplicate_sockets")) {
                assertEquals(7, ((io.prometheus.metrics.model.snapshots.GaugeSnapshot) f).getDataPoints().get(0)
                        .getValue());
                found = true;
            }
        }
        assertTrue(found);
    }

    @Test
    void infoIsReadOnRequestAndNeverCached() throws Exception {
        SocketRecord plain = new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED, 0, 0x7F000001L,
                40000, 0, 0x7F000001L, 8080, 0, 0, 1000, 4244, 0, 0, 0);
        java.util.List<io.connmon.parser.source.SocketRequest> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.connmon.parser.source.SocketSource source = new io.connmon.parser.source.SocketSource() {
            @Override
            public String name() {
                return "fake";
            }

            @Override
            public io.connmon.parser.model.SocketTable collect() {
                return Sockets.table(List.of(plain));
            }

            @Override
            public io.connmon.parser.model.SocketTable collect(io.connmon.parser.source.SocketRequest r) {
                asked.add(r);
                return Sockets.table(List.of(r.tcpInfo() ? ESTAB : plain));
            }
        };
        try (TestServer s = TestServer.start(new SnapshotService(source, Sockets::stats, java.time.Duration.ofMinutes(5),
                Sockets.tickingClock(), "testhost"))) {
            assertFalse(TestServer.JSON.readTree(s.get("/snapshot").body()).get("sockets").get(0).has("tcpInfo"));
            var withInfo = s.get("/snapshot?info=1&state=established");
            assertEquals(200, withInfo.statusCode(), withInfo.body());
            JsonNode info = TestServer.JSON.readTree(withInfo.body()).get("sockets").get(0).get("tcpInfo");
            assertEquals(13, info.get("rttMicros").asLong());
            assertEquals(1, asked.size());
            assertTrue(asked.get(0).tcpInfo());
            assertFalse(TestServer.JSON.readTree(s.get("/snapshot").body()).get("sockets").get(0).has("tcpInfo"),
                    "the tcp_info collection is not served to others");
        }
    }
}
