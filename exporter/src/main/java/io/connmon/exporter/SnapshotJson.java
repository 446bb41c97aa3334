package io.connmon.exporter;

import io.connmon.parser.attribution.Attribution;
import io.connmon.parser.attribution.SocketOwner;
import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.TcpInfo;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Streams a {@link Snapshot} as the {@code /snapshot} JSON document, filtered by a {@link SocketQuery}; the body
 * is never held in memory whole.
 *
 * <pre>{@code
 * {"timestamp":"2026-11-24T18:00:00Z","host":"web1","source":"procfs","attribution":false,
 *  "collectionSeconds":0.012,
 *  "total":2,"truncated":false,
 *  "counts":[{"protocol":"tcp","family":"ipv4","state":"LISTEN","count":1}, ...],
 *  "sockets":[{"protocol":"tcp","family":"ipv4","state":"LISTEN",
 *              "local":{"address":"127.0.0.1","port":9469},"remote":{"address":"0.0.0.0","port":0},
 *              "sendQueue":0,"receiveQueue":0,"uid":0,"inode":6926}, ...]}
 * }</pre>
 *
 * {@code total} counts the matching sockets, {@code counts} breaks them down, and {@code truncated} says whether
 * {@code limit} cut the list.
 */
public final class SnapshotJson {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();
    private static final SocketState[] STATES = SocketState.values();

    private SnapshotJson() {
    }

    /** Writes the document to {@code out} (not closed); {@code pretty} indents it for people. */
    public static void write(Snapshot s, SocketQuery q, OutputStream out, boolean pretty) throws IOException {
        List<SocketRecord> sockets = s.sockets();
        Attribution owners = s.attribution();
        long[][][] counts = new long[Protocol.values().length][Family.values().length][STATES.length];
        long total = 0;
        boolean[] inNetns = q.namespacesIn(s.table()); // null: any namespace
        for (SocketRecord r : sockets) {
            if (inNetns != null && (r.netns() >= inNetns.length || !inNetns[r.netns()])) {
                continue;
            }
            if (q.needsOwner() ? q.test(r, owners.ownerOf(r)) : q.test(r)) {
                counts[r.protocol().ordinal()][r.family().ordinal()][r.state().ordinal()]++;
                total++;
            }
        }
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            if (pretty) {
                g.useDefaultPrettyPrinter();
            }
            g.writeStartObject();
            g.writeStringField("timestamp", s.timestamp().toString());
            g.writeStringField("host", s.host());
            g.writeStringField("source", s.source());
            g.writeBooleanField("attribution", owners.enabled());
            g.writeNumberField("collectionSeconds", s.collectionTime().toNanos() / 1e9);
            g.writeNumberField("total", total);
            g.writeBooleanField("truncated", q.limit() >= 0 && total > q.limit());
            g.writeArrayFieldStart("counts");
            for (Protocol p : Protocol.values()) {
                for (Family f : Family.values()) {
                    for (SocketState st : STATES) {
                        long n = counts[p.ordinal()][f.ordinal()][st.ordinal()];
                        if (n > 0) {
                            g.writeStartObject();
                            g.writeStringField("protocol", p.label());
                            g.writeStringField("family", f.label());
                            g.writeStringField("state", st.name());
                            g.writeNumberField("count", n);
                            g.writeEndObject();
                        }
                    }
                }
            }
            g.writeEndArray();
            NetnsJson.writeNamespaces(g, s.table(), inNetns, s.stats());
            g.writeArrayFieldStart("sockets");
            long written = 0;
            for (SocketRecord r : sockets) {
                if (q.limit() >= 0 && written >= q.limit()) {
                    break;
                }
                if (inNetns != null && (r.netns() >= inNetns.length || !inNetns[r.netns()])) {
                    continue;
                }
                if (q.test(r)) {
                    SocketOwner owner = owners.ownerOf(r);
                    if (q.test(r, owner)) {
                        writeSocket(g, r, owner, s.table());
                        written++;
                    }
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private static void writeSocket(JsonGenerator g, SocketRecord r, SocketOwner owner,
            io.connmon.parser.model.SocketTable table) throws IOException {
        g.writeStartObject();
        g.writeStringField("protocol", r.protocol().label());
        g.writeStringField("family", r.family().label());
        g.writeStringField("state", r.state().name());
        writeEndpoint(g, "local", r.local());
        writeEndpoint(g, "remote", r.remote());
        g.writeNumberField("sendQueue", r.sendQueue());
        g.writeNumberField("receiveQueue", r.receiveQueue());
        if (r.uid() < 0) {
            g.writeNullField("uid");
        } else {
            g.writeNumberField("uid", r.uid());
        }
        g.writeNumberField("inode", r.inode());
        if (r.dualStack()) { // an IPv6 socket on :: that takes IPv4 peers too; ss prints it as *:PORT
            g.writeBooleanField("dualStack", true);
        }
        if (r.timerActive() != 0) { // procfs gives clock ticks (USER_HZ, 100 a second), netlink milliseconds
            g.writeStringField("timer", NetstatTable.timerName(r.timerActive()));
            g.writeNumberField("expiresMs", r.expiresMillis() >= 0 ? r.expiresMillis() : r.timerJiffies() * 10);
        }
        TcpInfo info = r.tcpInfo();
        if (info != null) { // only with ?info=1; a field the kernel's tcp_info is too short for is left out
            g.writeObjectFieldStart("tcpInfo");
            writeKnown(g, "rttMicros", info.rttMicros());
            writeKnown(g, "rttVarMicros", info.rttVarMicros());
            writeKnown(g, "retransmits", info.retransmits());
            writeKnown(g, "bytesAcked", info.bytesAcked());
            writeKnown(g, "bytesReceived", info.bytesReceived());
            writeKnown(g, "deliveryRateBytesPerSecond", info.deliveryRate());
            g.writeEndObject();
        }
        if (owner == null) {
            g.writeNullField("pid");
            g.writeNullField("process");
            g.writeNullField("unit");
        } else {
            g.writeNumberField("pid", owner.pid());
            g.writeStringField("process", owner.process());
            g.writeStringField("unit", owner.unit());
        }
        NetnsJson.writeSocketNetns(g, table, r);
        g.writeEndObject();
    }

    private static void writeKnown(JsonGenerator g, String name, long value) throws IOException {
        if (value >= 0) {
            g.writeNumberField(name, value);
        }
    }

    private static void writeEndpoint(JsonGenerator g, String name, Endpoint e) throws IOException {
        g.writeObjectFieldStart(name);
        g.writeStringField("address", e.address());
        g.writeNumberField("port", e.port());
        g.writeEndObject();
    }
}
