package io.connmon.parser.netns;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.model.ContainerRef;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the network namespaces of a host by one {@code stat} of {@code /proc/PID/net/tcp} per process: that
 * file's inode differs per namespace and needs no privilege to read. One live process is kept per namespace
 * (the same one from scan to scan while it lives in it), so that a namespace's tables are read once, not once
 * per process in it.
 *
 * <pre>{@code
 * NetnsDiscovery d = new NetnsDiscovery(Path.of("/proc"), Path.of("/var/run/netns"));
 * for (NetnsDiscovery.Found f : d.scan()) { ... f.pid() ... }
 * }</pre>
 *
 * <p>Processes a sandbox hides ({@code hidepid=}, systemd's {@code ProtectProc=invisible}) are not seen, nor
 * their namespaces.
 *
 * <p>A namespace no process lives in, held by a bind-mounted file ({@code ip netns add}, Docker's sandboxes),
 * is found by {@link #boundNamespaces()} instead: one {@code stat} per file.
 */
public final class NetnsDiscovery {

    /** One namespace found: its {@code net/tcp} inode, a process living in it, and how many do. */
    public record Found(long key, int pid, int processes) {
    }

    /**
     * A namespace a bind-mounted file holds ({@code ip netns add}'s {@code /var/run/netns/NAME}, Docker's
     * {@code /run/docker/netns/ID}, the CNI's {@code /var/run/netns/cni-*}), whether or not a process lives in it.
     *
     * @param inode the namespace's inode ({@code stat -L} of the file)
     * @param path the file, which {@code setns} can enter
     * @param name its {@code ip netns} name when the file is in the {@code ip netns} directory, else {@code null}
     */
    public record Bound(long inode, Path path, String name) {
    }

    /** Docker's directory of the namespaces of its containers' sandboxes. */
    public static final Path DOCKER_NETNS_DIR = Path.of("/run/docker/netns");

    private final Path procRoot;
    private final Path netnsDir;
    private final List<Path> boundDirs;
    private final List<String> dirFaults = new ArrayList<>(); // of the last boundNamespaces()
    private Map<Long, Integer> representatives = new HashMap<>(); // key -> pid, from the last scan
    private int unreadable;

    /** Names from {@code netnsDir}, and the namespaces bind-mounted there ({@link #boundNamespaces}). */
    public NetnsDiscovery(Path procRoot, Path netnsDir) {
        this(procRoot, netnsDir, List.of(netnsDir));
    }

    /**
     * Names from {@code netnsDir}; the namespaces bind-mounted in {@code boundDirs} (none when empty) are found
     * too, with no process in them.
     */
    public NetnsDiscovery(Path procRoot, Path netnsDir, List<Path> boundDirs) {
        this.procRoot = procRoot;
        this.netnsDir = netnsDir;
        this.boundDirs = List.copyOf(boundDirs);
    }

    /** The proc root scanned. */
    public Path procRoot() {
        return procRoot;
    }

    /**
     * Every namespace some visible process lives in, in the order of their lowest pid. A process that exits
     * during the scan is passed over.
     */
    public List<Found> scan() {
        Map<Long, int[]> byKey = new LinkedHashMap<>(); // key -> {pid, processes}
        int hidden = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(procRoot)) {
            for (Path p : dir) {
                int pid = pidOf(p.getFileName().toString());
                if (pid <= 0) {
                    continue;
                }
                long key = key(pid);
                if (key == -2) {
                    hidden++;
                }
                if (key < 0) {
                    continue;
                }
                int[] e = byKey.get(key);
                if (e == null) {
                    byKey.put(key, new int[] {pid, 1});
                } else {
                    e[1]++;
                    Integer kept = representatives.get(key);
                    if (kept != null && kept == pid) {
                        e[0] = pid; // keep last scan's representative while it lives here
                    } else if (kept == null || e[0] != kept) {
                        e[0] = Math.min(e[0], pid);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the proc root cannot be listed: nothing found
        }
        Map<Long, Integer> next = new HashMap<>();
        List<Found> out = new ArrayList<>(byKey.size());
        for (Map.Entry<Long, int[]> e : byKey.entrySet()) {
            next.put(e.getKey(), e.getValue()[0]);
            out.add(new Found(e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        out.sort((a, b) -> Integer.compare(a.pid(), b.pid())); // /proc lists in pid order; other trees need not
        representatives = next;
        unreadable = hidden;
        return out;
    }

    /** Processes whose {@code net/tcp} could not be stat'ed in the last scan (other than those that exited). */
    public int unreadableProcesses() {
        return unreadable;
    }

    /**
     * The inode of {@code <procRoot>/PID/net/tcp}: -1 when the process is gone, -2 when it cannot be read.
     */
    public long key(int pid) {
        return inodeOf(procRoot.resolve(Integer.toString(pid)).resolve("net/tcp"));
    }

    /** The inode of {@code <procRoot>/self/net/tcp}: connmon's own namespace (-1, -2 as {@link #key}). */
    public long ownKey() {
        return inodeOf(procRoot.resolve("self/net/tcp"));
    }

    /**
     * The namespace's own inode from the link {@code <procRoot>/PID/ns/net} ({@code net:[4026531840]}).
     *
     * @throws IOException when it cannot be read (no ptrace access to PID, or PID gone)
     */
    public long namespaceInode(int pid) throws IOException {
        return parseNsLink(Files.readSymbolicLink(procRoot.resolve(Integer.toString(pid)).resolve("ns/net")).toString());
    }

    /** connmon's own namespace's inode, from {@code <procRoot>/self/ns/net} (always readable). */
    public long ownNamespaceInode() throws IOException {
        return parseNsLink(Files.readSymbolicLink(procRoot.resolve("self/ns/net")).toString());
    }

    /** The inode in a namespace link's text {@code net:[N]}. */
    public static long parseNsLink(String text) throws IOException {
        int open = text.indexOf('[');
        int close = text.indexOf(']', open + 1);
        if (!text.startsWith("net:") || open < 0 || close < 0) {
            throw new IOException("not a network namespace link: " + text);
        }
        try {
            return Long.parseLong(text.substring(open + 1, close));
        } catch (NumberFormatException e) {
            throw new IOException("not a network namespace link: " + text, e);
        }
    }

    /** {@code ip netns} names by namespace inode ({@code stat -L /var/run/netns/NAME}); empty when there are none. */
    public Map<Long, String> names() {
        Map<Long, String> out = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(netnsDir)) {
            for (Path p : dir) {
                long ino = inodeOf(p);
                if (ino >= 0) {
                    out.putIfAbsent(ino, p.getFileName().toString());
                }
            }
        } catch (IOException | RuntimeException e) {
            // no named namespaces
        }
        return out;
    }

    /**
     * The namespaces held by files bind-mounted in the directories given at construction, one per inode (the
     * {@code ip netns} directory first), in name order within each directory. Only namespace files count: on the
     * device of {@code <procRoot>/self/ns/net} (nsfs), when that can be stat'ed; a leftover file whose mount is
     * gone is passed over. A directory that does not exist holds none; one that cannot be listed is a fault
     * ({@link #boundDirectoryFaults()}). Listing and one {@code stat} per file: no privilege needed.
     */
    public List<Bound> boundNamespaces() {
        dirFaults.clear();
        if (boundDirs.isEmpty()) {
            return List.of();
        }
        long nsfs = deviceOf(procRoot.resolve("self/ns/net"));
        Map<Long, Bound> out = new LinkedHashMap<>();
        for (Path dir : boundDirs) {
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    files.add(p);
                }
            } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
                continue; // no namespace of that kind here
            } catch (IOException | RuntimeException e) {
                dirFaults.add("cannot list " + dir + " (" + e.getClass().getSimpleName() + (e.getMessage() == null
                        ? "" : ": " + e.getMessage()) + "): the namespaces bind-mounted there are not found");
                continue;
            }
            files.sort(null);
            boolean named = dir.equals(netnsDir);
            for (Path p : files) {
                if (nsfs >= 0 && deviceOf(p) != nsfs) {
                    continue; // not a namespace (a file whose bind mount is gone), or gone itself
                }
                long ino = inodeOf(p);
                if (ino >= 0) {
                    out.putIfAbsent(ino, new Bound(ino, p, named ? p.getFileName().toString() : null));
                }
            }
        }
        return new ArrayList<>(out.values());
    }

    /** Why directories could not be listed in the last {@link #boundNamespaces()}, one line each; empty when all could. */
    public List<String> boundDirectoryFaults() {
        return List.copyOf(dirFaults);
    }

    /** What {@code <procRoot>/PID/cgroup} names; {@link ContainerRef#NONE} when it cannot be read. */
    public ContainerRef containerOf(int pid) {
        try {
            return CgroupParser.parse(NetStatReader.readSmall(procRoot.resolve(Integer.toString(pid)).resolve("cgroup")));
        } catch (IOException | RuntimeException e) {
            return ContainerRef.NONE;
        }
    }

    private static long inodeOf(Path p) {
        try {
            Object ino = Files.getAttribute(p, "unix:ino");
            return ino instanceof Long ? (Long) ino : -2;
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException | RuntimeException e) {
            return -2;
        }
    }

    /** The device of the file {@code p} leads to (links followed), or -1 when it cannot be stat'ed. */
    private static long deviceOf(Path p) {
        try {
            Object dev = Files.getAttribute(p, "unix:dev");
            return dev instanceof Long ? (Long) dev : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static int pidOf(String name) {
        if (name.isEmpty() || name.length() > 10) {
            return -1;
        }
        int n = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
