package io.connmon.parser.attribution;

import io.connmon.parser.model.LongIntMap;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Finds the process that owns each socket, the way {@code netstat -p} does (a socket's inode appears as the
 * link target {@code socket:[INODE]} under {@code /proc/PID/fd}), without walking every descriptor of every
 * process at every collection.
 *
 * <p>It keeps, per live process, the socket inodes it holds and its descriptor count. At each
 * {@link #resolve(SocketTable)} it lists the pids (cheap), drops processes that are gone, and rescans only those
 * that are new or whose descriptor count changed (the size of {@code /proc/PID/fd}, which Linux 6.2 and later
 * report; on older kernels a process is rescanned when the table holds sockets nobody is known to own). The
 * scans of one call stop at a time budget and go on at the next call, so a collection never waits on a full
 * walk. What it keeps is bounded by the live processes and their sockets.
 *
 * <p>Reading another user's {@code /proc/PID/fd} needs CAP_SYS_PTRACE (or root); without it those sockets stay
 * unattributed, counted in {@link Attribution#unattributed()} and in {@link #deniedProcesses()}.
 *
 * <p>Not thread-safe: one collection at a time calls it.
 */
public final class SocketOwners {

    private static final long[] NO_INODES = new long[0];

    private final Path procRoot;
    private final long budgetNanos;
    private final TreeMap<Integer, Proc> procs = new TreeMap<>();
    private boolean fdCountKnown;
    private LongIntMap lastIndex; // never changed once built: Attributions share it
    private List<SocketOwner> lastOwners;
    private int denied;
    private long scans;
    private long scansBeforeCall;

    /** Per-process state, kept between calls. */
    private static final class Proc {
        final int pid;
        long fdCount = -2; // -2: never looked at
        long[] inodes = NO_INODES;
        SocketOwner owner;
        boolean denied;
        boolean scanned;
        long scannedAt;

        Proc(int pid) {
            this.pid = pid;
        }
    }

    /**
     * @param procRoot the proc file system ({@code /proc})
     * @param budget how long one {@link #resolve} may spend scanning descriptors
     */
    public SocketOwners(Path procRoot, Duration budget) {
        this.procRoot = procRoot;
        this.budgetNanos = budget.toNanos();
    }

    /** CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE, the bits of {@code CapEff} that reading others' fds takes. */
    private static final long NEEDED_CAPS = 1L << 2 | 1L << 19;

    /**
     * Why this process cannot see other users' sockets, from the {@code Uid:} and {@code CapEff:} lines of
     * its {@code /proc/self/status}; {@code null} when it can (root, or both capabilities held).
     */
    public static String privilegeProblem(String selfStatus) {
        long uid = -1;
        long caps = 0;
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
        if (uid == 0 || (caps & NEEDED_CAPS) == NEEDED_CAPS) {
            return null;
        }
        return "without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only the sockets of uid " + uid
                + " processes can be attributed";
    }

    /** {@link #privilegeProblem(String)} for this process. */
    public String privilegeProblem() {
        String status = readSmall(procRoot.resolve("self/status"));
        return status == null ? "cannot read " + procRoot.resolve("self/status") : privilegeProblem(status);
    }

    /** Processes whose descriptors could not be read for want of privilege, at the last call. */
    public int deniedProcesses() {
        return denied;
    }

    /** Process scans done so far (a scan reads one process's descriptors). */
    public long scans() {
        return scans;
    }

    /** Finds the owners of the table's sockets. Never throws; what cannot be read stays unattributed. */
    public Attribution resolve(SocketTable table) {
        long deadline = System.nanoTime() + budgetNanos;
        scansBeforeCall = scans;
        List<Integer> pids = listPids();
        int before = procs.size();
        procs.keySet().retainAll(new java.util.HashSet<>(pids));
        boolean removed = procs.size() != before;

        // What changed: new processes first, then those whose descriptor count moved.
        List<Proc> fresh = new ArrayList<>();
        List<Proc> changed = new ArrayList<>();
        boolean anyCount = false;
        for (int pid : pids) {
            Proc p = procs.get(pid);
            long count = fdCount(pid);
            anyCount |= count > 0;
            if (p == null) {
                p = new Proc(pid);
                procs.put(pid, p);
                p.fdCount = count;
                fresh.add(p);
            } else if (count != p.fdCount) {
                p.fdCount = count;
                changed.add(p);
            } else if (!p.scanned) {
                changed.add(p); // ran out of budget before its first scan
            }
        }
        fdCountKnown |= anyCount;
        boolean complete = scanAll(fresh, deadline) & scanAll(changed, deadline);

        // Nothing scanned and nobody gone: last call's index still holds (the steady state of a quiet host).
        LongIntMap index;
        List<SocketOwner> owners;
        if (!removed && fresh.isEmpty() && changed.isEmpty() && lastIndex != null) {
            index = lastIndex;
            owners = lastOwners;
        } else {
            index = new LongIntMap(table.sockets().size());
            owners = new ArrayList<>();
            buildIndex(index, owners);
        }
        long[] counts = count(table, index);

        if (counts[1] > 0 && !fdCountKnown) {
            // No descriptor counts from this kernel: look for the missing owners, least recently scanned first.
            List<Proc> stale = new ArrayList<>(procs.values());
            stale.removeIf(p -> p.denied);
            stale.sort((a, b) -> Long.compare(a.scannedAt, b.scannedAt));
            complete &= scanAll(stale, deadline);
            index = new LongIntMap(table.sockets().size());
            owners = new ArrayList<>();
            buildIndex(index, owners);
            counts = count(table, index);
        }
        int d = 0;
        for (Proc p : procs.values()) {
            if (p.denied) {
                d++;
            }
        }
        denied = d;
        lastIndex = index;
        lastOwners = owners;
        return new Attribution(index, owners, counts[0], counts[1], complete, true);
    }

    private void buildIndex(LongIntMap index, List<SocketOwner> owners) {
        for (Proc p : procs.values()) { // pid order: a socket shared after fork goes to the lowest pid
            if (p.inodes.length == 0 || p.owner == null) {
                continue;
            }
            int i = owners.size();
            boolean used = false;
            for (long inode : p.inodes) {
                used |= index.putIfAbsent(inode, i);
            }
            if (used) {
                owners.add(p.owner);
            }
        }
    }

    private static long[] count(SocketTable table, LongIntMap index) {
        long attributed = 0;
        long unattributed = 0;
        for (SocketRecord r : table.sockets()) {
            if (r.inode() != 0) {
                if (index.get(r.inode(), -1) >= 0) {
                    attributed++;
                } else {
                    unattributed++;
                }
            }
        }
        return new long[] {attributed, unattributed};
    }

    private boolean scanAll(List<Proc> list, long deadline) {
        for (Proc p : list) {
            // At least one scan per call, so that a budget shorter than the pid listing still makes progress.
            if (scans > scansBeforeCall && System.nanoTime() > deadline) {
                return false;
            }
            scan(p);
        }
        return true;
    }

    private void scan(Proc p) {
        scans++;
        p.scannedAt = scans;
        p.scanned = true;
        Path dir = procRoot.resolve(Integer.toString(p.pid));
        long[] found = new long[16];
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir.resolve("fd"))) {
            for (Path fd : fds) {
                long inode;
                try {
                    inode = socketInode(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (inode > 0) {
                    if (n == found.length) {
                        found = Arrays.copyOf(found, n * 2);
                    }
                    found[n++] = inode;
                }
            }
            p.denied = false;
        } catch (AccessDeniedException e) {
            p.denied = true;
            p.inodes = NO_INODES;
            return;
        } catch (IOException | SecurityException e) {
            p.inodes = NO_INODES; // the process is gone
            return;
        }
        p.inodes = n == 0 ? NO_INODES : Arrays.copyOf(found, n);
        if (n > 0) {
            p.owner = new SocketOwner(p.pid, readComm(dir), unitOf(readSmall(dir.resolve("cgroup"))));
        }
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

    private String readComm(Path dir) {
        String comm = readSmall(dir.resolve("comm"));
        return comm == null || comm.isBlank() ? "?" : comm.strip();
    }

    private static String readSmall(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(8192);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    private long fdCount(int pid) {
        try {
            return Files.readAttributes(procRoot.resolve(pid + "/fd"), BasicFileAttributes.class).size();
        } catch (IOException | SecurityException e) {
            return -1;
        }
    }

    private List<Integer> listPids() {
        List<Integer> pids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(procRoot)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9') && name.length() < 10) {
                    pids.add(Integer.parseInt(name));
                }
            }
        } catch (IOException | SecurityException e) {
            // nothing to attribute with
        }
        pids.sort(null);
        return pids;
    }
}
