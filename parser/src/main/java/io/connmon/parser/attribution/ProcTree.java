package io.connmon.parser.attribution;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

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
     * be read (the process is gone, or the file is absent). Read at every collection for every process, so into
     * a buffer kept for it.
     */
    long startTime(int pid) {
        int n = 0;
        try (InputStream in = Files.newInputStream(root.resolve(pid + "/stat"))) {
            for (int r; n < statBuffer.length && (r = in.read(statBuffer, n, statBuffer.length - n)) > 0; ) {
                n += r;
            }
        } catch (IOException | SecurityException e) {
            return 0;
        }
        return startTimeOf(statBuffer, n);
    }

    private final byte[] statBuffer = new byte[4096];

    /**
     * Field 22 of a {@code /proc/PID/stat} line, or 0 when the line is garbled. The second field is the name in
     * parentheses, which may itself hold spaces and parentheses: the fields after it start after the last ')'.
     */
    static long startTimeOf(String stat) {
        byte[] b = stat.getBytes(StandardCharsets.UTF_8);
        return startTimeOf(b, b.length);
    }

    private static long startTimeOf(byte[] b, int length) {
        int i = length - 1;
        while (i >= 0 && b[i] != ')') {
            i--;
        }
        if (i < 0) {
            return 0;
        }
        i++;
        // After ')' come fields 3, 4, ...: skip to the 20th of them, field 22.
        for (int field = 3; field <= 22; field++) {
            while (i < length && b[i] == ' ') {
                i++;
            }
            if (i == length) {
                return 0;
            }
            if (field < 22) {
                while (i < length && b[i] != ' ' && b[i] != '\n') {
                    i++;
                }
            }
        }
        long v = 0;
        int digits = 0;
        for (; i < length && b[i] != ' ' && b[i] != '\n'; i++, digits++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9 || v > (Long.MAX_VALUE - d) / 10) {
                return 0;
            }
            v = v * 10 + d;
        }
        return digits == 0 ? 0 : v;
    }

    /**
     * {@code /proc/PID/fd} as {@code stat} shows it, or {@code null} when it cannot be read.
     *
     * @param size its descriptor count on Linux 6.2 and later, 0 on older kernels
     * @param fileKey its device and inode number
     * @param modifiedNanos its modification time: in procfs, when its inode was made
     */
    record FdDir(long size, Object fileKey, long modifiedNanos) {

        /** Whether this is the same directory inode as {@code other}. */
        boolean sameInode(FdDir other) {
            return other != null && modifiedNanos == other.modifiedNanos && Objects.equals(fileKey, other.fileKey);
        }
    }

    FdDir fdDir(int pid) {
        try {
            BasicFileAttributes a = Files.readAttributes(root.resolve(pid + "/fd"), BasicFileAttributes.class);
            return new FdDir(a.size(), a.fileKey(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /**
     * The socket inodes among the process's descriptors (the targets {@code socket:[INODE]} of
     * {@code /proc/PID/fd/N}).
     *
     * @throws AccessDeniedException without the privilege to list them or to read their links
     * @throws IOException when the process is gone or its descriptors cannot be listed
     */
    long[] socketInodes(int pid) throws IOException {
        long[] found = new long[16];
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(root.resolve(pid + "/fd"))) {
            for (Path fd : fds) {
                long inode;
                try {
                    inode = SocketOwners.socketInode(link(fd));
                } catch (AccessDeniedException e) {
                    // Listing the directory may be allowed (CAP_DAC_OVERRIDE) where reading the links is not
                    // (CAP_SYS_PTRACE: root without it, towards a process with more capabilities).
                    throw e;
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

    /** The target of the descriptor link {@code fd}. */
    String link(Path fd) throws IOException {
        return Files.readSymbolicLink(fd).toString();
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
