package io.connmon.exporter;

import io.connmon.parser.attribution.Attribution;
import io.connmon.parser.attribution.SocketOwner;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.SocketRecord;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Renders sockets as {@code netstat -tan} does: Proto, Recv-Q, Send-Q, Local Address, Foreign Address, State.
 * Address and queue columns widen to their longest value rather than cutting it or losing the alignment.
 *
 * <pre>
 * Proto Recv-Q Send-Q Local Address           Foreign Address         State
 * tcp        0      0 127.0.0.1:9469          0.0.0.0:*               LISTEN
 * tcp6       0      0 [::1]:22                [::1]:51234             ESTABLISHED
 * </pre>
 */
public final class NetstatTable {

    private NetstatTable() {
    }

    /** Writes a header and one line per matching socket, in snapshot order; returns the number of lines. */
    public static int write(List<SocketRecord> sockets, Predicate<SocketRecord> filter, int limit, PrintStream out) {
        return write(sockets, filter, limit, out, null);
    }

    /**
     * As {@link #write(List, Predicate, int, PrintStream)}, with netstat -p's {@code PID/Program name} column
     * when {@code owners} is not null ({@code -} where the owner is not known).
     */
    public static int write(List<SocketRecord> sockets, Predicate<SocketRecord> filter, int limit, PrintStream out,
            Attribution owners) {
        List<SocketRecord> rows = new ArrayList<>();
        int localWidth = "Local Address".length();
        int remoteWidth = "Foreign Address".length();
        int receiveWidth = "Recv-Q".length();
        int sendWidth = "Send-Q".length();
        for (SocketRecord r : sockets) {
            if (limit >= 0 && rows.size() >= limit) {
                break;
            }
            if (filter.test(r)) {
                rows.add(r);
                localWidth = Math.max(localWidth, r.local().toString().length());
                remoteWidth = Math.max(remoteWidth, r.remote().toString().length());
                receiveWidth = Math.max(receiveWidth, Long.toString(r.receiveQueue()).length());
                sendWidth = Math.max(sendWidth, Long.toString(r.sendQueue()).length());
            }
        }
        // netstat's own widths are 23; keep them as the minimum so the look is familiar.
        localWidth = Math.max(localWidth, 23);
        remoteWidth = Math.max(remoteWidth, 23);
        String format = "%-5s %" + receiveWidth + "s %" + sendWidth + "s %-" + localWidth + "s %-" + remoteWidth
                + "s " + (owners == null ? "%s%s%n" : "%-12s%s%n");
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(format, "Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address", "State",
                owners == null ? "" : "PID/Program name").stripTrailing()).append('\n');
        for (SocketRecord r : rows) {
            String proto = r.protocol().label() + (r.family() == Family.IPV6 ? "6" : "");
            String owner = "";
            if (owners != null) {
                SocketOwner o = owners.ownerOf(r);
                owner = o == null ? "-" : o.toString();
            }
            sb.append(String.format(format, proto, r.receiveQueue(), r.sendQueue(), r.local(), r.remote(),
                    r.state().name(), owner));
            if (sb.length() > 1 << 16) {
                out.print(sb);
                sb.setLength(0);
            }
        }
        out.print(sb);
        out.flush();
        return rows.size();
    }
}
