package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.ContainerRef;
import io.connmon.parser.model.NetNamespace;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.model.SourceCapabilities;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Families per namespace with the cap and "other"; the namespace parts of /snapshot. */
class NetnsFamiliesTest {

    private static List<SocketRecord> established(int n, int port) {
        List<SocketRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Sockets.tcp(SocketState.ESTABLISHED, "127.0.0.1", port, "127.0.0.1", 40000 + i));
        }
        return out;
    }

    /** Own namespace (1 socket), a pod's (5, its range known), a small one (2) and one whose inode is unknown (3). */
    private static Snapshot snapshot() {
        int[] sizes = {1, 5, 2, 3};
        List<CompactSocketList> lists = new ArrayList<>();
        List<NetNamespace> nss = new ArrayList<>();
        int at = 0;
        for (int i = 0; i < sizes.length; i++) {
            lists.add(CompactSocketList.copyOf(established(sizes[i], 80 + i)));
            NetStats stats = i == 1 ? new NetStats(Map.of(), Map.of(), new PortRange(40000, 40999), List.of())
                    : NetStats.EMPTY;
            nss.add(new NetNamespace(i == 3 ? -1 : 4026532000L + i, 100 + i, i == 1 ? "blue" : null, 10 + i, i == 0,
                    i == 1 ? new ContainerRef("containerd", "abc", "0c1d-pod", null) : ContainerRef.NONE, "netlink",
                    "test", null, stats, null, at, sizes[i], null));
            at += sizes[i];
        }
        nss.add(new NetNamespace(4026532099L, 199, null, 99, false, null, "procfs", "test", null, null, null, at, 0,
                "process 99 left the namespace during the read"));
        SocketTable t = new SocketTable("netlink", CompactSocketList.concat(lists, new int[] {0, 1, 2, 3}),
                List.of(), SourceCapabilities.NETLINK, 0, nss);
        return new Snapshot(Instant.parse("2026-11-25T18:00:00Z"), "h", t, NetStats.EMPTY, Duration.ofMillis(5),
                System.nanoTime());
    }

    private static Map<String, Double> points(List<MetricSnapshot> families, String name, String label) {
        Map<String, Double> out = new TreeMap<>();
        for (MetricSnapshot m : families) {
            if (m.getMetadata().getPrometheusName().equals(name)) {
                for (DataPointSnapshot p : m.getDataPoints()) {
                    double v = p instanceof io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot
                            ? ((io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot) p).getValue()
                            : p instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot
                            ? ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) p).getValue()
                            : 1;
                    String key = label == null ? "" : String.valueOf(p.getLabels().get(label));
                    if (name.equals("connmon_sockets") && !"established".equals(p.getLabels().get("state"))
                            || name.equals("connmon_sockets") && !"ipv4".equals(p.getLabels().get("family"))) {
                        continue;
                    }
                    out.merge(key, v, Double::sum);
                }
            }
        }
        return out;
    }

    @Test
    void capExportsOwnFirstThenTheBiggestAndSumsTheRestAsOther() {
        NetnsFamilies f = new NetnsFamilies(MetricsConfig.DEFAULT, "t", ListenerMemory.DEFAULT, 2);
        Snapshot s = snapshot();
        f.collected(s);
        List<MetricSnapshot> out = f.build(s);
        assertEquals(Map.of("4026532000", 1.0, "4026532001", 5.0, "other", 5.0),
                points(out, "connmon_sockets", "netns"));
        assertEquals(Map.of("4026532000", "", "4026532001", "blue"), infoNames(out));
        assertEquals(Map.of("", 5.0), points(out, "connmon_network_namespaces", null));
        assertEquals(Map.of("", 1.0), points(out, "connmon_netns_skipped", null));
        // the pod's own range; none for the own namespace here (no counters given) nor for "other"
        assertEquals(Map.of("4026532001", 1000.0), points(out, "connmon_ephemeral_ports", "netns"));
        assertEquals(Map.of("null", 0.005), points(out, "connmon_last_collection_duration_seconds", "netns"));
    }

    @Test
    void anUnknownInodeIsLabelledByItsPid() {
        List<MetricSnapshot> out = new NetnsFamilies(MetricsConfig.DEFAULT, "t", ListenerMemory.DEFAULT, 200)
                .build(snapshot());
        assertEquals(Map.of("4026532000", 1.0, "4026532001", 5.0, "4026532002", 2.0, "pid:13", 3.0),
                points(out, "connmon_sockets", "netns"));
    }

    private static Map<String, String> infoNames(List<MetricSnapshot> out) {
        Map<String, String> names = new TreeMap<>();
        for (MetricSnapshot m : out) {
            if (m.getMetadata().getPrometheusName().equals("connmon_netns")) {
                for (DataPointSnapshot p : m.getDataPoints()) {
                    names.put(p.getLabels().get("netns"), p.getLabels().get("name"));
                }
            }
        }
        return names;
    }

    @Test
    void snapshotCarriesEachSocketsNamespaceAndFiltersByName() throws Exception {
        Snapshot s = snapshot();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotJson.write(s, SocketQuery.parse(Map.of("netns", List.of("blue"))), out, false);
        JsonNode doc = TestServer.JSON.readTree(out.toByteArray());
        assertEquals(5, doc.get("total").asInt());
        assertEquals(1, doc.get("namespaces").size());
        assertEquals("0c1d-pod", doc.get("namespaces").get(0).get("container").get("podUid").asText());
        assertEquals(40000, doc.get("namespaces").get(0).get("ephemeralPorts").get("low").asInt());
        for (JsonNode sock : doc.get("sockets")) {
            assertEquals(4026532001L, sock.get("netns").asLong());
            assertEquals(81, sock.get("local").get("port").asInt());
        }
        out.reset();
        SnapshotJson.write(s, SocketQuery.parse(Map.of("netns", List.of("pid:13"))), out, false);
        doc = TestServer.JSON.readTree(out.toByteArray());
        assertEquals(3, doc.get("total").asInt());
        JsonNode sock = doc.get("sockets").get(0);
        assertTrue(sock.get("netns").isNull(), "the inode is unknown");
        assertEquals(13, sock.get("netnsPid").asInt());
        out.reset();
        SnapshotJson.write(s, SocketQuery.ALL, out, false);
        doc = TestServer.JSON.readTree(out.toByteArray());
        assertEquals(11, doc.get("total").asInt());
        assertEquals(5, doc.get("namespaces").size());
        assertEquals("process 99 left the namespace during the read", doc.get("namespaces").get(4).get("error").asText());
        assertNull(doc.get("namespaces").get(0).get("netnsUnknown"));
    }

    /** A namespace no process lives in (read through its file): pid empty in the info metric, null in /snapshot. */
    @Test
    void aNamespaceWithNoProcessHasNoPid() throws Exception {
        List<NetNamespace> nss = List.of(
                new NetNamespace(4026532000L, 100, null, 10, true, null, "netlink", "own", null, null, null, 0, 1, null),
                new NetNamespace(4026532177L, 101, "idle", -1, false, null, "netlink",
                        "no process lives in it (held by /var/run/netns/idle); setns through the file works", null,
                        null, null, 1, 2, null));
        SocketTable t = new SocketTable("netlink", CompactSocketList.concat(List.of(
                CompactSocketList.copyOf(established(1, 80)), CompactSocketList.copyOf(List.of(
                        Sockets.tcp(SocketState.TIME_WAIT, "127.0.0.1", 40001, "127.0.0.1", 7000),
                        Sockets.tcp(SocketState.TIME_WAIT, "127.0.0.1", 40002, "127.0.0.1", 7000)))), new int[] {0, 1}),
                List.of(), SourceCapabilities.NETLINK, 0, nss);
        Snapshot s = new Snapshot(Instant.parse("2026-11-25T18:00:00Z"), "h", t, NetStats.EMPTY, Duration.ofMillis(5),
                System.nanoTime());
        Map<String, String> pids = new TreeMap<>();
        for (MetricSnapshot m : new NetnsFamilies(MetricsConfig.DEFAULT, "t", ListenerMemory.DEFAULT, 200).build(s)) {
            if (m.getMetadata().getPrometheusName().equals("connmon_netns")) {
                for (DataPointSnapshot p : m.getDataPoints()) {
                    pids.put(p.getLabels().get("name"), p.getLabels().get("pid"));
                }
            }
        }
        assertEquals(Map.of("", "10", "idle", ""), pids);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotJson.write(s, SocketQuery.parse(Map.of("netns", List.of("idle"), "state", List.of("time_wait"))),
                out, false);
        JsonNode doc = TestServer.JSON.readTree(out.toByteArray());
        assertEquals(2, doc.get("total").asInt());
        JsonNode ns = doc.get("namespaces").get(0);
        assertEquals(4026532177L, ns.get("netns").asLong());
        assertTrue(ns.get("pid").isNull(), ns.toString());
        assertNull(ns.get("netnsPid"), "its inode is known: no netnsPid");
        for (JsonNode sock : doc.get("sockets")) {
            assertEquals(4026532177L, sock.get("netns").asLong());
        }
    }
}
