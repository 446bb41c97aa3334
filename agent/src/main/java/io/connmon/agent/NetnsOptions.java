package io.connmon.agent;

import io.connmon.exporter.Snapshot;
import io.connmon.exporter.SnapshotService;
import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.model.ContainerRef;
import io.connmon.parser.model.NetNamespace;
import io.connmon.parser.source.netns.NamespacePortRange;
import io.connmon.parser.source.netns.NamespacesSocketSource;
import io.connmon.parser.netns.NetnsDiscovery;
import io.connmon.parser.source.netns.SingleNamespaceSource;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SocketSources;
import io.connmon.parser.source.SourceKind;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;
import java.util.logging.Logger;
import picocli.CommandLine.Option;

/** {@code --netns}, shared by serve and list, and the source it makes of {@link SourceOptions}. */
final class NetnsOptions {

    private static final Logger LOG = Logger.getLogger("connmon");
    static final Path NETNS_DIR = Path.of("/var/run/netns");

    @Option(names = "--netns", paramLabel = "host|all", defaultValue = "${env:CONNMON_NETNS:-host}",
            description = "Which network namespaces to read: host (connmon's own, or --proc-root's) or all (every "
                    + "namespace a process lives in, and those bind-mounted in /var/run/netns and /run/docker/netns; "
                    + "netlink where CAP_SYS_ADMIN allows setns, else /proc/PID/net, which cannot read a namespace "
                    + "no process lives in). "
                    + "list also takes one namespace: an ip netns name, a pid or a namespace inode. "
                    + "Env CONNMON_NETNS. Default: ${DEFAULT-VALUE}.")
    String netns;

    /** What {@link #open} made: the source, why, and the counters' reader. */
    record Opened(SocketSource source, String reason, NetStatReader stats) {
    }

    boolean host() {
        return "host".equals(netns);
    }

    boolean all() {
        return "all".equals(netns);
    }

    /**
     * The source for {@code --netns} over {@code --source}/{@code --proc-root}; {@code single} allows one
     * namespace by name, pid or inode (list), else only host and all (serve).
     */
    Opened open(SourceOptions src, boolean single) {
        if (netns == null || netns.isBlank()) {
            throw new Main.UserError("--netns: expected host or all" + (single ? ", a name, pid or inode" : ""), 2);
        }
        if (host()) {
            SocketSources.Choice choice = src.choose();
            NetStatReader stats = new NetStatReader(src.procRoot);
            String note = null;
            // a process's directory (/proc/PID): its namespace's port range is not below it (no /proc/PID/sys)
            if (!SocketSources.isDefault(src.procRoot) && java.nio.file.Files.exists(src.procRoot.resolve("ns/net"),
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                NamespacePortRange range = NamespacePortRange.of(src.procRoot.resolve("ns/net"));
                if (range.get() != null) {
                    stats = new NetStatReader(src.procRoot, range);
                } else {
                    note = range.problem();
                    LOG.warning("--proc-root " + src.procRoot + ": " + note
                            + ": the connmon_ephemeral_ports families are left out");
                    range.close();
                }
            }
            return new Opened(new SingleNamespaceSource(choice.source(), src.procRoot, NETNS_DIR, note),
                    choice.reason(), stats);
        }
        if (!all() && !single) {
            throw new Main.UserError("--netns " + netns + ": expected host or all (one namespace: connmon list "
                    + "--netns NAME|PID|INODE)", 2);
        }
        SourceKind kind = src.source;
        if (kind == SourceKind.OSHI) {
            throw new Main.UserError("--netns " + netns + " reads namespaces with netlink or procfs, not --source oshi",
                    2);
        }
        if (!SocketSources.isDefault(src.procRoot) && src.procRoot.getFileName() != null
                && src.procRoot.getFileName().toString().matches("[0-9]+|self")) {
            throw new Main.UserError("--netns " + netns + " finds namespaces among the processes under --proc-root; "
                    + src.procRoot + " is one process's (give the proc mount, /proc)", 2);
        }
        String wanted = netns;
        // bind-mounted namespaces are looked for beside the host's own /proc only: under another proc root
        // (a host's, mounted into a container) this mount namespace's /var/run/netns is not that host's
        NetnsDiscovery discovery = new NetnsDiscovery(src.procRoot, NETNS_DIR, SocketSources.isDefault(src.procRoot)
                ? java.util.List.of(NETNS_DIR, NetnsDiscovery.DOCKER_NETNS_DIR) : java.util.List.of());
        // any pid in the namespace, not only the one connmon picks to stand for it: same net/tcp inode
        long pidKey = wanted.matches("[0-9]{1,7}") ? discovery.key(Integer.parseInt(wanted)) : -1;
        Predicate<NetNamespace> include = all() ? ns -> true
                : ns -> ns.matches(wanted) || pidKey >= 0 && ns.key() == pidKey;
        NamespacesSocketSource source = new NamespacesSocketSource(discovery, kind, include);
        String reason = "netns " + (all() ? "all" : netns) + ": every network namespace a process lives in or a"
                + " file holds, read by "
                + (kind == SourceKind.PROCFS ? "procfs (as configured)" : kind == SourceKind.NETLINK
                        ? "netlink (as configured)" : "netlink where setns works (CAP_SYS_ADMIN), else procfs")
                + "; each namespace's reader is logged once";
        return new Opened(source, reason, new NetStatReader(src.procRoot));
    }

    /** The {@code Netns} column's text of a socket: the namespace's name, else its id. */
    static String column(io.connmon.parser.model.SocketTable table, io.connmon.parser.model.SocketRecord r) {
        NetNamespace ns = table.namespaceOf(r);
        return ns == null ? "-" : ns.name() != null ? ns.name() : ns.id();
    }

    /** Logs each namespace's reader once, and each namespace skipped once (until it is read again). */
    static final class Log implements SnapshotService.Listener {
        private final Set<String> told = new HashSet<>();
        private final Set<String> skipped = new HashSet<>();

        @Override
        public synchronized void collected(Snapshot s) {
            Set<String> present = new HashSet<>();
            for (NetNamespace ns : s.table().namespaces()) {
                String id = ns.id();
                present.add(id);
                if (ns.error() != null) {
                    if (skipped.add(id)) {
                        LOG.warning("netns " + describe(ns) + ": skipped: " + ns.error());
                    }
                    continue;
                }
                skipped.remove(id);
                if (told.add(id)) {
                    LOG.info("netns " + describe(ns) + ": reader " + ns.reader() + ": " + ns.readerReason()
                            + (ns.inodeNote() != null ? "; " + ns.inodeNote() : ""));
                }
            }
            told.retainAll(present);
            skipped.retainAll(present);
        }

        @Override
        public void failed(String reason, Duration took) {
        }

        private static String describe(NetNamespace ns) {
            StringBuilder b = new StringBuilder(ns.id());
            if (ns.name() != null) {
                b.append(" (").append(ns.name()).append(')');
            }
            b.append(ns.pid() >= 0 ? " pid " + ns.pid() : " no process");
            ContainerRef c = ns.container();
            if (c.runtime() != null) {
                b.append(' ').append(c.runtime()).append(' ').append(c.id().substring(0, Math.min(12, c.id().length())));
            }
            if (c.podUid() != null) {
                b.append(" pod ").append(c.podUid());
            }
            if (c.unit() != null) {
                b.append(' ').append(c.unit());
            }
            return b.toString();
        }
    }
}
