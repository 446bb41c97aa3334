package io.connmon.exporter;

import io.connmon.parser.counters.NetStats;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.model.SourceCapabilities;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/** Test values: endpoints from literals, socket records, tables, counters and snapshots. */
final class Sockets {

    static final PortRange EPHEMERAL = new PortRange(32768, 60999);

    private Sockets() {
    }

    /** An endpoint from an address literal (never resolved); a {@code ::ffff:a.b.c.d} literal stays IPv6. */
    static Endpoint ep(String address, int port) {
        if (address.startsWith("::ffff:") && address.indexOf('.') > 0) {
            byte[] v4 = literal(address.substring(7));
            byte[] b = new byte[16];
            b[10] = (byte) 0xFF;
            b[11] = (byte) 0xFF;
            System.arraycopy(v4, 0, b, 12, 4);
            return Endpoint.of(b, port);
        }
        return Endpoint.of(literal(address), port);
    }

    private static byte[] literal(String address) {
        try {
            return InetAddress.getByName(address.contains(":") ? "[" + address + "]" : address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    static SocketRecord tcp(SocketState state, String local, int localPort, String remote, int remotePort) {
        return SocketRecord.of(Protocol.TCP, state, ep(local, localPort), ep(remote, remotePort), 0, 0);
    }

    static SocketRecord tcp(SocketState state, String local, int localPort, String remote, int remotePort,
            long sendQueue, long receiveQueue) {
        return SocketRecord.of(Protocol.TCP, state, ep(local, localPort), ep(remote, remotePort), sendQueue,
                receiveQueue);
    }

    /** A TCP listener on {@code address:port} with an accept queue and backlog. */
    static SocketRecord listen(String address, int port, long acceptQueue, long backlog) {
        Endpoint local = ep(address, port);
        Endpoint any = local.family() == Family.IPV4 ? Endpoint.IPV4_ANY : Endpoint.IPV6_ANY;
        return SocketRecord.of(Protocol.TCP, SocketState.LISTEN, local, any, backlog, acceptQueue);
    }

    static SocketRecord listen(String address, int port) {
        return listen(address, port, 0, 128);
    }

    static SocketRecord udp(String address, int port) {
        Endpoint local = ep(address, port);
        Endpoint any = local.family() == Family.IPV4 ? Endpoint.IPV4_ANY : Endpoint.IPV6_ANY;
        return SocketRecord.of(Protocol.UDP, SocketState.UNCONN, local, any, 0, 0);
    }

    /** A full record with a uid and inode, as procfs gives them. */
    static SocketRecord full(SocketState state, String local, int localPort, String remote, int remotePort,
            long uid, long inode) {
        Endpoint l = ep(local, localPort);
        return new SocketRecord(Protocol.TCP, l.family(), state, l, ep(remote, remotePort), 0, 0, uid, inode,
                0, 0, 0);
    }

    static SocketTable table(List<SocketRecord> sockets) {
        return new SocketTable("fake", sockets,
                List.of(new FileReport("net/tcp", true, sockets.size(), 0, List.of(), null)));
    }

    /** A table from a source that knows {@code knows}. */
    static SocketTable table(List<SocketRecord> sockets, SourceCapabilities knows) {
        return new SocketTable("fake", sockets,
                List.of(new FileReport("net/tcp", true, sockets.size(), 0, List.of(), null)), knows, 0);
    }

    /** Counters with the ephemeral range and a few netstat -s values. */
    static NetStats stats() {
        return new NetStats(
                Map.of("Tcp", Map.of("ActiveOpens", 42L, "PassiveOpens", 7L, "RetransSegs", 3L),
                        "TcpExt", Map.of("ListenOverflows", 5L),
                        "Udp", Map.of("InDatagrams", 100L, "NoPorts", 2L),
                        "Udp6", Map.of("InDatagrams", 60L)),
                Map.of("TCP", Map.of("inuse", 4L, "tw", 1L)), EPHEMERAL, List.of());
    }

    static Snapshot snapshot(List<SocketRecord> sockets) {
        return new Snapshot(Instant.parse("2026-11-24T18:00:00Z"), "testhost", table(sockets), stats(),
                Duration.ofMillis(12), System.nanoTime());
    }

    /** A clock that moves one second on at each reading, so that every collection has its own timestamp. */
    static Clock tickingClock() {
        return new Clock() {
            private long seconds = Instant.parse("2026-11-24T18:00:00Z").getEpochSecond();

            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }

            @Override
            public synchronized Instant instant() {
                return Instant.ofEpochSecond(seconds++);
            }
        };
    }
}
