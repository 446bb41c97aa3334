package io.connmon.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code connmon list -p} over a fixture proc tree: owners shown, and one line on stderr when some cannot be. */
class ListProgramsTest {

    private static final String UNPRIVILEGED = "Name:\tconnmon\nUid:\t1000\t1000\t1000\t1000\nCapEff:\t0\n";
    private static final String PRIVILEGED = "Name:\tconnmon\nUid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n";
    private static final String ROOT_WITHOUT_CAPS = "Name:\tconnmon\nUid:\t0\t0\t0\t0\nCapEff:\t0\n";

    @TempDir
    Path proc;

    @BeforeEach
    void makeTree() throws IOException {
        Files.createDirectories(proc.resolve("net"));
        Files.writeString(proc.resolve("net/tcp"),
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                + "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 21497 1 0000000000000000 100 0 0 10 0\n"
                + "   1: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21498 1 0000000000000000 100 0 0 10 0\n");
        // net/udp with its header and no sockets: without it the input has failed, which list says on stderr
        Files.writeString(proc.resolve("net/udp"),
                "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
        Files.createDirectories(proc.resolve("self"));
    }

    /** Empties the tree, so that JUnit does not warn about each link to a target outside it. */
    @AfterEach
    void emptyTree() throws IOException {
        try (Stream<Path> s = Files.walk(proc)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(proc)).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A process holding the socket with the given inode. */
    private void process(int pid, String comm, long inode) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(pid + "/fd")).getParent();
        Files.writeString(dir.resolve("comm"), comm + "\n");
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 20 0 1 0 "
                + (pid * 100) + " 0 0\n");
        Files.createSymbolicLink(dir.resolve("fd/3"), Path.of("socket:[" + inode + "]"));
    }

    @Test
    void withoutPrivilegeOneLineSaysSo() throws IOException {
        Files.writeString(proc.resolve("self/status"), UNPRIVILEGED);
        process(4242, "mysqld", 21497); // the user's own process; root's on port 80 cannot be seen
        CommandRun r = list();
        assertEquals(0, r.code, r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        assertEquals("(Not all processes could be identified: without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only"
                + " the sockets of uid 1000 processes can be attributed; run as root with CAP_SYS_PTRACE and"
                + " CAP_DAC_READ_SEARCH to see them all.)", r.err.strip());
        assertTrue(r.out.contains("127.0.0.1:3306          0.0.0.0:*               LISTEN      4242/mysqld"), r.out);
        assertTrue(r.out.contains("127.0.0.1:80            0.0.0.0:*               LISTEN      -"), r.out);
    }

    @Test
    void rootWithoutCapabilitiesIsToldToo() throws IOException {
        Files.writeString(proc.resolve("self/status"), ROOT_WITHOUT_CAPS);
        process(4242, "mysqld", 21497);
        CommandRun r = list();
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("(Not all processes could be identified: uid 0 without CAP_SYS_PTRACE and"
                + " CAP_DAC_READ_SEARCH: the sockets of other users' processes and of processes with more"
                + " capabilities cannot be attributed; run as root with"), r.err);
    }

    @Test
    void withPrivilegeNothingIsSaid() throws IOException {
        Files.writeString(proc.resolve("self/status"), PRIVILEGED);
        process(4242, "mysqld", 21497);
        process(4343, "nginx", 21498);
        CommandRun r = list();
        assertEquals(0, r.code, r.err);
        assertEquals("", r.err);
        assertTrue(r.out.contains("LISTEN      4343/nginx"), r.out);
    }

    @Test
    void withoutPrivilegeButEverySocketIdentifiedNothingIsSaid() throws IOException {
        Files.writeString(proc.resolve("self/status"), UNPRIVILEGED);
        process(4242, "mysqld", 21497);
        process(4343, "nginx", 21498);
        CommandRun r = list();
        assertEquals("", r.err);
    }

    @Test
    void withoutProgramsNothingIsSaid() throws IOException {
        Files.writeString(proc.resolve("self/status"), UNPRIVILEGED);
        CommandRun r = CommandRun.run("list", "-tln", "--source", "procfs", "--proc-root", proc.toString());
        assertEquals(0, r.code, r.err);
        assertEquals("", r.err);
    }

    private CommandRun list() {
        return CommandRun.run("list", "-tlnp", "--source", "procfs", "--proc-root", proc.toString());
    }


}
