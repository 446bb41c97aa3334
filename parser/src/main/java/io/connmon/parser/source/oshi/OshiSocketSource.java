package io.connmon.parser.source.oshi;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import oshi.SystemInfo;
import oshi.software.os.InternetProtocolStats.IPConnection;
import oshi.software.os.InternetProtocolStats.TcpState;

/**
 * The fallback source: OSHI's {@code InternetProtocolStats.getConnections()}.
 *
 * <p>OSHI's quirks stop here. On Linux its UDP rows carry TCP states (an unconnected socket comes back as
 * {@code CLOSED}), which become {@link SocketState#UNCONN}; its address bytes are byte-swapped per 32-bit word
 * on the assumption of a little-endian host, which is undone on a big-endian one. It knows neither uid nor inode
 * (reported as -1 and 0), and it walks every {@code /proc/*}{@code /fd} on each call, so it is slow: about
 * 1.3 s at 100,000 sockets.
 */
public final class OshiSocketSource implements SocketSource {

    private final Supplier<List<IPConnection>> connections;
    private final boolean swapWords;

    /** A source backed by this machine's OSHI. */
    public OshiSocketSource() {
        this(() -> new SystemInfo().getOperatingSystem().getInternetProtocolStats().getConnections(),
                ByteOrder.nativeOrder());
    }

    /** A source over the given listing, as OSHI produces it on a host of the given byte order (for tests). */
    public OshiSocketSource(Supplier<List<IPConnection>> connections, ByteOrder hostOrder) {
        this.connections = connections;
        this.swapWords = hostOrder == ByteOrder.BIG_ENDIAN;
    }

    @Override
    public String name() {
        return "oshi";
    }

    @Override
    public SocketTable collect() throws SourceException {
        List<IPConnection> rows;
        try {
            rows = connections.get();
        } catch (RuntimeException | LinkageError e) {
            throw new SourceException("OSHI could not list connections: " + e, e);
        }
        if (rows == null || rows.isEmpty()) {
            // On Linux OSHI parses the same /proc/net tables: nothing from it means it cannot see, not "no sockets".
            throw new SourceException("OSHI found no sockets at all (it reads the same /proc/net tables): "
                    + "nothing to report");
        }
        List<SocketRecord> sockets = new ArrayList<>(rows.size());
        long skipped = 0;
        List<String> problems = new ArrayList<>();
        int row = 0;
        for (IPConnection c : rows) {
            row++;
            try {
                sockets.add(toRecord(c));
            } catch (RuntimeException e) {
                skipped++;
                if (problems.size() < FileReport.MAX_PROBLEMS) {
                    problems.add("row " + row + ": " + e.getMessage());
                }
            }
        }
        return new SocketTable(name(), sockets,
                List.of(new FileReport("oshi:connections", true, sockets.size(), skipped, problems, null)));
    }

    SocketRecord toRecord(IPConnection c) {
        String type = c.getType();
        Protocol protocol;
        if (type.startsWith("tcp")) {
            protocol = Protocol.TCP;
        } else if (type.startsWith("udp")) {
            protocol = Protocol.UDP;
        } else {
            throw new IllegalArgumentException("unknown type " + type);
        }
        Endpoint local = Endpoint.of(fix(c.getLocalAddress()), c.getLocalPort());
        Endpoint remote = Endpoint.of(fix(c.getForeignAddress()), c.getForeignPort());
        if (local.family() != remote.family()) {
            throw new IllegalArgumentException("local and foreign address families differ");
        }
        SocketState state = protocol == Protocol.UDP ? udpState(c.getState()) : tcpState(c.getState());
        return SocketRecord.of(protocol, state, local, remote,
                Integer.toUnsignedLong(c.getTransmitQueue()), Integer.toUnsignedLong(c.getReceiveQueue()));
    }

    private byte[] fix(byte[] address) {
        if (address == null || address.length == 0) {
            throw new IllegalArgumentException("no address");
        }
        if (!swapWords) {
            return address;
        }
        byte[] b = address.clone();
        for (int i = 0; i + 3 < b.length; i += 4) {
            byte t = b[i];
            b[i] = b[i + 3];
            b[i + 3] = t;
            t = b[i + 1];
            b[i + 1] = b[i + 2];
            b[i + 2] = t;
        }
        return b;
    }

    private static SocketState udpState(TcpState s) {
        if (s == TcpState.ESTABLISHED) {
            return SocketState.ESTABLISHED;
        }
        return s == TcpState.CLOSED ? SocketState.UNCONN : SocketState.UNKNOWN;
    }

    static SocketState tcpState(TcpState s) {
        switch (s) {
            case ESTABLISHED:
                return SocketState.ESTABLISHED;
            case SYN_SENT:
                return SocketState.SYN_SENT;
            case SYN_RECV:
                return SocketState.SYN_RECV;
            case FIN_WAIT_1:
                return SocketState.FIN_WAIT1;
            case FIN_WAIT_2:
                return SocketState.FIN_WAIT2;
            case TIME_WAIT:
                return SocketState.TIME_WAIT;
            case CLOSED:
                return SocketState.CLOSE;
            case CLOSE_WAIT:
                return SocketState.CLOSE_WAIT;
            case LAST_ACK:
                return SocketState.LAST_ACK;
            case LISTEN:
                return SocketState.LISTEN;
            case CLOSING:
                return SocketState.CLOSING;
            default:
                return SocketState.UNKNOWN;
        }
    }
}
