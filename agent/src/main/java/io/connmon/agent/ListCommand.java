package io.connmon.agent;

import io.connmon.parser.attribution.Attribution;
import io.connmon.parser.attribution.SocketOwners;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.source.SocketRequest;
import io.connmon.parser.source.SourceException;

import io.connmon.exporter.QueryException;
import io.connmon.exporter.Snapshot;
import io.connmon.exporter.SnapshotJson;
import io.connmon.exporter.SnapshotService;
import io.connmon.exporter.SocketQuery;
import io.connmon.exporter.NetstatTable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code connmon list}: a one-shot, netstat-like table (or the /snapshot JSON). */
@Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"List sockets once, like netstat -tuan.",
            "Without -a or -l, connected sockets are listed (as netstat does); -l lists listening ones, -a all.",
            "Examples:  connmon list -tln    connmon list -tan --port 80    connmon list --state time_wait"})
final class ListCommand implements Runnable {

    @Option(names = {"-t", "--tcp"}, description = "TCP sockets.")
    boolean tcp;

    @Option(names = {"-u", "--udp"}, description = "UDP sockets.")
    boolean udp;

    @Option(names = {"-l", "--listening"}, description = "Only listening sockets (TCP LISTEN, unconnected UDP).")
    boolean listening;

    @Option(names = {"-a", "--all"}, description = "Listening and connected sockets.")
    boolean all;

    @Option(names = {"-4"}, description = "IPv4 only.")
    boolean ipv4;

    @Option(names = {"-6"}, description = "IPv6 only.")
    boolean ipv6;

    @Option(names = {"-n", "--numeric"}, description = "Numeric addresses and ports (always so; accepted for habit).")
    boolean numeric;

    @Option(names = "--state", paramLabel = "STATE", split = ",",
            description = "Only these states (netstat or ss names: time_wait, close-wait, estab, ...). Repeatable.")
    List<String> states = new ArrayList<>();

    @Option(names = "--port", paramLabel = "PORT", description = "Only sockets with this port on either side.")
    Integer port;

    @Option(names = {"-p", "--programs"}, description = "Show the PID/Program name owning each socket "
            + "(other users' processes need root or CAP_SYS_PTRACE).")
    boolean programs;

    @Option(names = "--json", description = "Print the /snapshot JSON document instead of a table.")
    boolean json;

    @Option(names = {"-o", "--timers"}, description = "Show each socket's timer, as netstat -o: kind (seconds left/"
            + "retransmits/0).")
    boolean timers;

    @Option(names = {"-i", "--info"}, description = "Show TCP internals (rtt, retransmits, bytes acked and received, "
            + "delivery rate) as ss -ti does; needs the netlink source.")
    boolean info;

    @Mixin
    SourceOptions source;

    @Mixin
    NetnsOptions netns;

