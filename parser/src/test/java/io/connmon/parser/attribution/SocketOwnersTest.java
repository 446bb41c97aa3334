package io.connmon.parser.attribution;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SocketOwners} over a proc tree made in a temporary directory: {@code PID/fd/N} symbolic links to
 * {@code socket:[INODE]}, dangling as they are in /proc, plus {@code comm}, {@code stat} and {@code cgroup} files.
 * Most tests read it through {@link Tree}, which reports descriptor counts as Linux 6.2 and later do (or 0, as
 * older kernels do), counts the descriptor directories read, and moves a clock a millisecond a read.
 *
 * <p>The tests run as root, which reads any directory whatever its mode, so a {@code /proc/PID/fd} that cannot
 * be read for want of privilege is not made here: {@link Tree} fails it as the kernel does, and
 * {@link SocketOwnersLiveTest} covers the real thing with a child JVM running as nobody. This tree covers the
 * other ways a descriptor directory fails: absent, not a directory, a dangling link, an entry that is no link.
 */
class SocketOwnersTest {

    private static final Duration AMPLE = Duration.ofSeconds(10);
    private static final Endpoint ANY = Endpoint.IPV4_ANY;

    @TempDir
    Path proc;

    @BeforeEach
    void makeTree() throws IOException {
        // Entries of a real /proc that are not processes.
        Files.createDirectories(proc.resolve("net"));
        Files.createSymbolicLink(proc.resolve("self"), Path.of("100"));
        Files.writeString(proc.resolve("uptime"), "1.00 2.00\n");

        process(100, "nginx", "0::/system.slice/nginx.service\n",
                "0", "socket:[1001]", "1", "/dev/null", "3", "socket:[1002]", "4", "pipe:[1003]");
        process(200, "postgres", "12:pids:/system.slice/postgresql.service\n"
                        + "5:cpu,cpuacct:/\n1:name=systemd:/system.slice/postgresql.service\n",
                "0", "socket:[2001]", "6", "socket:[3003]", "7", "anon_inode:[eventpoll]");
        process(300, "sshd", "0::/\n", "3", "socket:[3001]", "7", "socket:[3003]");
    }

