package io.connmon.parser.attribution;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * What {@link SocketOwners} reads of the proc file system, in one place: the pids, each process's start time,
 * descriptor count and socket descriptors, its name and cgroup, and this process's own status. Tests replace
 * parts of it (a kernel reporting no descriptor counts) and count what is read.
 */
class ProcTree {

    private static final long[] NO_INODES = new long[0];

    private final Path root;

    ProcTree(Path root) {
        this.root = root;
    }

    /** The pids listed in the root, in ascending order; none when it cannot be listed. */
    int[] pids() {
        int[] pids = new int[64];
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && name.length() < 10 && name.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    if (n == pids.length) {
                        pids = Arrays.copyOf(pids, n * 2);
                    }
                    pids[n++] = Integer.parseInt(name);
                }
            }
        } catch (IOException | SecurityException e) {
            // nothing to attribute with
        }
        int[] sorted = Arrays.copyOf(pids, n);
        Arrays.sort(sorted);
        return sorted;
    }

    /**
     * The process's start time in clock ticks after boot (field 22 of {@code /proc/PID/stat}); 0 when it cannot
     * be read (the process is gone, or the file is absent).
     */
    long startTime(int pid) {
        String stat = read(pid, "stat");
        return stat == null ? 0 : startTimeOf(stat);
    }

    /**
     * Field 22 of a {@code /proc/PID/stat} line, or 0 when the line is garbled. The second field is the name in
     * parentheses, which may itself hold spaces and parentheses: the fields after it start after the last ')'.
     */
    static long startTimeOf(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return 0;
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (the state), so field 22 is f[19].
        if (f.length < 20) {
            return 0;
        }
        try {
            long v = Long.parseLong(f[19]);
            return v < 0 ? 0 : v;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The size of {@code /proc/PID/fd}: its descriptor count on Linux 6.2 and later, 0 on older kernels; -1 when
     * it cannot be read.
     */
    long fdDirSize(int pid) {
        try {
            return Files.readAttributes(root.resolve(pid + "/fd"), BasicFileAttributes.class).size();
        } catch (IOException | SecurityException e) {
            return -1;
        }
    }

    /**
     * The socket inodes among the process's descriptors (the targets {@code socket:[INODE]} of
     * {@code /proc/PID/fd/N}).
     *
     * @throws java.nio.file.AccessDeniedException without the privilege to read them
     * @throws IOException when the process is gone or its descriptors cannot be listed
     */
    long[] socketInodes(int pid) throws IOException {
        long[] found = new long[16];
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(root.resolve(pid + "/fd"))) {
            for (Path fd : fds) {
                long inode;
                try {
                    inode = SocketOwners.socketInode(Files.readSymbolicLink(fd).toString());
                } catch (IOException | UnsupportedOperationException e) {
                    continue; // closed meanwhile, or no link
                }
                if (inode > 0) {
                    if (n == found.length) {
                        found = Arrays.copyOf(found, n * 2);
                    }
                    found[n++] = inode;
                }
            }
        } catch (SecurityException e) {
            throw new IOException(e);
        }
        return n == 0 ? NO_INODES : Arrays.copyOf(found, n);
    }

    /** A small file of the process ({@code comm}, {@code cgroup}, {@code stat}), or {@code null}. */
    String read(int pid, String file) {
        return readSmall(root.resolve(pid + "/" + file));
    }

    /** {@code /proc/self/status}, or {@code null}. */
    String selfStatus() {
        return readSmall(root.resolve("self/status"));
    }

    /** Where {@link #selfStatus()} comes from, for messages. */
    String selfStatusPath() {
        return root.resolve("self/status").toString();
    }

    private static String readSmall(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(8192);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
