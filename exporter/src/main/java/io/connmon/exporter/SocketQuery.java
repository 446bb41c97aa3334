package io.connmon.exporter;

import io.connmon.parser.attribution.SocketOwner;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A filter over sockets, the conditions ANDed, as {@code /snapshot} and {@code connmon list} take it.
 *
 * <pre>{@code
 * SocketQuery q = SocketQuery.parse(Map.of("state", List.of("time_wait"), "port", List.of("443")));
 * }</pre>
 *
 * @param protocols accepted protocols; empty: any
 * @param families accepted families; empty: any
 * @param states accepted states; empty: any
 * @param port a port on either side, or -1
 * @param localPort the local port, or -1
 * @param remotePort the remote port, or -1
 * @param address an address range either side must lie in, or {@code null}
 * @param limit the most sockets to list, or -1 for all
 * @param pid the owning process id, or -1 (needs process attribution)
 * @param process the owning process name, or {@code null} (needs process attribution)
 * @param netns a network namespace (inode, {@code ip netns} name, {@code pid:PID} or a pid), or {@code null}
 */
public record SocketQuery(Set<Protocol> protocols, Set<Family> families, Set<SocketState> states, int port,
        int localPort, int remotePort, AddressRange address, int limit, int pid, String process, String netns)
        implements Predicate<SocketRecord> {

    /** Matches everything. */
    public static final SocketQuery ALL = new SocketQuery(Set.of(), Set.of(), Set.of(), -1, -1, -1, null, -1);

    /**
     * The parameters {@code /snapshot} accepts, as its landing page and its 400 answers list them: the filters
     * {@link #parse} knows, {@code pretty}, which indents the document, and {@code info}, which asks for each TCP
     * socket's tcp_info; neither of the last two filters anything.
     */
    public static final List<String> PARAMETERS = List.of("protocol", "family", "state", "port", "local_port",
            "remote_port", "address", "limit", "pid", "process", "pretty", "info", "netns");

    /** A query without a namespace condition. */
    public SocketQuery(Set<Protocol> protocols, Set<Family> families, Set<SocketState> states, int port,
            int localPort, int remotePort, AddressRange address, int limit, int pid, String process) {
        this(protocols, families, states, port, localPort, remotePort, address, limit, pid, process, null);
    }

    /**
     * Which of {@code table}'s namespaces the {@code netns} condition accepts, by index; {@code null} when there is
     * no such condition.
     */
    public boolean[] namespacesIn(io.connmon.parser.model.SocketTable table) {
        if (netns == null) {
            return null;
        }
        boolean[] in = new boolean[Math.max(1, table.namespaces().size())];
        for (int i = 0; i < table.namespaces().size(); i++) {
            in[i] = table.namespaces().get(i).matches(netns);
        }
        return in;
    }

    /** A query without owner conditions. */
    public SocketQuery(Set<Protocol> protocols, Set<Family> families, Set<SocketState> states, int port,
            int localPort, int remotePort, AddressRange address, int limit) {
        this(protocols, families, states, port, localPort, remotePort, address, limit, -1, null);
    }

    /**
     * Why this query cannot be answered from {@code s}, or {@code null}: a condition on the owning process when
     * the snapshot was collected without process attribution (every socket would silently fail to match).
     */
    public QueryException refusal(Snapshot s) {
        if (!needsOwner() || s.attribution().enabled()) {
            return null;
        }
        String name = pid >= 0 ? "pid" : "process";
        return new QueryException(name, "parameter '" + name + "' needs process attribution, which is off",
                "a query without pid and process, or connmon serve started with --attribution on "
                        + "(CONNMON_ATTRIBUTION=on)");
    }

    /** Whether the query has conditions on the owning process. */
    public boolean needsOwner() {
        return pid >= 0 || process != null;
    }

    /** Whether the socket, owned by {@code owner} (null if unknown), matches. */
    public boolean test(SocketRecord r, SocketOwner owner) {
        if (pid >= 0 && (owner == null || owner.pid() != pid)) {
            return false;
        }
        if (process != null && (owner == null || !owner.process().equals(process))) {
            return false;
        }
        return test(r);
    }

    public SocketQuery {
        protocols = protocols.isEmpty() ? Set.of() : Set.copyOf(protocols);
        families = families.isEmpty() ? Set.of() : Set.copyOf(families);
        states = states.isEmpty() ? Set.of() : Set.copyOf(states);
    }

    /** Whether the socket matches the conditions other than those on its owner. */
    @Override
    public boolean test(SocketRecord r) {
        return (protocols.isEmpty() || protocols.contains(r.protocol()))
                && (families.isEmpty() || families.contains(r.family()))
                && (states.isEmpty() || states.contains(r.state()))
                && (port < 0 || r.localPort() == port || r.remotePort() == port)
                && (localPort < 0 || r.localPort() == localPort)
                && (remotePort < 0 || r.remotePort() == remotePort)
                && (address == null || address.contains(r.local()) || address.contains(r.remote()));
    }

    /**
     * Parses query parameters. {@code protocol}, {@code family} and {@code state} may repeat or hold
     * comma-separated values (any of them matches); the others take one value.
     *
     * @throws QueryException naming the first unknown parameter or bad value
     */
    public static SocketQuery parse(Map<String, List<String>> params) throws QueryException {
        for (String name : params.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new QueryException(name, "unknown parameter '" + name + "'",
                        "one of " + String.join(", ", PARAMETERS));
            }
        }
        Set<Protocol> protocols = EnumSet.noneOf(Protocol.class);
        // "pretty" and "info" are for the renderer and the collection (the HTTP handler takes them out first):
        // accepted, never a condition.
        for (String v : values(params, "protocol")) {
            Protocol p = Protocol.fromLabel(v);
            if (p == null) {
                throw bad("protocol", v, "tcp or udp");
            }
            protocols.add(p);
        }
        Set<Family> families = EnumSet.noneOf(Family.class);
        for (String v : values(params, "family")) {
            Family f = Family.fromLabel(v);
            if (f == null) {
                throw bad("family", v, "ipv4 or ipv6 (or 4, 6)");
            }
            families.add(f);
        }
        Set<SocketState> states = EnumSet.noneOf(SocketState.class);
        for (String v : values(params, "state")) {
            SocketState s = SocketState.fromName(v);
            if (s == null) {
                throw bad("state", v, STATE_NAMES);
            }
            states.add(s);
        }
        int port = port(params, "port");
        int localPort = port(params, "local_port");
        int remotePort = port(params, "remote_port");
        AddressRange address = null;
        String a = single(params, "address");
        if (a != null) {
            try {
                address = AddressRange.parse(a);
            } catch (IllegalArgumentException e) {
                throw new QueryException("address", "bad value for parameter 'address': " + e.getMessage(),
                        "an IP address or CIDR block, such as 10.0.0.0/8, 127.0.0.1 or 2001:db8::/32");
            }
        }
        int limit = -1;
        String l = single(params, "limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                limit = -2;
            }
            if (limit < 0) {
                throw bad("limit", l, "a whole number, 0 or more");
            }
        }
        int pid = -1;
        String p = single(params, "pid");
        if (p != null) {
            try {
                pid = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                pid = -2;
            }
            if (pid < 1) {
                throw bad("pid", p, "a process id, 1 or more");
            }
        }
        String process = single(params, "process");
        if (process != null && process.isEmpty()) {
            throw bad("process", process, "a process name as ps shows it (comm), such as nginx");
        }
        String netns = single(params, "netns");
        if (netns != null && netns.isEmpty()) {
            throw bad("netns", netns, "a network namespace: its inode (lsns -t net), ip netns name, or a pid in it");
        }
        return new SocketQuery(protocols, families, states, port, localPort, remotePort, address, limit, pid,
                process, netns);
    }

    /** What a state condition accepts, for messages. */
    public static final String STATE_NAMES = "one of established, syn_sent, syn_recv, fin_wait1, fin_wait2, time_wait, "
            + "close, close_wait, last_ack, listen, closing, new_syn_recv, unconn (any case; ss spellings too)";

    private static QueryException bad(String name, String value, String accepts) {
        return new QueryException(name, "bad value for parameter '" + name + "': '" + value + "'", accepts);
    }

    private static List<String> values(Map<String, List<String>> params, String name) throws QueryException {
        List<String> raw = params.get(name);
        if (raw == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String v : raw) {
            for (String part : v.split(",", -1)) {
                out.add(part.trim());
            }
        }
        return out;
    }

    private static String single(Map<String, List<String>> params, String name) throws QueryException {
        List<String> raw = params.get(name);
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        if (raw.size() > 1) {
            throw new QueryException(name, "parameter '" + name + "' given more than once", "a single value");
        }
        return raw.get(0).trim();
    }

    private static int port(Map<String, List<String>> params, String name) throws QueryException {
        String v = single(params, name);
        if (v == null) {
            return -1;
        }
        try {
            int p = Integer.parseInt(v);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw bad(name, v, "a port number, 0 to 65535");
    }
}