    /** Empties the tree, so that JUnit does not warn about each link to a target outside it. */
    @AfterEach
    void emptyTree() throws IOException {
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path p : entries.toList()) {
                deleteTree(p);
            }
        }
    }

    /** A process directory; {@code fds} alternates descriptor numbers and link targets. */
    private void process(int pid, String comm, String cgroup, String... fds) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Integer.toString(pid)).resolve("fd")).getParent();
        if (comm != null) {
            Files.writeString(dir.resolve("comm"), comm + "\n");
            stat(pid, comm, pid * 10L);
        }
        if (cgroup != null) {
            Files.writeString(dir.resolve("cgroup"), cgroup);
        }
        for (int i = 0; i < fds.length; i += 2) {
            link(pid, fds[i], fds[i + 1]);
        }
    }

    private void link(int pid, String fd, String target) throws IOException {
        Files.createSymbolicLink(proc.resolve(pid + "/fd/" + fd), Path.of(target));
    }

    /** Points descriptor {@code fd} of {@code pid} somewhere else (closed and reopened: the count stays). */
    private void relink(int pid, String fd, String target) throws IOException {
        Files.delete(proc.resolve(pid + "/fd/" + fd));
        link(pid, fd, target);
    }

    /** {@code /proc/PID/stat} as the kernel writes it, with the start time (field 22) given. */
    private void stat(int pid, String comm, long startTime) throws IOException {
        StringBuilder b = new StringBuilder(pid + " (" + comm + ") S 1");
        for (int field = 5; field <= 21; field++) {
            b.append(' ').append(field == 19 ? 0 : field == 20 ? 1 : field * 3);
        }
        b.append(' ').append(startTime).append(" 123456 789 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0"
                + " 0 0 0 0 0\n");
        Files.writeString(proc.resolve(pid + "/stat"), b);
    }

    /**
     * The fixture tree as {@link SocketOwners} reads it, counting the descriptor directories read. With
     * {@code sizes} it reports each descriptor directory's entry count as its size, as Linux 6.2 and later do;
     * without, 0, as older kernels do. Pids in {@code denied} fail as another user's process does; the descriptor
     * links of those in {@code linksDenied} fail as they do for root without CAP_SYS_PTRACE.
     */
    static final class Tree extends ProcTree {
        boolean sizes = true;
        final List<Integer> fdReads = new ArrayList<>();
        final List<Integer> startReads = new ArrayList<>();
        final java.util.Set<Integer> denied = new java.util.HashSet<>();
        final java.util.Set<Integer> linksDenied = new java.util.HashSet<>();
        long nanos; // a clock that moves a millisecond a descriptor directory read
        private final Path root;

        Tree(Path root) {
            super(root);
            this.root = root;
        }

        @Override
        FdDir fdDir(int pid) {
            FdDir real = super.fdDir(pid);
            if (real == null || !sizes) {
                return real == null ? null : new FdDir(0, real.fileKey(), real.modifiedNanos());
            }
            try (Stream<Path> s = Files.list(root.resolve(pid + "/fd"))) {
                return new FdDir(s.count(), real.fileKey(), real.modifiedNanos());
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        String link(Path fd) throws IOException {
            if (linksDenied.contains(Integer.parseInt(fd.getParent().getParent().getFileName().toString()))) {
                throw new java.nio.file.AccessDeniedException(fd.toString());
            }
            return super.link(fd);
        }

        @Override
        long startTime(int pid) {
            startReads.add(pid);
            return super.startTime(pid);
        }

        @Override
        long[] socketInodes(int pid) throws IOException {
            fdReads.add(pid);
            nanos += 1_000_000;
            if (denied.contains(pid)) {
                throw new java.nio.file.AccessDeniedException(root.resolve(pid + "/fd").toString());
            }
            return super.socketInodes(pid);
        }

        /** The pids read since the last call, sorted. */
        List<Integer> takeReads() {
            List<Integer> r = new ArrayList<>(fdReads);
            r.sort(null);
            fdReads.clear();
            return r;
        }
    }

    private static final int NEVER = Integer.MAX_VALUE;

    private static SocketOwners owners(Tree tree, Duration budget, int staleCollections) {
        return new SocketOwners(tree, budget, () -> tree.nanos, staleCollections);
    }

    private static SocketRecord tcp(SocketState state, int port, long inode) {
        return new SocketRecord(Protocol.TCP, Family.IPV4, state, Endpoint.ipv4(0x7F000001, port), ANY,
                0, 0, 0, inode, 0, 0, 0);
    }

    private static SocketTable table(SocketRecord... records) {
        return new SocketTable("test", List.of(records), List.of());
    }

    private static final SocketRecord NGINX_80 = tcp(SocketState.LISTEN, 80, 1001);
    private static final SocketRecord NGINX_443 = tcp(SocketState.LISTEN, 443, 1002);
    private static final SocketRecord POSTGRES = tcp(SocketState.LISTEN, 5432, 2001);
    private static final SocketRecord SSHD = tcp(SocketState.LISTEN, 22, 3001);
    private static final SocketRecord SHARED = tcp(SocketState.ESTABLISHED, 40000, 3003);
    private static final SocketRecord NOBODYS = tcp(SocketState.ESTABLISHED, 40001, 9999);
    private static final SocketRecord TIME_WAIT = tcp(SocketState.TIME_WAIT, 40002, 0);

    private static final SocketTable ALL = table(NGINX_80, NGINX_443, POSTGRES, SSHD, SHARED, NOBODYS, TIME_WAIT);

    private static SocketTable allAnd(SocketRecord... more) {
        List<SocketRecord> r = new ArrayList<>(ALL.sockets());
        r.addAll(List.of(more));
        return new SocketTable("test", r, List.of());
    }

    private static List<SocketRecord> without(SocketRecord gone) {
        List<SocketRecord> r = new ArrayList<>(ALL.sockets());
        r.remove(gone);
        return r;
    }

    @Test
    void aRescanCutShortByTheBudgetIsFinishedAtTheNextCalls() throws IOException {
        Tree tree = new Tree(proc);
        SocketOwners owners = owners(tree, Duration.ZERO, NEVER); // one process a call
        for (int call = 0; !owners.resolve(ALL).complete(); call++) {
            assertTrue(call < 3);
        }
        // Two processes open a connection each: both descriptor counts move, the budget allows one rescan.
        link(200, "8", "socket:[9999]");
        link(300, "9", "socket:[8888]");
        SocketRecord sshdOut = tcp(SocketState.ESTABLISHED, 40003, 8888);
        SocketTable t = allAnd(sshdOut);
        Attribution a = owners.resolve(t);
        assertEquals(200, a.ownerOf(NOBODYS).pid());
        assertNull(a.ownerOf(sshdOut));
        assertFalse(a.complete());
        for (int call = 0; a.ownerOf(sshdOut) == null; call++) {
            assertTrue(call < 3, "300 was never rescanned");
            a = owners.resolve(t);
            assertFalse(a.complete() && a.ownerOf(sshdOut) == null, "complete while 300 was left unscanned");
        }
        assertEquals(new SocketOwner(300, "sshd", null), a.ownerOf(sshdOut));
        assertTrue(owners.resolve(t).complete());
    }

    @Test
    void aConnectionClosedAndAnotherOpenedWithTheSameCountIsFound() throws IOException {
        Tree tree = new Tree(proc);
        SocketOwners owners = owners(tree, AMPLE, NEVER);
        owners.resolve(ALL);
        tree.takeReads();
        relink(100, "3", "socket:[1005]"); // nginx closed 1002, accepted 1005: as many descriptors as before
        SocketRecord accepted = tcp(SocketState.ESTABLISHED, 80, 1005);
        SocketTable t = new SocketTable("test", concat(without(NGINX_443), accepted), List.of());
        Attribution a = owners.resolve(t);
        assertEquals(new SocketOwner(100, "nginx", "nginx.service"), a.ownerOf(accepted));
        assertTrue(a.complete());
        assertTrue(tree.takeReads().contains(100));
        owners.resolve(t);
        assertEquals(List.of(), tree.takeReads()); // found once, not searched again
    }

    @Test
    void aPidReusedByAnotherProcessIsReadAfresh() throws IOException {
        // sshd (300) forked 301, which shares its listener; then 300 exits and a new process gets pid 300,
        // with as many descriptors as the old one had and no socket in the table.
        process(301, "sshd", "0::/\n", "3", "socket:[3001]");
        Tree tree = new Tree(proc);
        SocketOwners owners = owners(tree, AMPLE, NEVER);
        assertEquals(new SocketOwner(300, "sshd", null), owners.resolve(ALL).ownerOf(SSHD));

        deleteTree(proc.resolve("300"));
        process(300, "redis-server", "0::/system.slice/redis-server.service\n",
                "3", "socket:[7001]", "7", "/dev/null");
        stat(300, "redis-server", 999_999);
        tree.takeReads();
        tree.startReads.clear();
        Attribution a = owners.resolve(ALL);
        assertEquals(new SocketOwner(301, "sshd", null), a.ownerOf(SSHD));
        assertEquals(200, a.ownerOf(SHARED).pid());
        assertEquals(List.of(300), tree.takeReads());
        assertEquals(List.of(300), tree.startReads); // its /proc/PID/fd is a new directory: the others are not
    }

    @Test
    void aSocketInodeReusedAfterWrapAroundGetsItsNewOwner() throws IOException {
        Tree tree = new Tree(proc);
        SocketOwners owners = owners(tree, AMPLE, NEVER);
        owners.resolve(ALL);
        // postgres closes its listener and opens a file in its place; the listener leaves the table.
        relink(200, "0", "/var/lib/postgresql/base");
        owners.resolve(table(without(POSTGRES).toArray(new SocketRecord[0])));
        // Later the kernel hands the same inode number to a connection of sshd.
        link(300, "9", "socket:[2001]");
        SocketRecord reused = tcp(SocketState.ESTABLISHED, 40010, 2001);
        Attribution a = owners.resolve(new SocketTable("test", concat(without(POSTGRES), reused), List.of()));
        assertEquals(new SocketOwner(300, "sshd", null), a.ownerOf(reused));
        assertTrue(a.complete());
    }

    @Test
    void noEntryStaysStaleLongerThanTheBound() throws IOException {
        // postgres hands its listener to sshd (SCM_RIGHTS) while both keep their descriptor counts, and the
        // socket never leaves the table: nothing tells. The periodic rescan does, within the bound.
        Tree tree = new Tree(proc);
        SocketOwners owners = owners(tree, AMPLE, 4);
        owners.resolve(ALL);
        relink(200, "0", "/dev/null");
        relink(300, "3", "socket:[2001]");
        SocketTable t = table(without(SSHD).toArray(new SocketRecord[0]));
        tree.takeReads();
        Attribution a = null;
        for (int i = 0; i < 4; i++) {
            a = owners.resolve(t);
        }
        assertEquals(new SocketOwner(300, "sshd", null), a.ownerOf(POSTGRES));
        assertEquals(List.of(100, 200, 300), tree.takeReads()); // each process once in 4 collections
    }

    @Test
    void periodicReadsLeftOverByTheBudgetTakeTurnsAndLeaveTheAttributionComplete() {
        Tree tree = new Tree(proc);
        SocketOwners owners = owners(tree, Duration.ZERO, 1); // every process due at every collection
        for (int call = 0; !owners.resolve(ALL).complete(); call++) {
            assertTrue(call < 3);
        }
        tree.takeReads();
        for (int i = 0; i < 6; i++) {
            Attribution a = owners.resolve(ALL);
            assertTrue(a.complete()); // nothing signalled a change: a periodic read left over is no gap
            assertEquals(200, a.ownerOf(POSTGRES).pid());
        }
        assertEquals(List.of(100, 100, 200, 200, 300, 300), tree.takeReads()); // one a call, in turn
    }

    @Test
    void withoutDescriptorCountsAnUnownedSocketDoesNotRescanEveryCollection() throws IOException {
        // Kernels before 6.2 report size 0 for /proc/PID/fd; 9999 is a kernel socket (WireGuard, NFS).
        Tree tree = new Tree(proc);
        tree.sizes = false;
        SocketOwners owners = owners(tree, AMPLE, 4);
        Attribution a = owners.resolve(ALL);
        assertEquals(List.of(100, 200, 300), tree.takeReads());
        assertNull(a.ownerOf(NOBODYS));
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 4; i++) {
                a = owners.resolve(ALL);
                assertTrue(a.complete());
                assertNull(a.ownerOf(NOBODYS));
                assertEquals(200, a.ownerOf(POSTGRES).pid());
            }
            // Steady state: only the periodic rescan, each process once per 4 collections.
            assertEquals(List.of(100, 200, 300), tree.takeReads(), "round " + round);
        }
        assertEquals(List.of(100, 200, 300), tree.startReads); // at the first collection only
        // A new connection is still found, without a descriptor count to tell.
        link(200, "8", "socket:[8888]");
        SocketRecord pgOut = tcp(SocketState.ESTABLISHED, 40004, 8888);
        a = owners.resolve(allAnd(pgOut));
        assertEquals(200, a.ownerOf(pgOut).pid());
        assertTrue(a.complete());
        assertTrue(tree.takeReads().size() <= 3);
    }

    @Test
    void withoutDescriptorCountsOtherProcessesAreSearchedForSocketsThatStay() throws IOException {
        process(400, "cron", "0::/system.slice/cron.service\n", "0", "/dev/null"); // no socket in the table
        Tree tree = new Tree(proc);
        tree.sizes = false;
        SocketOwners owners = owners(tree, AMPLE, NEVER);
        owners.resolve(ALL);
        tree.takeReads();
        // A connection gone before its owner was read: only the processes with sockets are searched.
        Attribution a = owners.resolve(allAnd(tcp(SocketState.ESTABLISHED, 40020, 7777)));
        assertEquals(List.of(100, 200, 300), tree.takeReads());
        assertFalse(a.complete());
        assertTrue(owners.resolve(ALL).complete());
        assertEquals(List.of(), tree.takeReads());
        // A connection of cron that stays: searched among the others at the next collection.
        link(400, "3", "socket:[8889]");
        SocketRecord cron = tcp(SocketState.ESTABLISHED, 40021, 8889);
        a = owners.resolve(allAnd(cron));
        assertNull(a.ownerOf(cron));
        assertFalse(a.complete());
        assertEquals(List.of(100, 200, 300), tree.takeReads());
        a = owners.resolve(allAnd(cron));
        assertEquals(new SocketOwner(400, "cron", "cron.service"), a.ownerOf(cron));
        assertTrue(a.complete());
        assertEquals(List.of(400), tree.takeReads());
    }

    @Test
    void socketsLeftUnattributedWithDeniedProcessesAreNotComplete() {
        Tree tree = new Tree(proc);
        tree.denied.add(300); // another user's sshd, without the privilege to read it
        SocketOwners owners = owners(tree, AMPLE, NEVER);
        Attribution a = owners.resolve(ALL);
        assertNull(a.ownerOf(SSHD));
        assertEquals(1, a.deniedProcesses());
        assertEquals(1, owners.deniedProcesses());
        assertFalse(a.complete());
        assertFalse(owners.resolve(ALL).complete()); // and it stays so
        // Every socket found despite a denied process: complete.
        Attribution b = owners.resolve(table(NGINX_80, POSTGRES, TIME_WAIT));
        assertTrue(b.complete());
        assertEquals(1, b.deniedProcesses());
    }

    @Test
    void descriptorsListedButLinksUnreadableCountAsDenied() {
        // Root without CAP_SYS_PTRACE but with CAP_DAC_OVERRIDE lists /proc/PID/fd but reads none of its links.
        Tree tree = new Tree(proc);
        tree.linksDenied.add(300);
        SocketOwners owners = owners(tree, AMPLE, NEVER);
        Attribution a = owners.resolve(ALL);
        assertNull(a.ownerOf(SSHD));
        assertEquals(1, a.deniedProcesses());
        assertFalse(a.complete());
    }

    @Test
    void privilegeIsReadFromTheProcRoot() throws IOException {
        Files.delete(proc.resolve("self"));
        Files.createDirectories(proc.resolve("self"));
        Files.writeString(proc.resolve("self/status"), "Name:\tconnmon\nUid:\t0\t0\t0\t0\nCapEff:\t0\n");
        assertEquals(ROOT_LIMITED, new SocketOwners(proc, AMPLE).privilegeProblem());
        Files.writeString(proc.resolve("self/status"), "Uid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n");
        assertNull(new SocketOwners(proc, AMPLE).privilegeProblem());
    }

    static Stream<Arguments> stats() {
        String rest = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 20 0 1 0 424242 123 456\n";
        return Stream.of(
                Arguments.of(Named.of("a plain name", "1234 (nginx)" + rest), 424242L),
                Arguments.of(Named.of("a name with spaces and parentheses", "1234 (a) b) (c d)" + rest), 424242L),
                Arguments.of(Named.of("a name that looks like fields", "1234 (x) S 1 2 3)" + rest), 424242L),
                Arguments.of(Named.of("cut short", "1234 (nginx) S 1 2 3\n"), 0L),
                Arguments.of(Named.of("no parenthesis", "1234 nginx S 1 2"), 0L),
                Arguments.of(Named.of("garbled start time", "1234 (nginx)" + rest.replace("424242", "4x2")), 0L),
                Arguments.of(Named.of("a start time beyond a long", "1234 (nginx)"
                        + rest.replace("424242", "92233720368547758070")), 0L),
                Arguments.of(Named.of("a real line", "62185 (bash) S 6771 6779 6779 0 -1 4194560 5323 259033 0 7 0"
                        + " 4 1538 139 20 0 1 0 34421 5386240 1015 18446744073709551615 93928130654208\n"), 34421L),
                Arguments.of(Named.of("empty", ""), 0L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stats")
    void startTimeOf(String stat, long expected) {
        assertEquals(expected, ProcTree.startTimeOf(stat));
    }

    private static List<SocketRecord> concat(List<SocketRecord> list, SocketRecord more) {
        List<SocketRecord> r = new ArrayList<>(list);
        r.add(more);
        return r;
    }

    @Test
    void eachSocketGoesToTheProcessHoldingIt() {
        SocketOwners owners = new SocketOwners(proc, AMPLE);
        Attribution a = owners.resolve(ALL);

        SocketOwner nginx = new SocketOwner(100, "nginx", "nginx.service");
        assertEquals(nginx, a.ownerOf(NGINX_80));
        assertEquals(nginx, a.ownerOf(NGINX_443));
        assertEquals(new SocketOwner(200, "postgres", "postgresql.service"), a.ownerOf(POSTGRES));
        assertEquals(new SocketOwner(300, "sshd", null), a.ownerOf(SSHD)); // the root cgroup names no unit
        assertNull(a.ownerOf(NOBODYS));
        assertNull(a.ownerOf(TIME_WAIT));
        assertEquals(5, a.attributed());
        assertEquals(1, a.unattributed()); // 9999; the TIME_WAIT socket has no inode and is not counted
        assertTrue(a.complete());
        assertTrue(a.enabled());
        assertEquals(0, owners.deniedProcesses());
        assertEquals(3, owners.scans()); // "net", "self" and "uptime" are no processes
    }

    @Test
    void aSocketSharedAfterForkGoesToTheLowestPid() {
        Attribution a = new SocketOwners(proc, AMPLE).resolve(ALL);
        assertEquals(200, a.ownerOf(SHARED).pid()); // held by 200 and 300
    }

    @Test
    void aVanishedProcessLosesItsSocketsAtTheNextCall() throws IOException {
        SocketOwners owners = new SocketOwners(proc, AMPLE);
        assertEquals(200, owners.resolve(ALL).ownerOf(POSTGRES).pid());

        deleteTree(proc.resolve("200"));
        Attribution a = owners.resolve(ALL);
        assertNull(a.ownerOf(POSTGRES));
        assertEquals(300, a.ownerOf(SHARED).pid()); // the other holder remains
        assertEquals(100, a.ownerOf(NGINX_80).pid());
        assertEquals(4, a.attributed());
        assertEquals(2, a.unattributed());
        assertTrue(a.complete());
        assertEquals(3, owners.scans()); // nothing else changed: no rescans
    }

    @Test
    void aProcessThatVanishesBetweenListingAndScanOwnsNothing() throws IOException {
        // Its directory is listed, but its descriptors are gone: what a process exiting mid-call leaves.
        process(150, "gone", "0::/\n");
        deleteTree(proc.resolve("150/fd"));
        Attribution a = new SocketOwners(proc, AMPLE).resolve(ALL);
        assertEquals(5, a.attributed());
        assertEquals(200, a.ownerOf(POSTGRES).pid());
    }

    @Test
    void unreadableDescriptorDirectoriesLeaveTheOthersAttributed() throws IOException {
        Files.createDirectories(proc.resolve("400"));
        Files.writeString(proc.resolve("400/fd"), "socket:[2001]\n"); // fd that is not a directory
        Files.createDirectories(proc.resolve("401"));
        Files.createSymbolicLink(proc.resolve("401/fd"), proc.resolve("no-such-dir")); // dangling
        // An entry that is no link, next to a socket: the socket is still found.
        process(403, null, null, "4", "socket:[9999]", "5", "socket:[0]");
        Files.writeString(proc.resolve("403/fd/3"), "socket:[1001]");

        SocketOwners owners = new SocketOwners(proc, AMPLE);
        Attribution a = owners.resolve(ALL);
        assertEquals(new SocketOwner(403, "?", null), a.ownerOf(NOBODYS)); // no comm, no cgroup
        assertEquals(100, a.ownerOf(NGINX_80).pid());
        assertEquals(200, a.ownerOf(POSTGRES).pid());
        assertEquals(6, a.attributed());
        assertEquals(0, a.unattributed());
        assertTrue(a.complete());
        assertEquals(0, owners.deniedProcesses()); // failures other than EACCES count as gone, not denied
    }

    @Test
    void inodeZeroIsNeverAttributed() throws IOException {
        // Even when a process shows a link to "socket:[0]", which the kernel never prints.
        process(50, "odd", null, "3", "socket:[0]");
        Attribution a = new SocketOwners(proc, AMPLE).resolve(ALL);
        assertNull(a.ownerOf(TIME_WAIT));
        assertEquals(5, a.attributed());
        assertEquals(1, a.unattributed());
    }

    @Test
    void nothingChangedMeansNoScans() {
        SocketOwners owners = new SocketOwners(proc, AMPLE);
        Attribution first = owners.resolve(ALL);
        long scans = owners.scans();
        assertEquals(3, scans);
        for (int i = 0; i < 3; i++) {
            Attribution again = owners.resolve(ALL);
            assertEquals(scans, owners.scans());
            assertEquals(first.attributed(), again.attributed());
            assertEquals(first.ownerOf(SHARED), again.ownerOf(SHARED));
        }
    }

    @Test
    void aNewProcessIsScannedAndOnlyIt() throws IOException {
        SocketOwners owners = new SocketOwners(proc, AMPLE);
        assertNull(owners.resolve(ALL).ownerOf(NOBODYS));
        process(250, "redis-server", "0::/system.slice/redis-server.service\n", "6", "socket:[9999]");
        Attribution a = owners.resolve(ALL);
        assertEquals(4, owners.scans());
        assertEquals(new SocketOwner(250, "redis-server", "redis-server.service"), a.ownerOf(NOBODYS));
        assertEquals(6, a.attributed());
    }

    @Test
    void aProcessWhoseDescriptorCountMovesIsRescanned() throws IOException {
        SocketOwners owners = new SocketOwners(proc, AMPLE);
        owners.resolve(ALL);
        assertEquals(3, owners.scans());

        // The fd directory's size stands for the descriptor count (Linux 6.2+). On tmpfs one more entry changes
        // it; on ext4 (a 4 KiB directory) it takes enough entries to fill the block.
        link(300, "8", "socket:[9999]");
        Path fd = proc.resolve("300/fd");
        long size = size(fd);
        for (int n = 9; size(fd) == size; n++) {
            assertTrue(n < 10_000, "the directory size never moved");
            link(300, Integer.toString(n), "/dev/null");
        }
        Attribution a = owners.resolve(ALL);
        assertEquals(4, owners.scans()); // 300 only
        assertEquals(300, a.ownerOf(NOBODYS).pid());
        assertEquals(6, a.attributed());
        assertEquals(0, a.unattributed());
    }

    @Test
    void aZeroBudgetStillScansOneProcessACallAndFinishesLater() {
        SocketOwners owners = new SocketOwners(proc, Duration.ZERO);
        List<Long> unattributed = new ArrayList<>();
        Attribution a = owners.resolve(ALL);
        assertFalse(a.complete());
        assertEquals(1, owners.scans());
        assertEquals(100, a.ownerOf(NGINX_80).pid()); // pid order: the lowest first
        assertNull(a.ownerOf(POSTGRES));
        unattributed.add(a.unattributed());
        for (int call = 2; !a.complete(); call++) {
            assertTrue(call <= 3, "more calls than processes");
            a = owners.resolve(ALL);
            unattributed.add(a.unattributed());
        }
        assertEquals(List.of(4L, 2L, 1L), unattributed); // 9999 belongs to nobody
        assertEquals(3, owners.scans());
        assertEquals(200, a.ownerOf(SHARED).pid());
        assertEquals(300, a.ownerOf(SSHD).pid());
        owners.resolve(ALL);
        assertEquals(3, owners.scans());
    }

    @Test
    void aMissingProcRootAttributesNothing() {
        SocketOwners owners = new SocketOwners(proc.resolve("absent"), AMPLE);
        Attribution a = owners.resolve(ALL);
        assertEquals(0, a.attributed());
        assertEquals(6, a.unattributed());
        assertTrue(a.complete());
        assertEquals(0, owners.scans());
    }

    @Test
    void noneAttributesNothing() {
        assertFalse(Attribution.NONE.enabled());
        assertNull(Attribution.NONE.ownerOf(NGINX_80));
        assertNull(Attribution.NONE.ownerOf(TIME_WAIT));
        assertEquals(0, Attribution.NONE.attributed());
    }

    @Test
    void ownerPrintsLikeNetstatAndRefusesNonsense() {
        assertEquals("1234/nginx", new SocketOwner(1234, "nginx", "nginx.service").toString());
        assertThrows(IllegalArgumentException.class, () -> new SocketOwner(0, "init", null));
        assertThrows(IllegalArgumentException.class, () -> new SocketOwner(-1, "x", null));
        assertThrows(IllegalArgumentException.class, () -> new SocketOwner(1, null, null));
    }

    static Stream<Arguments> linkTargets() {
        return Stream.of(
                Arguments.of(Named.of("a socket", "socket:[123]"), 123L),
                Arguments.of(Named.of("a socket with a large inode", "socket:[4026532008]"), 4026532008L),
                Arguments.of(Named.of("the largest long", "socket:[9223372036854775807]"), Long.MAX_VALUE),
                Arguments.of(Named.of("overflow by one", "socket:[9223372036854775808]"), -1L),
                Arguments.of(Named.of("overflow by digits", "socket:[123456789012345678901234]"), -1L),
                Arguments.of(Named.of("a pipe", "pipe:[5]"), -1L),
                Arguments.of(Named.of("an anonymous inode", "anon_inode:[eventpoll]"), -1L),
                Arguments.of(Named.of("a file", "/dev/null"), -1L),
                Arguments.of(Named.of("empty brackets", "socket:[]"), -1L),
                Arguments.of(Named.of("a letter", "socket:[12a]"), -1L),
                Arguments.of(Named.of("a sign", "socket:[-12]"), -1L),
                Arguments.of(Named.of("inode 0", "socket:[0]"), -1L),
                Arguments.of(Named.of("no closing bracket", "socket:[123"), -1L),
                Arguments.of(Named.of("no brackets", "socket:123"), -1L),
                Arguments.of(Named.of("only the prefix", "socket:["), -1L),
                Arguments.of(Named.of("empty", ""), -1L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("linkTargets")
    void socketInode(String target, long expected) {
        assertEquals(expected, SocketOwners.socketInode(target));
    }

    static Stream<Arguments> cgroups() {
        return Stream.of(
                Arguments.of(Named.of("v2 service", "0::/system.slice/nginx.service\n"), "nginx.service"),
                Arguments.of(Named.of("v2 root", "0::/\n"), null),
                Arguments.of(Named.of("v2 without newline", "0::/system.slice/cron.service"), "cron.service"),
                Arguments.of(Named.of("v2 user session", "0::/user.slice/user-1000.slice/session-2.scope\n"),
                        "session-2.scope"),
                Arguments.of(Named.of("docker scope",
                        "0::/system.slice/docker-3f2a9c0e5b7d.scope\n"), "docker-3f2a9c0e5b7d.scope"),
                Arguments.of(Named.of("kubernetes container",
                        "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/"
                                + "cri-containerd-77c1.scope\n"), "cri-containerd-77c1.scope"),
                Arguments.of(Named.of("v1 multi-line", "12:pids:/system.slice/ssh.service\n"
                        + "11:memory:/system.slice/ssh.service\n"
                        + "1:name=systemd:/system.slice/ssh.service\n"), "ssh.service"),
                Arguments.of(Named.of("v1, first hierarchies at the root", "12:pids:/\n"
                        + "4:cpu,cpuacct:/\n1:name=systemd:/system.slice/ssh.service\n"), "ssh.service"),
                Arguments.of(Named.of("v1 all at the root", "12:pids:/\n1:name=systemd:/\n"), null),
                Arguments.of(Named.of("hybrid: v2 wins over v1", "1:name=systemd:/system.slice/a.service\n"
                        + "0::/system.slice/b.service\n"), "b.service"),
                Arguments.of(Named.of("hybrid with v2 at the root", "1:name=systemd:/system.slice/a.service\n"
                        + "0::/\n"), "a.service"),
                Arguments.of(Named.of("unreadable", null), null),
                Arguments.of(Named.of("empty", ""), null),
                Arguments.of(Named.of("garbage", "no colons here\n"), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cgroups")
    void unitOf(String cgroup, String expected) {
        assertEquals(expected, SocketOwners.unitOf(cgroup));
    }

    private static final String ROOT_LIMITED = "uid 0 without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: the sockets"
            + " of other users' processes and of processes with more capabilities cannot be attributed";

    static Stream<Arguments> statuses() {
        String uid1000 = "Name:\tconnmon\nUid:\t1000\t1000\t1000\t1000\n";
        String limited = "without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only the sockets of uid 1000 processes"
                + " can be attributed";
        return Stream.of(
                Arguments.of(Named.of("root", "Uid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n"), null),
                Arguments.of(Named.of("root without capabilities", "Uid:\t0\t0\t0\t0\nCapEff:\t0\n"),
                        ROOT_LIMITED),
                Arguments.of(Named.of("root with CAP_SYS_PTRACE only", "Uid:\t0\t0\t0\t0\nCapEff:\t80000\n"),
                        ROOT_LIMITED),
                Arguments.of(Named.of("a user with both capabilities", uid1000 + "CapEff:\t0000000000080004\n"),
                        null),
                Arguments.of(Named.of("a user with none", uid1000 + "CapEff:\t0000000000000000\n"), limited),
                Arguments.of(Named.of("a user with CAP_SYS_PTRACE only", uid1000 + "CapEff:\t0000000000080000\n"),
                        limited),
                Arguments.of(Named.of("a user with CAP_DAC_READ_SEARCH only", uid1000 + "CapEff:\t4\n"), limited),
                Arguments.of(Named.of("setuid root without capabilities: the effective uid is named",
                        "Uid:\t1000\t0\t0\t0\nCapEff:\t0\n"), ROOT_LIMITED),
                Arguments.of(Named.of("no CapEff line", uid1000), "cannot tell the privileges from /proc/self/status"),
                Arguments.of(Named.of("a garbled effective uid", "Uid:\t1000\tx\t1000\t1000\n"),
                        "cannot tell the privileges from /proc/self/status"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("statuses")
    void privilegeProblem(String status, String expected) {
        assertEquals(expected, SocketOwners.privilegeProblem(status));
    }

    private static long size(Path dir) throws IOException {
        return Files.readAttributes(dir, BasicFileAttributes.class).size();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