    @Override
    public void run() {
        LogSetup.configure("warn");
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (tcp != udp) {
            params.put("protocol", List.of(tcp ? "tcp" : "udp"));
        }
        if (ipv4 != ipv6) {
            params.put("family", List.of(ipv4 ? "ipv4" : "ipv6"));
        }
        for (String st : states) {
            if (SocketState.fromName(st.trim()) == null) {
                throw new Main.UserError("--state " + st + ": expected " + SocketQuery.STATE_NAMES, 2);
            }
        }
        if (port != null && (port < 0 || port > 65535)) {
            throw new Main.UserError("--port " + port + ": expected a port number, 0 to 65535", 2);
        }
        if (!states.isEmpty()) {
            params.put("state", states);
        } else if (listening && !all) {
            params.put("state", List.of("listen", "unconn"));
        } else if (!all) {
            // netstat without -a or -l: everything but listening sockets
            List<String> connected = new ArrayList<>();
            for (SocketState st : SocketState.values()) {
                if (st != SocketState.LISTEN && st != SocketState.UNCONN && st != SocketState.UNKNOWN) {
                    connected.add(st.name());
                }
            }
            params.put("state", connected);
        }
        if (port != null) {
            params.put("port", List.of(port.toString()));
        }
        SocketQuery query;
        try {
            query = SocketQuery.parse(params);
        } catch (QueryException e) {
            // Every flag is checked above; this would be a flag-to-filter mistake of connmon's own.
            throw new IllegalStateException(e.getMessage(), e);
        }
        NetnsOptions.Opened choice = netns.open(source, true);
        Snapshot snapshot;
        SocketOwners owners = programs ? new SocketOwners(ServeCommand.attributionRoot(source.procRoot),
                Duration.ofMinutes(1)) : null;
        try (var src = choice.source()) {
            // what the filters ask, so a source that can filters in the kernel (-tln costs the same at any size)
            snapshot = new SnapshotService(src, choice.stats(), Duration.ZERO, owners)
                    .collect(request(params));
        } catch (SourceException e) {
            throw new Main.UserError(e.getMessage(), 1);
        }
        if (!netns.host() && snapshot.table().namespaces().isEmpty()) {
            throw new Main.UserError("--netns " + netns.netns + ": no network namespace matches (an ip netns name, "
                    + "a pid in it, or its inode as lsns -t net shows it)", 1);
        }
        for (var ns : snapshot.table().namespaces()) {
            if (ns.error() != null) {
                System.err.println("connmon: netns " + ns.id() + " skipped: " + ns.error());
            }
        }
        if (owners != null) {
            warnIfNotAllIdentified(snapshot.attribution(), owners);
        }
        for (FileReport r : snapshot.table().inputs()) {
            if (r.failed()) { // what it would have held is unknown: say so rather than list fewer sockets quietly
                System.err.println("connmon: input " + r.name() + " failed (" + r.error()
                        + "): its sockets are not listed");
            }
        }
        if (json) {
            try {
                SnapshotJson.write(snapshot, query, System.out, true);
                System.out.println();
                System.out.flush();
            } catch (IOException e) {
                throw new Main.UserError("cannot write: " + e.getMessage(), 1);
            }
            return;
        }
        if (timers && !snapshot.table().knows().timers()) {
            System.err.println("connmon: the " + snapshot.source() + " source knows no timers: the Timer column shows off");
        }
        if (info && !snapshot.table().knows().tcpInfo()) {
            System.err.println("connmon: the " + snapshot.source() + " source cannot read tcp_info (-i needs netlink)");
        }
        var table = snapshot.table();
        NetstatTable.write(snapshot.sockets(), query, -1, System.out, programs ? snapshot.attribution() : null,
                timers, info, netns.host() ? null : r -> NetnsOptions.column(table, r));
    }

    /** The sockets the filters ask for: protocols, families and states (all when a state name is a group). */
    private SocketRequest request(Map<String, List<String>> params) {
        Set<Protocol> protocols = EnumSet.allOf(Protocol.class);
        if (tcp != udp) {
            protocols = EnumSet.of(tcp ? Protocol.TCP : Protocol.UDP);
        }
        Set<Family> families = EnumSet.allOf(Family.class);
        if (ipv4 != ipv6) {
            families = EnumSet.of(ipv4 ? Family.IPV4 : Family.IPV6);
        }
        Set<SocketState> wanted = EnumSet.noneOf(SocketState.class);
        for (String name : params.getOrDefault("state", List.of())) {
            for (String one : name.split(",")) {
                SocketState st = SocketState.fromName(one);
                if (st == null) {
                    wanted.clear(); // a name the kernel filter cannot express: read all, filter here
                    return new SocketRequest(protocols, families, Set.of(), info);
                }
                wanted.add(st);
            }
        }
        return new SocketRequest(protocols, families, wanted, info);
    }

    /**
     * One line on stderr, as netstat -p prints, when sockets stay without owner because processes could not be
     * read for want of privilege.
     */
    private static void warnIfNotAllIdentified(Attribution a, SocketOwners owners) {
        String problem = owners.privilegeProblem();
        if (a.unattributed() == 0 || (a.deniedProcesses() == 0 && problem == null)) {
            return;
        }
        int d = a.deniedProcesses();
        System.err.println("(Not all processes could be identified: " + (problem != null
                ? problem + "; run as root with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to see them all.)"
                : "the descriptors of " + d + (d == 1 ? " process" : " processes") + " cannot be read.)"));
        System.err.flush();
    }
}
