package io.connmon.parser.source.netns;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.counters.NetStats;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.ContainerRef;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.NetNamespace;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.model.SourceCapabilities;
import io.connmon.parser.netns.NetnsDiscovery;
import io.connmon.parser.source.SocketRequest;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;
import io.connmon.parser.source.SourceKind;
import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;
import io.connmon.parser.source.netlink.DestroySubscription;
import io.connmon.parser.source.netlink.NamespaceHandle;
import io.connmon.parser.source.netlink.NetlinkSocketSource;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads the sockets of every network namespace on the host into one {@link SocketTable}, whose
 * {@link SocketTable#namespaces()} lists them and whose sockets each carry their namespace.
 *
 * <p>Each collection finds the namespaces anew ({@link NetnsDiscovery}: one {@code stat} per process) and reads
 * each one once, through one of two readers:
 * <ul>
 *   <li>{@code netlink}: sock_diag dumps from a netlink socket opened inside the namespace ({@code setns} on a
 *       thread of its own; needs CAP_SYS_ADMIN, and ptrace access to open {@code /proc/PID/ns/net}). It knows
 *       what the netlink source knows, and the namespace's {@code ip_local_port_range}.</li>
 *   <li>{@code procfs}: {@code /proc/PID/net/tcp}, {@code tcp6}, {@code udp}, {@code udp6} of a process in
 *       it; no capability. Another namespace's port range cannot be read this way (there is no
 *       {@code /proc/PID/sys}): it is reported unknown.</li>
 * </ul>
 * Netlink is used where it works (kind {@code AUTO}), procfs otherwise; {@code PROCFS} and {@code NETLINK} force
 * one ({@code NETLINK} skips a namespace it cannot enter). connmon's own namespace is read as
 * {@code /proc} is (netlink needs no capability there). Each namespace's counters ({@code net/snmp},
 * {@code netstat}, {@code snmp6}, {@code sockstat}) come from {@code /proc/PID/net}.
 *
 * <p>Namespaces no process lives in, held by a bind-mounted file ({@link NetnsDiscovery#boundNamespaces()}), are
 * read after the others: netlink enters them through the file; procfs cannot (there is no {@code /proc/PID/net}
 * without a process), so they are listed with why and no sockets, counted as skipped. One whose file names a
 * namespace a process lives in is read once, as that process's.
 *
 * <p>A namespace whose process exits between the scan and the read, or whose tables cannot be read, is listed
 * with its {@link NetNamespace#error()} and no sockets; the others stand. Readers are kept from one collection to
 * the next and closed when their namespace is no longer found (a held namespace file would keep it alive).
 */
public final class NamespacesSocketSource implements SocketSource {

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(
            NamespacesSocketSource.class.getName());

    private final NetnsDiscovery discovery;
    private final SourceKind kind;
    private final Predicate<NetNamespace> include; // which to read
    private final Map<Long, Entry> entries = new HashMap<>();
    private final Map<Long, Entry> bound = new HashMap<>(); // namespaces no process lives in, by inode
    private final Set<String> dirFaultsTold = new HashSet<>();
    private String name = "netns";
    private long skippedTotal;
    private NamespaceEvents events; // null until subscribed
    private int eventsBuffer;
    private final Map<Long, NamespaceEvents.Opener> followed = new HashMap<>(); // namespaces of the last collection
    private boolean procfsEventsNoted;

    /** Reads every namespace found under {@code procRoot}, with names from {@code netnsDir}. */
    public NamespacesSocketSource(Path procRoot, Path netnsDir, SourceKind kind) {
        this(new NetnsDiscovery(procRoot, netnsDir), kind, ns -> true);
    }

    /**
     * Reads the namespaces {@code discovery} finds that {@code include} accepts (it is given each namespace as
     * found: id, name, pid, container; no sockets yet).
     */
    public NamespacesSocketSource(NetnsDiscovery discovery, SourceKind kind, Predicate<NetNamespace> include) {
        this.discovery = discovery;
        this.kind = kind == null ? SourceKind.AUTO : kind;
        this.include = include;
    }

    /** The readers in use, as {@code netlink}, {@code procfs} or {@code netlink+procfs}. */
    @Override
    public synchronized String name() {
        return name;
    }

    /** Namespaces skipped (tables unreadable, process gone) since the source was made. */
    public synchronized long skippedTotal() {
        return skippedTotal;
    }

    @Override
    public SocketTable collect() throws SourceException {
        return collect(SocketRequest.ALL);
    }

    @Override
    public synchronized SocketTable collect(SocketRequest request) throws SourceException {
        List<NetnsDiscovery.Found> found = discovery.scan();
        followed.clear();
        long ownKey = discovery.ownKey();
        found = ownFirst(found, ownKey);
        Map<Long, String> names = null; // read once per collection, when first needed
        Acc acc = new Acc();
        Set<Long> seen = new HashSet<>();
        Set<Long> pidInodes = new HashSet<>(); // namespace inodes of the namespaces processes live in
        int unnamed = 0; // of those, how many have an inode that cannot be read
        for (NetnsDiscovery.Found f : found) {
            seen.add(f.key());
            Entry e = entries.get(f.key());
            if (e == null || e.pid != f.pid() && e.handle == null) {
                if (e != null) {
                    e.close();
                }
                if (names == null) {
                    names = discovery.names();
                }
                e = open(f, f.key() == ownKey, names);
                entries.put(f.key(), e);
            }
            e.pid = f.pid();
            if (e.inode >= 0) {
                pidInodes.add(e.inode);
            } else {
                unnamed++;
            }
            NetNamespace base = new NetNamespace(e.inode, f.key(), e.name, f.pid(), f.key() == ownKey, e.container,
                    e.reader, e.readerReason, e.inodeNote, NetStats.EMPTY, null, acc.at, 0, null);
            if (!include.test(base)) {
                continue;
            }
            if (failed(acc, e, base, request) && e.handle == null) {
                // a new process is picked next time; a netlink reader reopens itself
                entries.remove(f.key()).close();
            }
        }
        Set<Long> boundSeen = new HashSet<>();
        for (NetnsDiscovery.Bound b : discovery.boundNamespaces()) {
            if (pidInodes.contains(b.inode())) {
                continue; // a process lives in it: read above
            }
            boundSeen.add(b.inode());
            Entry e = bound.get(b.inode());
            if (!include.test(new NetNamespace(b.inode(), e == null ? -1 : e.key, b.name(), -1, false,
                    ContainerRef.NONE, e == null ? null : e.reader, e == null ? null : e.readerReason, null,
                    NetStats.EMPTY, null, acc.at, 0, null))) {
                continue;
            }
            if (e == null) {
                e = openBound(b);
                bound.put(b.inode(), e);
            }
            if (e.key >= 0 && seen.contains(e.key)) {
                continue; // a process's namespace whose inode could not be read: listed as pid:PID above
            }
            String reason = e.source != null ? e.readerReason : unreadBound(b, e.readerReason, unnamed);
            failed(acc, e, new NetNamespace(b.inode(), e.key, b.name(), -1, false, ContainerRef.NONE, e.reader,
                    reason, null, NetStats.EMPTY, null, acc.at, 0, null), request);
        }
        for (String fault : discovery.boundDirectoryFaults()) {
            if (dirFaultsTold.add(fault)) {
                LOG.warning(fault);
            }
        }
        dirFaultsTold.retainAll(discovery.boundDirectoryFaults());
        if (events != null) {
            events.sync(followed); // before the handles of namespaces gone are closed
        }
        for (Iterator<Map.Entry<Long, Entry>> it = entries.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Entry> me = it.next();
            if (!seen.contains(me.getKey())) {
                me.getValue().close();
                it.remove();
            }
        }
        // a held file keeps its namespace alive: let go of those no longer bind-mounted, or now a process's
        for (Iterator<Map.Entry<Long, Entry>> it = bound.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Entry> me = it.next();
            if (!boundSeen.contains(me.getKey())) {
                me.getValue().close();
                it.remove();
            }
        }
        List<NetNamespace> namespaces = acc.namespaces;
        if (!acc.anyRead && !found.isEmpty() && namespaces.stream().allMatch(n -> n.error() != null)
                && !namespaces.isEmpty()) {
            throw new SourceException("no network namespace could be read: " + namespaces.get(0).id()
                    + (namespaces.get(0).name() != null ? " (" + namespaces.get(0).name() + ")" : "") + ": "
                    + namespaces.get(0).error());
        }
        if (found.isEmpty()) {
            throw new SourceException("no process found under " + discovery.procRoot() + ": no namespace to read");
        }
        name = acc.readers.isEmpty() ? "netns" : String.join("+", acc.readers);
        int[] idx = new int[acc.lists.size()];
        int li = 0;
        for (int i = 0; i < namespaces.size(); i++) {
            if (namespaces.get(i).error() == null) {
                idx[li++] = i;
            }
        }
        return new SocketTable(name, CompactSocketList.concat(acc.lists, idx), acc.inputs,
                acc.knows == null ? SourceCapabilities.MINIMAL : acc.knows, acc.dropped, namespaces);
    }

    /** What a collection gathers, namespace by namespace. */
    private static final class Acc {
        final List<CompactSocketList> lists = new ArrayList<>();
        final List<NetNamespace> namespaces = new ArrayList<>();
        final List<FileReport> inputs = new ArrayList<>();
        final Set<String> readers = new java.util.TreeSet<>();
        long dropped;
        int at;
        boolean anyRead;
        SourceCapabilities knows;
    }

    /**
     * Reads the namespace {@code e} holds into {@code acc}, or lists it skipped with why.
     *
     * @return whether its tables failed to read this time (not: it has no reader)
     */
    private boolean failed(Acc acc, Entry e, NetNamespace base, SocketRequest request) {
        NamespaceEvents.Opener opener = eventsOpener(e);
        if (opener != null) {
            followed.put(base.key(), opener);
        } else if (e.source != null && events != null && !procfsEventsNoted) {
            procfsEventsNoted = true;
            LOG.info("destroy events: namespace " + base.id() + " is read through " + e.reader
                    + " (entering it needs CAP_SYS_ADMIN): its closed connections are not counted");
        }
        if (e.source == null) {
            acc.namespaces.add(skip(base, base.readerReason()));
            return false;
        }
        SocketTable t;
        try {
            t = e.source.collect(request);
            if (e.handle == null && discovery.key(base.pid()) != base.key()) {
                throw new SourceException("process " + base.pid() + " left the namespace during the read");
            }
        } catch (SourceException | RuntimeException ex) {
            acc.namespaces.add(skip(base, ex.getMessage()));
            return true;
        }
        acc.anyRead = true;
        acc.readers.add(e.reader);
        acc.knows = acc.knows == null ? t.knows() : and(acc.knows, t.knows());
        NetStats stats = e.stats.get();
        String rangeNote = null;
        if (stats.ephemeralPorts() == null) {
            PortRange r = e.portRange();
            if (r != null) {
                stats = new NetStats(stats.counters(), stats.sockstat(), r, stats.inputs());
            } else {
                rangeNote = e.portRangeNote;
            }
        }
        CompactSocketList list = CompactSocketList.copyOf(t.sockets());
        String prefix = base.id() + " ";
        for (FileReport r : t.inputs()) {
            acc.inputs.add(new FileReport(prefix + r.name(), r.present(), r.records(), r.skipped(), r.problems(),
                    r.error()));
        }
        acc.dropped += t.duplicatesDropped();
        acc.lists.add(list);
        acc.namespaces.add(new NetNamespace(base.inode(), base.key(), base.name(), base.pid(), base.own(),
                base.container(), e.reader, e.readerReason, base.inodeNote(), stats, rangeNote, acc.at, list.size(),
                null));
        acc.at += list.size();
        return false;
    }

    /**
     * One destroy-event feed over the namespaces read through netlink: a subscription per namespace, opened inside
     * it, all counted into one {@link ClosedConnections}. Namespaces are followed from the next collection on
     * (added when found, closed when gone); those read through procfs have none (logged once).
     */
    @Override
    public synchronized ConnectionEvents subscribeClosed(int closedMax, int receiveBufferBytes) throws IOException {
        if (receiveBufferBytes < 4096) {
            throw new IllegalArgumentException("receive buffer of " + receiveBufferBytes + " bytes: 4096 or more");
        }
        if (events != null) {
            events.close();
        }
        eventsBuffer = receiveBufferBytes;
        events = new NamespaceEvents(new ClosedConnections(closedMax));
        procfsEventsNoted = false;
        return events;
    }

    /** How to subscribe to the destroy events of the namespace {@code e} reads, or {@code null} for none. */
    private NamespaceEvents.Opener eventsOpener(Entry e) {
        if (events == null || !(e.source instanceof NetlinkSocketSource)) {
            return null;
        }
        int buffer = eventsBuffer;
        NamespaceHandle h = e.handle;
        return sink -> {
            DestroySubscription s = h == null ? DestroySubscription.open(sink, buffer)
                    : DestroySubscription.openIn(h, sink, buffer);
            s.start();
            return s;
        };
    }

    private NetNamespace skip(NetNamespace base, String why) {
        skippedTotal++;
        return new NetNamespace(base.inode(), base.key(), base.name(), base.pid(), base.own(), base.container(),
                base.reader(), base.readerReason(), base.inodeNote(), NetStats.EMPTY, null, base.first(), 0,
                why == null ? "unreadable" : why);
    }

    private static List<NetnsDiscovery.Found> ownFirst(List<NetnsDiscovery.Found> found, long ownKey) {
        List<NetnsDiscovery.Found> out = new ArrayList<>(found.size());
        for (NetnsDiscovery.Found f : found) {
            if (f.key() == ownKey) {
                out.add(0, f);
            } else {
                out.add(f);
            }
        }
        return out;
    }

    private static SourceCapabilities and(SourceCapabilities a, SourceCapabilities b) {
        return new SourceCapabilities(a.backlogLimit() && b.backlogLimit(), a.tcpInfo() && b.tcpInfo(),
                a.dualStack() && b.dualStack(), a.cgroupId() && b.cgroupId(), a.timers() && b.timers(),
                a.owners() && b.owners());
    }

    private Entry open(NetnsDiscovery.Found f, boolean own, Map<Long, String> names) {
        Entry e = new Entry();
        e.pid = f.pid();
        Path pidRoot = discovery.procRoot().resolve(Integer.toString(f.pid()));
        try {
            e.inode = own ? discovery.ownNamespaceInode() : discovery.namespaceInode(f.pid());
        } catch (IOException | RuntimeException ex) {
            e.inode = -1;
            e.inodeNote = "cannot read " + pidRoot.resolve("ns/net") + " (ptrace access: CAP_SYS_PTRACE for another"
                    + " user's process); shown as pid:" + f.pid();
        }
        e.name = e.inode >= 0 ? names.get(e.inode) : null;
        e.container = discovery.containerOf(f.pid());
        Path root = own ? discovery.procRoot() : pidRoot;
        e.stats = new NetStatReader(root)::read;
        if (own) {
            String why = kind == SourceKind.PROCFS ? "as configured" : NetlinkSocketSource.probe();
            if (kind != SourceKind.PROCFS && why == null) {
                e.use("netlink", new NetlinkSocketSource(), "own namespace: a sock_diag dump works");
            } else if (kind == SourceKind.NETLINK) {
                e.use("netlink", null, "netlink cannot be used: " + why);
            } else {
                e.use("procfs", new ProcfsSocketSource(root, ByteOrder.nativeOrder(), false),
                        "own namespace: " + (kind == SourceKind.PROCFS ? "as configured" : "netlink cannot be used ("
                                + why + ")"));
            }
            return e;
        }
        e.portRangeNote = NamespacePortRange.UNKNOWABLE + " (the procfs reader cannot)";
        if (kind != SourceKind.PROCFS) {
            try {
                NamespaceHandle h = NamespaceHandle.open(pidRoot.resolve("ns/net"));
                e.handle = h;
                e.use("netlink", NetlinkSocketSource.in(h), "setns into the namespace works");
                e.portRange = NamespacePortRange.inside(h);
                e.portRangeNote = e.portRange.problem();
                return e;
            } catch (IOException | RuntimeException | LinkageError ex) {
                if (kind == SourceKind.NETLINK) {
                    e.use("netlink", null, "cannot enter the namespace: " + ex.getMessage());
                    return e;
                }
                e.use("procfs", new ProcfsSocketSource(pidRoot, ByteOrder.nativeOrder(), false),
                        "netlink cannot be used (" + ex.getMessage() + "); " + pidRoot.resolve("net")
                                + " needs no capability");
                return e;
            }
        }
        e.use("procfs", new ProcfsSocketSource(pidRoot, ByteOrder.nativeOrder(), false), "as configured");
        return e;
    }

    /**
     * A namespace a bind-mounted file holds and no process lives in. Netlink enters it through the file; procfs
     * cannot read it at all (there is no {@code /proc/PID/net} without a process), so it is then listed with why.
     */
    private Entry openBound(NetnsDiscovery.Bound b) {
        Entry e = new Entry();
        e.pid = -1;
        e.inode = b.inode();
        e.name = b.name();
        e.container = ContainerRef.NONE;
        e.stats = () -> NetStats.EMPTY;
        e.portRangeNote = NamespacePortRange.UNKNOWABLE;
        String held = "no process lives in it (held by " + b.path() + ")";
        String why = "--source procfs as configured";
        if (kind != SourceKind.PROCFS) {
            try {
                NamespaceHandle h = NamespaceHandle.open(b.path());
                e.handle = h;
                // the key the processes' namespaces go by, seen from inside: tells whether one of them is this one
                e.key = h.inside(() -> (Long) java.nio.file.Files.getAttribute(Path.of("/proc/thread-self/net/tcp"),
                        "unix:ino"));
                e.use("netlink", NetlinkSocketSource.in(h), held + "; setns through the file works");
                e.portRange = NamespacePortRange.inside(h);
                e.portRangeNote = e.portRange.problem();
                e.stats = () -> {
                    try {
                        return h.inside(() -> new NetStatReader(Path.of("/proc/thread-self")).read());
                    } catch (IOException ex) {
                        return NetStats.EMPTY;
                    }
                };
                return e;
            } catch (IOException | RuntimeException | LinkageError ex) {
                e.close();
                e.handle = null;
                e.portRange = null;
                e.key = -1;
                why = "netlink cannot be used (" + ex.getMessage() + ")";
            }
        }
        e.use(kind == SourceKind.NETLINK ? "netlink" : "procfs", null, why);
        return e;
    }

    /**
     * Why a namespace no process was found in cannot be read: {@code why} netlink is not used, and, when the
     * inodes of {@code unnamed} namespaces of processes cannot be read, that it may be one of those.
     */
    private static String unreadBound(NetnsDiscovery.Bound b, String why, int unnamed) {
        String s = (unnamed > 0 ? "no process found in it" : "no process lives in it") + " (held by " + b.path()
                + "): procfs reads a namespace only through a process in it, so only netlink (setns: CAP_SYS_ADMIN)"
                + " can read this one; " + why;
        if (unnamed > 0) {
            s += "; it may be one of the " + unnamed + " namespaces listed as pid:PID, whose inodes cannot be read"
                    + " (CAP_SYS_PTRACE)";
        }
        return s;
    }

    @Override
    public synchronized void close() {
        if (events != null) {
            events.close();
        }
        for (Entry e : entries.values()) {
            e.close();
        }
        entries.clear();
        for (Entry e : bound.values()) {
            e.close();
        }
        bound.clear();
    }

    /** What is kept of a namespace between collections. */
    private static final class Entry {
        int pid;
        long inode;
        String inodeNote;
        String name;
        ContainerRef container;
        String reader;
        String readerReason;
        SocketSource source; // null: cannot be read (see readerReason)
        NamespaceHandle handle; // netlink only
        long key = -1; // bound ones: the inode of net/tcp seen from inside, -1 when it cannot be entered
        java.util.function.Supplier<NetStats> stats;
        NamespacePortRange portRange; // opened inside the namespace; netlink only
        String portRangeNote;

        void use(String readerName, SocketSource s, String reason) {
            reader = readerName;
            source = s;
            readerReason = reason;
        }

        PortRange portRange() {
            if (portRange == null) {
                return null;
            }
            PortRange r = portRange.get();
            if (r == null) {
                portRangeNote = portRange.problem();
            }
            return r;
        }

        void close() {
            if (source != null) {
                source.close();
            }
            if (portRange != null) {
                portRange.close();
            }
            if (handle != null) {
                handle.close();
            }
        }
    }
}
