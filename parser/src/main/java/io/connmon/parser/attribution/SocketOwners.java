package io.connmon.parser.attribution;

import io.connmon.parser.model.LongIntMap;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Finds the process that owns each socket, the way {@code netstat -p} does (a socket's inode appears as the
 * link target {@code socket:[INODE]} under {@code /proc/PID/fd}), without walking every descriptor of every
 * process at every collection.
 *
 * <p>It keeps, per live process, the socket inodes it holds. A process is known by its pid and start time
 * (field 22 of {@code /proc/PID/stat}), so a pid reused by a new process is a new process. At each
 * {@link #resolve(SocketTable)} it lists the pids and {@code stat}s their {@code /proc/PID/fd} directories (one
 * call each: the descriptor count, and whether it is the inode seen before; the start time is read only for a
 * new pid or a new inode, which the kernel makes for a reused pid: reading every process's {@code stat} file at
 * every collection would cost several times more), forgets processes that are gone, and reads the descriptors
 * of:
 * <ol>
 *   <li>processes that are new, or whose descriptor count (the size of {@code /proc/PID/fd}, which Linux 6.2 and
 *       later report) differs from the count at their last complete read;</li>
 *   <li>for a socket first seen in this table whose known owner was read before it appeared (an inode number
 *       reused after wrap-around), that owner again;</li>
 *   <li>for a socket first seen in this table that no process is known to hold (a connection closed and another
 *       opened, the count unchanged; or a kernel before 6.2, which reports no count), the candidate processes
 *       not read since it appeared, until it is found: the processes that held a socket of the table lately;
 *       on a kernel without counts also every other process, once the socket is still there at the next
 *       collection (a connection closed before its owner was read is no reason to read them all). A socket that
 *       no candidate holds (a kernel socket: WireGuard, VXLAN, NFS; another user's) is not looked for again;</li>
 *   <li>whatever the signals say, every process once every {@code staleCollections} collections (30 by
 *       default: 7.5 minutes at a 15 s scrape interval), spread evenly over the collections, which bounds how
 *       stale any entry can get (what the signals above miss: a socket handed to another process whose count
 *       stays, a file closed and a socket opened in its place) at the cost of reading a thirtieth of the
 *       processes at each collection.</li>
 * </ol>
 * The reads of one call stop at a time budget (at least one read a call) and what is left goes on at the next
 * call; {@link Attribution#complete()} is false meanwhile. What it keeps is bounded by the live processes and
 * their sockets.
 *
 * <p>Reading another user's {@code /proc/PID/fd} needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (being uid 0 is not
 * enough); without them those sockets stay unattributed, counted in {@link Attribution#unattributed()} and
 * {@link Attribution#deniedProcesses()}, and the attribution is not {@link Attribution#complete() complete}.
 *
 * <p>Not thread-safe: one collection at a time calls it.
 */
public final class SocketOwners {

    /** The default bound on staleness: every process is read at least once in this many collections. */
    public static final int STALE_COLLECTIONS = 30;

    private static final long[] NO_INODES = new long[0];

    /** CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE, the bits of {@code CapEff} that reading others' fds takes. */
    private static final long NEEDED_CAPS = 1L << 2 | 1L << 19;

    private final ProcTree tree;
    private final long budgetNanos;
    private final LongSupplier nanoClock;
    private final int staleCollections;
    private final Map<Integer, Proc> procs = new HashMap<>();
    private Proc[] sorted = new Proc[0]; // the live processes in pid order
    private boolean fdCountKnown;
    private int collection;
    private LongIntMap firstSeen = new LongIntMap(16); // inode -> collection it first appeared in a table
    private LongIntMap index; // inode -> position in indexed; never changed once built: Attributions share it
    private List<Proc> indexed = List.of();
    private List<SocketOwner> indexedOwners = List.of();
    private boolean dirty = true;
    private int denied;
    private long scans;
    private long scansBeforeCall;
    private long deadline;

    /** Per-process state, kept between calls. */
    private static final class Proc {
        final int pid;
        final long startTime;
        final int staleSlot;
        ProcTree.FdDir fdDir; // at this call
        long fdCountNow = -1; // read at this call; -1: unreadable; always 0 before Linux 6.2
        long fdCountScanned = -1; // at the last complete read of the descriptors
        boolean pending = true; // to be read: new, changed, or its owning a new socket is in doubt
        boolean due; // to be read for the periodic read, after the others
        long[] inodes = NO_INODES;
        SocketOwner owner;
        boolean denied;
        int scannedIn; // the collection of the last read; 0: never
        int heldTableSocketIn; // the last collection in which it held a socket of the table

        Proc(int pid, long startTime, int staleCollections) {
            this.pid = pid;
            this.startTime = startTime;
            this.staleSlot = Math.floorMod(pid * 0x9E3779B1, staleCollections);
        }
    }

    /**
     * @param procRoot the proc file system ({@code /proc})
     * @param budget how long one {@link #resolve} may spend reading descriptors
     */
    public SocketOwners(Path procRoot, Duration budget) {
        this(new ProcTree(procRoot), budget, System::nanoTime, STALE_COLLECTIONS);
    }

    SocketOwners(ProcTree tree, Duration budget, LongSupplier nanoClock, int staleCollections) {
        if (staleCollections < 1) {
            throw new IllegalArgumentException("staleCollections must be positive: " + staleCollections);
        }
        this.tree = tree;
        this.budgetNanos = budget.toNanos();
        this.nanoClock = nanoClock;
        this.staleCollections = staleCollections;
    }

    /**
     * Why this process cannot see other users' sockets, from the {@code Uid:} and {@code CapEff:} lines of
     * its {@code /proc/self/status}; {@code null} when it can (both capabilities held). Being uid 0 is not
     * enough: a root process without them (a container, a systemd unit with a bounded capability set) reads only
     * root's processes.
     */
    public static String privilegeProblem(String selfStatus) {
        long uid = -1;
        long caps = -1;
        for (String line : selfStatus.split("\n")) {
            String[] f = line.trim().split("\\s+");
            try {
                if (f[0].equals("Uid:") && f.length > 2) {
                    uid = Long.parseLong(f[2]);
                } else if (f[0].equals("CapEff:") && f.length > 1) {
                    caps = Long.parseUnsignedLong(f[1], 16);
                }
            } catch (NumberFormatException e) {
                return "cannot tell the privileges from /proc/self/status";
            }
        }
        if (caps == -1 || uid == -1) {
            return "cannot tell the privileges from /proc/self/status";
        }
        if ((caps & NEEDED_CAPS) == NEEDED_CAPS) {
            return null;
        }
        if (uid == 0) {
            // Root reads root's processes only when it holds every capability they hold.
            return "uid 0 without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: the sockets of other users' processes"
                    + " and of processes with more capabilities cannot be attributed";
        }
        return "without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only the sockets of uid " + uid
                + " processes can be attributed";
    }

    /** {@link #privilegeProblem(String)} for this process. */
    public String privilegeProblem() {
        String status = tree.selfStatus();
        return status == null ? "cannot read " + tree.selfStatusPath() : privilegeProblem(status);
    }

    /** Processes whose descriptors could not be read for want of privilege, at the last call. */
    public int deniedProcesses() {
        return denied;
    }

    /** Process reads done so far (a read lists one process's descriptors). */
    public long scans() {
        return scans;
    }

    /** Finds the owners of the table's sockets. Never throws; what cannot be read stays unattributed. */
    public Attribution resolve(SocketTable table) {
        deadline = nanoClock.getAsLong() + budgetNanos;
        scansBeforeCall = scans;
        collection++;
        boolean outOfTime = !refreshProcesses();

        // New inodes whose owner was read before they appeared, and inodes no process is known to hold.
        LongIntMap seen = new LongIntMap(table.sockets().size());
        List<Proc> verify = new ArrayList<>();
        List<Long> verifying = new ArrayList<>();
        Set<Long> wanted = new HashSet<>();
        ensureIndex();
        int minCandidate = minCandidateScan();
        long attributed = 0;
        long unattributed = 0;
        boolean settled = true;
        for (SocketRecord r : table.sockets()) {
            long inode = r.inode();
            if (inode == 0) {
                continue;
            }
            int since = firstSeen.get(inode, collection);
            boolean first = seen.putIfAbsent(inode, since); // false: the same inode twice in a table
            int i = index.get(inode, -1);
            if (i >= 0) {
                attributed++;
                Proc p = indexed.get(i);
                p.heldTableSocketIn = collection;
                if (p.scannedIn < since) {
                    settled = false;
                    if (first && !outOfTime) {
                        verifying.add(inode);
                    }
                    if (!p.pending) {
                        p.pending = true;
                        verify.add(p);
                    }
                }
            } else {
                unattributed++;
                if (minCandidate < since) {
                    settled = false;
                    if (first && !outOfTime) {
                        wanted.add(inode); // (out of time: looked for at the next call, as still unsettled)
                    }
                }
            }
        }
        firstSeen = seen;

        long scansAfterPass = scans;
        if (!outOfTime) {
            outOfTime = !scanAll(verify);
            ensureIndex();
            for (long inode : verifying) {
                if (index.get(inode, -1) < 0) {
                    wanted.add(inode); // its supposed owner does not hold it: an inode number reused
                }
            }
        }
        if (!outOfTime && !wanted.isEmpty()) {
            outOfTime = !search(wanted);
        }
        if (!outOfTime) {
            List<Proc> due = new ArrayList<>();
            for (Proc p : sorted) {
                if ((p.pending || p.due) && p.scannedIn < collection) {
                    due.add(p); // due for the periodic read (or left over)
                }
            }
            due.sort((x, y) -> Integer.compare(x.scannedIn, y.scannedIn)); // the least recently read first
            scanAll(due);
        }

        if (scans == scansAfterPass && !dirty) {
            return attribution(attributed, unattributed, settled); // nothing read since the pass: it holds
        }
        ensureIndex();
        return count(table);
    }

    /**
     * Lists the processes, forgets the gone, marks what must be read and reads the new and the changed.
     * Returns false when the budget ran out.
     */
    private boolean refreshProcesses() {
        int[] pids = tree.pids();
        Map<Integer, Proc> live = new HashMap<>(pids.length * 2);
        Proc[] next = new Proc[pids.length];
        int n = 0;
        List<Proc> fresh = new ArrayList<>();
        List<Proc> changed = new ArrayList<>();
        boolean anyCount = false;
        int slot = collection % staleCollections;
        for (int pid : pids) {
            ProcTree.FdDir dir = tree.fdDir(pid);
            Proc p = procs.get(pid);
            boolean isNew = p == null;
            long start = 0;
            if (p == null || dir == null || !dir.sameInode(p.fdDir)) {
                // A new process or, for a known pid, a new /proc/PID/fd inode: the kernel makes one when a pid is
                // reused (the old process's entries go with it), and at times for the same process (its inode
                // was evicted). The start time tells which.
                start = tree.startTime(pid);
                isNew |= p != null && p.startTime != start;
            }
            if (isNew) {
                p = new Proc(pid, start, staleCollections); // new, or the pid reused by another process
                fresh.add(p);
                dirty = true;
            }
            p.fdDir = dir;
            p.fdCountNow = dir == null ? -1 : dir.size();
            anyCount |= p.fdCountNow > 0;
            if (isNew) {
                // read first
            } else if (p.fdCountNow >= 0 && p.fdCountNow != p.fdCountScanned) {
                p.pending = true;
                changed.add(p);
            } else if (p.pending) {
                changed.add(p); // left over from an earlier call
            } else if (p.staleSlot == slot) {
                p.due = true; // the periodic read, after the others (and after those left over)
            }
            live.put(pid, p);
            next[n++] = p;
        }
        if (live.size() != procs.size() || !live.keySet().equals(procs.keySet())) {
            dirty = true;
        }
        procs.clear();
        procs.putAll(live);
        sorted = n == next.length ? next : Arrays.copyOf(next, n);
        fdCountKnown |= anyCount;
        return scanAll(fresh) & scanAll(changed);
    }

    /**
     * Reads candidates not read since the wanted inodes appeared, those that held a socket of the table lately
     * first, least recently read first; stops when every wanted inode is found. Without descriptor counts the
     * other processes are candidates too, but only for an inode still there a collection after it appeared: a
     * connection closed between the table's reading and its owner's (which no process holds any more) does not
     * cost a read of every process. Returns false when the budget ran out.
     */
    private boolean search(Set<Long> wanted) {
        int since = 0;
        int sinceKept = 0;
        for (long inode : wanted) {
            int s = firstSeen.get(inode, collection);
            since = Math.max(since, s);
            if (s < collection) {
                sinceKept = Math.max(sinceKept, s);
            }
        }
        List<Proc> candidates = new ArrayList<>();
        for (Proc p : sorted) {
            if (heldLately(p) ? p.scannedIn < since : !fdCountKnown && p.scannedIn < sinceKept) {
                candidates.add(p);
            }
        }
        candidates.sort((a, b) -> {
            int c = Boolean.compare(heldLately(b), heldLately(a));
            return c != 0 ? c : Integer.compare(a.scannedIn, b.scannedIn);
        });
        for (Proc p : candidates) {
            if (outOfTime()) {
                return false;
            }
            scan(p);
            for (long inode : p.inodes) {
                wanted.remove(inode);
            }
            if (wanted.isEmpty()) {
                return true;
            }
        }
        return true;
    }

    /** Whether the process held a socket of the table within the staleness bound. */
    private boolean heldLately(Proc p) {
        return p.heldTableSocketIn > 0 && collection - p.heldTableSocketIn <= staleCollections;
    }

    /**
     * The oldest read among the processes that could hold a socket not yet found: with descriptor counts, those
     * that held a socket of the table lately (the others would have changed count); without, every process.
     */
    private int minCandidateScan() {
        int min = Integer.MAX_VALUE;
        for (Proc p : sorted) {
            if (!fdCountKnown || heldLately(p)) {
                min = Math.min(min, p.scannedIn);
            }
        }
        return min;
    }

    private boolean outOfTime() {
        // At least one read per call, so that a budget shorter than the pid listing still makes progress.
        return scans > scansBeforeCall && nanoClock.getAsLong() - deadline > 0;
    }

    private boolean scanAll(List<Proc> list) {
        for (Proc p : list) {
            if (p.scannedIn == collection && !p.pending) {
                continue; // read already in this call
            }
            if (outOfTime()) {
                return false;
            }
            scan(p);
        }
        return true;
    }

    private void scan(Proc p) {
        scans++;
        long count = p.fdCountNow;
        long[] found;
        boolean wasDenied = p.denied;
        try {
            found = tree.socketInodes(p.pid);
            p.denied = false;
        } catch (AccessDeniedException e) {
            p.denied = true;
            found = NO_INODES;
        } catch (IOException e) {
            found = NO_INODES; // the process is gone
        }
        // Only a complete read settles the process: its count is recorded now, not when the change was seen.
        p.pending = false;
        p.due = false;
        p.scannedIn = collection;
        p.fdCountScanned = count;
        SocketOwner owner = p.owner;
        if (found.length > 0) {
            String comm = tree.read(p.pid, "comm");
            owner = new SocketOwner(p.pid, comm == null || comm.isBlank() ? "?" : comm.strip(),
                    unitOf(tree.read(p.pid, "cgroup")));
        }
        if (!Arrays.equals(found, p.inodes) || !java.util.Objects.equals(owner, p.owner) || wasDenied != p.denied) {
            dirty = true;
        }
        p.inodes = found;
        p.owner = owner;
    }

    /** Rebuilds the inode index when a read changed what the processes hold. */
    private void ensureIndex() {
        if (!dirty && index != null) {
            return;
        }
        int size = 0;
        for (Proc p : sorted) {
            size += p.inodes.length;
        }
        LongIntMap idx = new LongIntMap(size);
        List<Proc> procList = new ArrayList<>();
        List<SocketOwner> owners = new ArrayList<>();
        for (Proc p : sorted) { // pid order: a socket shared after fork goes to the lowest pid
            if (p.inodes.length == 0 || p.owner == null) {
                continue;
            }
            int i = procList.size();
            boolean used = false;
            for (long inode : p.inodes) {
                used |= idx.putIfAbsent(inode, i);
            }
            if (used) {
                procList.add(p);
                owners.add(p.owner);
            }
        }
        index = idx;
        indexed = procList;
        indexedOwners = owners;
        dirty = false;
    }

    private Attribution count(SocketTable table) {
        int minCandidate = minCandidateScan();
        boolean settled = true;
        long attributed = 0;
        long unattributed = 0;
        for (SocketRecord r : table.sockets()) {
            long inode = r.inode();
            if (inode == 0) {
                continue;
            }
            int since = firstSeen.get(inode, collection);
            int i = index.get(inode, -1);
            if (i >= 0) {
                attributed++;
                Proc p = indexed.get(i);
                p.heldTableSocketIn = collection;
                settled &= p.scannedIn >= since;
            } else {
                unattributed++;
                settled &= minCandidate >= since;
            }
        }
        return attribution(attributed, unattributed, settled);
    }

    /**
     * The attribution of this call; complete when every socket is settled (its owner read since it appeared, or
     * every candidate read since without finding one), no process is left to read, and no process that could
     * not be read for want of privilege may own the unattributed sockets.
     */
    private Attribution attribution(long attributed, long unattributed, boolean settled) {
        boolean complete = settled;
        int d = 0;
        for (Proc p : sorted) {
            complete &= !p.pending; // left for the next call (a periodic read left over is not: nothing signalled)
            if (p.denied) {
                d++;
            }
        }
        denied = d;
        if (d > 0 && unattributed > 0) {
            complete = false; // their owners may be among the processes that could not be read
        }
        return new Attribution(index, indexedOwners, attributed, unattributed, complete, true, d);
    }

    /** The inode of a {@code socket:[12345]} link target, or -1 for anything else. */
    static long socketInode(String target) {
        if (!target.startsWith("socket:[") || !target.endsWith("]")) {
            return -1;
        }
        long v = 0;
        for (int i = 8; i < target.length() - 1; i++) {
            int d = target.charAt(i) - '0';
            if (d < 0 || d > 9 || v > (Long.MAX_VALUE - d) / 10) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v == 0 ? -1 : v;
    }

    /**
     * The unit or container of a process from its {@code /proc/PID/cgroup}: the last element of the cgroup v2
     * path ({@code 0::/system.slice/nginx.service} is {@code nginx.service}), or of the first v1 hierarchy that
     * names one; {@code null} for the root cgroup or unreadable text.
     */
    static String unitOf(String cgroup) {
        if (cgroup == null) {
            return null;
        }
        String best = null;
        for (String line : cgroup.split("\n")) {
            int second = line.indexOf(':', line.indexOf(':') + 1);
            if (second < 0) {
                continue;
            }
            String path = line.substring(second + 1).trim();
            int slash = path.lastIndexOf('/');
            String last = slash >= 0 ? path.substring(slash + 1) : path;
            if (last.isEmpty()) {
                continue;
            }
            if (line.startsWith("0::")) {
                return last; // cgroup v2: authoritative
            }
            if (best == null) {
                best = last;
            }
        }
        return best;
    }
}
