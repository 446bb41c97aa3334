package io.connmon.exporter;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.model.ContainerRef;
import io.connmon.parser.model.NetNamespace;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * The network namespace parts of the {@code /snapshot} document: each socket's {@code "netns"} and the
 * {@code "namespaces"} list.
 *
 * <pre>{@code
 * "namespaces":[{"netns":4026532301,"name":"blue","pid":4242,"own":false,"reader":"netlink",
 *                "readerReason":"setns into the namespace works","sockets":12,
 *                "container":{"runtime":"docker","id":"3f4e...","podUid":null,"unit":null},
 *                "ephemeralPorts":{"low":32768,"high":60999},"error":null}, ...]
 * ... "sockets":[{..., "netns":4026532301}, ...]
 * }</pre>
 *
 * Where the namespace's inode cannot be known (no ptrace access to its process), {@code "netns"} is
 * {@code null} and {@code "netnsPid"} names its representative process.
 */
final class NetnsJson {

    private NetnsJson() {
    }

    /** The {@code "namespaces"} array (left out when the source names no namespace); {@code in} filters (null: all). */
    static void writeNamespaces(JsonGenerator g, SocketTable table, boolean[] in, NetStats hostStats)
            throws IOException {
        if (table.namespaces().isEmpty()) {
            return;
        }
        g.writeArrayFieldStart("namespaces");
        for (int i = 0; i < table.namespaces().size(); i++) {
            if (in != null && !in[i]) {
                continue;
            }
            NetNamespace ns = table.namespaces().get(i);
            g.writeStartObject();
            writeId(g, ns);
            g.writeStringField("name", ns.name());
            if (ns.pid() >= 0) {
                g.writeNumberField("pid", ns.pid());
            } else {
                g.writeNullField("pid");
            }
            g.writeBooleanField("own", ns.own());
            g.writeStringField("reader", ns.reader());
            g.writeStringField("readerReason", ns.readerReason());
            g.writeNumberField("sockets", ns.count());
            ContainerRef c = ns.container();
            g.writeObjectFieldStart("container");
            g.writeStringField("runtime", c.runtime());
            g.writeStringField("id", c.id());
            g.writeStringField("podUid", c.podUid());
            g.writeStringField("unit", c.unit());
            g.writeEndObject();
            // one namespace (--netns host): its counters are the snapshot's
            NetStats stats = ns.stats() == NetStats.EMPTY && table.namespaces().size() == 1 ? hostStats : ns.stats();
            if (stats.ephemeralPorts() != null) {
                g.writeObjectFieldStart("ephemeralPorts");
                g.writeNumberField("low", stats.ephemeralPorts().low());
                g.writeNumberField("high", stats.ephemeralPorts().high());
                g.writeEndObject();
            } else {
                g.writeNullField("ephemeralPorts");
                if (ns.portRangeNote() != null) {
                    g.writeStringField("ephemeralPortsUnknown", ns.portRangeNote());
                }
            }
            if (ns.inodeNote() != null) {
                g.writeStringField("netnsUnknown", ns.inodeNote());
            }
            g.writeStringField("error", ns.error());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** A socket's {@code "netns"} field (nothing when the source names no namespace). */
    static void writeSocketNetns(JsonGenerator g, SocketTable table, SocketRecord r) throws IOException {
        NetNamespace ns = table.namespaceOf(r);
        if (ns != null) {
            writeId(g, ns);
        }
    }

    private static void writeId(JsonGenerator g, NetNamespace ns) throws IOException {
        if (ns.inode() >= 0) {
            g.writeNumberField("netns", ns.inode());
        } else {
            g.writeNullField("netns");
            g.writeNumberField("netnsPid", ns.pid());
        }
    }
}
