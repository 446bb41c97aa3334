package io.connmon.exporter;

import io.connmon.parser.attribution.Attribution;
import io.connmon.parser.attribution.SocketOwner;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.TcpInfo;

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
        return write(sockets, filter, limit, out, owners, false, false);
    }

    /**
     * As {@link #write(List, Predicate, int, PrintStream, Attribution)}, with netstat -o's {@code Timer} column
     * ({@code keepalive (7186.87/0/0)}: kind, seconds left, retransmits) when {@code timers}, and when
     * {@code info} a second, indented line per TCP socket with its tcp_info as {@code ss -ti} prints it
     * ({@code rtt:0.013/0.006 retrans:0 bytes_acked:6 bytes_received:2 delivery_rate:32768000000bps}).
     */
    public static int write(List<SocketRecord> sockets, Predicate<SocketRecord> filter, int limit, PrintStream out,
            Attribution owners, boolean timers, boolean info) {
        return write(sockets, filter, limit, out, owners, timers, info, null);
    }

    /**
     * As {@link #write(List, Predicate, int, PrintStream, Attribution, boolean, boolean)}, with a first
     * {@code Netns} column of {@code netns} (its text for each socket) when it is not null.
     */
    public static int write(List<SocketRecord> sockets, Predicate<SocketRecord> filter, int limit, PrintStream out,
            Attribution owners, boolean timers, boolean info, java.util.function.Function<SocketRecord, String> netns) {
        if (netns != null) {
            int width = "Netns".length();
            for (SocketRecord r : sockets) {
                if (filter.test(r)) {
                    width = Math.max(width, netns.apply(r).length());
                }
            }
            String pad = "%-" + width + "s ";
            PrintStream prefixed = new PrintStream(new java.io.OutputStream() {
                private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
                private final java.util.Iterator<SocketRecord> rows = sockets.stream().filter(filter).iterator();
                private boolean header = true;

                @Override
                public void write(int b) {
                    line.write(b);
                    if (b == '\n') {
                        String text = line.toString(java.nio.charset.StandardCharsets.UTF_8);
                        line.reset();
                        String first;
                        if (header) {
                            first = "Netns";
                            header = false;
                        } else if (text.startsWith("\t")) {
                            first = ""; // the -i line under its socket
                        } else {
                            first = rows.hasNext() ? netns.apply(rows.next()) : "";
                        }
                        out.print(String.format(pad, first) + text);
                    }
                }
            }, false, java.nio.charset.StandardCharsets.UTF_8);
            int n = write(sockets, filter, limit, prefixed, owners, timers, info, null);
            prefixed.flush();
            out.flush();
            return n;
        }
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
                localWidth = Math.max(localWidth, r.localText().length());
                remoteWidth = Math.max(remoteWidth, r.remoteText().length());
                receiveWidth = Math.max(receiveWidth, Long.toString(r.receiveQueue()).length());
                sendWidth = Math.max(sendWidth, Long.toString(r.sendQueue()).length());
            }
        }
        // netstat's own widths are 23; keep them as the minimum so the look is familiar.
        localWidth = Math.max(localWidth, 23);
        remoteWidth = Math.max(remoteWidth, 23);
        String format = "%-5s %" + receiveWidth + "s %" + sendWidth + "s %-" + localWidth + "s %-" + remoteWidth
                + "s " + (owners == null && !timers ? "%s%s%n" : "%-12s%s%n");
        if (timers && owners != null) {
            format = format.replace("%-12s%s%n", "%-12s%-19s %s%n");
        } else if (timers) {
            format = format.replace("%-12s%s%n", "%-12s%s%s%n");
        }
        StringBuilder sb = new StringBuilder();
        sb.append(timers
                ? String.format(format, "Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address", "State",
                        owners == null ? "Timer" : "PID/Program name", owners == null ? "" : "Timer").stripTrailing()
                : String.format(format, "Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address", "State",
                        owners == null ? "" : "PID/Program name").stripTrailing()).append('\n');
        for (SocketRecord r : rows) {
            String proto = r.protocol().label() + (r.family() == Family.IPV6 ? "6" : "");
            String owner = "";
            if (owners != null) {
                SocketOwner o = owners.ownerOf(r);
                owner = o == null ? "-" : o.toString();
            }
            if (timers) {
                sb.append(String.format(format, proto, r.receiveQueue(), r.sendQueue(), r.localText(), r.remoteText(),
                        r.state().name(), owners == null ? timer(r) : owner, owners == null ? "" : timer(r)));
            } else {
                sb.append(String.format(format, proto, r.receiveQueue(), r.sendQueue(), r.localText(), r.remoteText(),
                        r.state().name(), owner));
            }
            if (info && r.tcpInfo() != null) {
                sb.append('\t').append(tcpInfo(r.tcpInfo())).append('\n');
            }
            if (sb.length() > 1 << 16) {
                out.print(sb);
                sb.setLength(0);
            }
        }
        out.print(sb);
        out.flush();
        return rows.size();
    }

    private static final String[] TIMERS = {"off", "on", "keepalive", "timewait", "probe"};

    /**
     * netstat's name of a timer code: 0 {@code off}, 1 {@code on} (retransmit), 2 {@code keepalive}, 3
     * {@code timewait}, 4 {@code probe} (zero-window probe), any other {@code unkn-N}.
     */
    static String timerName(int code) {
        return code >= 0 && code < TIMERS.length ? TIMERS[code] : "unkn-" + code;
    }

    /** netstat -o's Timer column: {@code keepalive (7186.87/0/0)}, kind, seconds left, retransmits. */
    static String timer(SocketRecord r) {
        int t = r.timerActive();
        String name = timerName(t);
        double seconds = r.expiresMillis() >= 0 ? r.expiresMillis() / 1000.0 : r.timerJiffies() / 100.0;
        if (t == 0) {
            seconds = 0;
        }
        return String.format(java.util.Locale.ROOT, "%s (%.2f/%d/0)", name, seconds, r.retransmits());
    }

    /** tcp_info as {@code ss -ti} prints it; a field the kernel did not send is left out. */
    static String tcpInfo(TcpInfo t) {
        StringBuilder sb = new StringBuilder();
        if (t.rttMicros() >= 0) {
            sb.append(String.format(java.util.Locale.ROOT, "rtt:%.3f/%.3f", t.rttMicros() / 1000.0,
                    t.rttVarMicros() / 1000.0));
        }
        if (t.retransmits() >= 0) {
            sb.append(" retrans:").append(t.retransmits());
        }
        if (t.bytesAcked() >= 0) {
            sb.append(" bytes_acked:").append(t.bytesAcked());
        }
        if (t.bytesReceived() >= 0) {
            sb.append(" bytes_received:").append(t.bytesReceived());
        }
        if (t.deliveryRate() >= 0) {
            sb.append(" delivery_rate:").append(t.deliveryRate() * 8).append("bps");
        }
        return sb.toString().trim();
    }
}
