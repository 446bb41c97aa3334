package io.connmon.parser.source.netns;

import io.connmon.parser.netns.NetnsDiscovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.model.NetNamespace;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SourceException;
import io.connmon.parser.source.SourceKind;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The procfs reader over a fixture proc tree, and the faults: a process gone between scan and read, unreadable tables. */
class NamespacesSocketSourceTest {

    private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
            + "   uid  timeout inode\n";

    @TempDir
    Path tmp;
    Path proc;

    @BeforeEach
    void tree() throws IOException {
        proc = tmp.resolve("proc");
        process(1, "0100007F:1F90", 0x1F90); // the own namespace: 127.0.0.1:8080
        Files.createDirectories(proc.resolve("net"));
        Files.createLink(proc.resolve("net/tcp"), proc.resolve("1/net/tcp"));
        Files.createSymbolicLink(proc.resolve("self"), proc.resolve("1"));
        process(100, "0100007F:0050", 80);
        process(200, "0100007F:0051", 81);
        Files.createDirectories(proc.resolve("300/net/tcp")); // a table that cannot be read (a directory)
        Files.createDirectories(proc.resolve("300/ns"));
        Files.createSymbolicLink(proc.resolve("300/ns/net"), Path.of("net:[4026532300]"));
    }

    private void process(int pid, String local, int port) throws IOException {
        Path net = Files.createDirectories(proc.resolve(pid + "/net"));
        Files.writeString(net.resolve("tcp"), HEADER + "   0: " + local + " 00000000:0000 0A 00000000:00000000 "
                + "00:00000000 00000000     0        0 " + (1000 + pid) + " 1 0000000000000000 100 0 0 10 0\n");
        Files.createDirectories(proc.resolve(pid + "/ns"));
        Files.createSymbolicLink(proc.resolve(pid + "/ns/net"), Path.of("net:[40265" + (31000 + pid) + "]"));
        Files.writeString(proc.resolve(pid + "/cgroup"), pid == 100
                ? "0::/system.slice/docker-" + "ab".repeat(32) + ".scope\n" : "0::/init.scope\n");
    }

    @Test
    void eachNamespaceReadOnceFaultsSkippedAndCountedTheRestStands() throws Exception {
        NetnsDiscovery d = new NetnsDiscovery(proc, tmp.resolve("netns"));
        // process 200 exits after the scan, before its tables are read
        try (NamespacesSocketSource source = new NamespacesSocketSource(d, SourceKind.PROCFS, ns -> {
            if (ns.pid() == 200) {
                delete(proc.resolve("200"));
            }
            return true;
        })) {
            SocketTable t = source.collect();
            List<NetNamespace> nss = t.namespaces();
            assertEquals(List.of(1, 100, 200, 300), nss.stream().map(NetNamespace::pid).toList());
            NetNamespace own = nss.get(0);
            assertTrue(own.own());
            assertEquals(4026531001L, own.inode());
            assertNull(own.error());
            NetNamespace docker = nss.get(1);
            assertEquals(4026531100L, docker.inode(), "inode from ns/net");
            assertEquals("docker", docker.container().runtime());
            assertEquals("procfs", docker.reader());
            assertNotNull(docker.portRangeNote(), "another namespace's port range is unknowable through procfs");
            assertNotNull(nss.get(2).error(), "process gone");
            assertNotNull(nss.get(3).error(), "tables unreadable");
            assertEquals(0, nss.get(3).count());
            assertEquals(2, source.skippedTotal());
            assertEquals(2, t.sockets().size());
            SocketRecord first = t.sockets().get(0);
            SocketRecord second = t.sockets().get(1);
            assertEquals(8080, first.localPort());
            assertEquals(own, t.namespaceOf(first));
            assertEquals(80, second.localPort());
            assertEquals(docker, t.namespaceOf(second));
            assertEquals(1, docker.first());
            assertEquals(1, docker.count());
        }
    }

    @Test
    void everyNamespaceUnreadableFailsTheCollection() throws Exception {
        delete(proc.resolve("100"));
        delete(proc.resolve("200"));
        Files.delete(proc.resolve("net/tcp"));
        Files.delete(proc.resolve("1/net/tcp"));
        Files.createDirectories(proc.resolve("1/net/tcp"));
        Files.createDirectories(proc.resolve("net/tcp"));
        try (NamespacesSocketSource source = new NamespacesSocketSource(proc, tmp.resolve("netns"), SourceKind.PROCFS)) {
            assertThrows(SourceException.class, source::collect);
        }
    }

    /**
     * A namespace file bind-mounted in the {@code ip netns} directory whose inode no process's {@code ns/net}
     * has: listed by its name and inode with no process, and, procfs having no {@code /proc/PID/net} to read it
     * through, skipped with why (counted); a file whose inode is a process's namespace names that one instead.
     */
    @Test
    void aNamespaceNoProcessLivesInIsListedWithWhyProcfsCannotReadIt() throws Exception {
        Path netns = Files.createDirectories(tmp.resolve("netns"));
        Path docker = Files.createDirectories(tmp.resolve("docker-netns"));
        long idle = inode(Files.writeString(netns.resolve("idle"), ""));
        long blue = inode(Files.writeString(netns.resolve("blue"), ""));
        long sandbox = inode(Files.writeString(docker.resolve("0123456789ab"), ""));
        Files.delete(proc.resolve("100/ns/net")); // process 100 lives in blue
        Files.createSymbolicLink(proc.resolve("100/ns/net"), Path.of("net:[" + blue + "]"));
        NetnsDiscovery d = new NetnsDiscovery(proc, netns, List.of(netns, docker));
        try (NamespacesSocketSource source = new NamespacesSocketSource(d, SourceKind.PROCFS, ns -> true)) {
            SocketTable t = source.collect();
            List<NetNamespace> nss = t.namespaces();
            assertEquals(List.of(1, 100, 200, 300, -1, -1), nss.stream().map(NetNamespace::pid).toList());
            assertEquals("blue", nss.get(1).name(), "named by its file, read through its process");
            assertNull(nss.get(1).error());
            NetNamespace none = nss.get(4);
            assertEquals(idle, none.inode());
            assertEquals(Long.toString(idle), none.id());
            assertEquals("idle", none.name());
            assertEquals("procfs", none.reader());
            assertEquals(0, none.count());
            assertTrue(none.error().contains("no process lives in it (held by " + netns.resolve("idle") + ")"),
                    none.error());
            assertTrue(none.error().contains("CAP_SYS_ADMIN"), none.error());
            assertTrue(none.matches("idle") && none.matches(Long.toString(idle)) && !none.matches("-1"));
            NetNamespace dockers = nss.get(5);
            assertEquals(sandbox, dockers.inode());
            assertNull(dockers.name(), "not an ip netns name");
            assertTrue(dockers.error().contains(docker.resolve("0123456789ab").toString()), dockers.error());
            assertEquals(3, source.skippedTotal(), "300's tables, idle, the sandbox");
            assertEquals(3, t.sockets().size(), "the three readable namespaces' sockets, nothing of the others");
            // asked for by name alone (connmon list --netns idle): the collection fails saying why, in one line
            try (NamespacesSocketSource one = new NamespacesSocketSource(d, SourceKind.PROCFS,
                    ns -> ns.matches("idle"))) {
                SourceException e = assertThrows(SourceException.class, one::collect);
                assertTrue(e.getMessage().startsWith("no network namespace could be read: " + idle + " (idle): no "
                        + "process lives in it"), e.getMessage());
                assertEquals(1, e.getMessage().lines().count());
            }
            // the bind mount removed (ip netns del idle): no longer listed
            Files.delete(netns.resolve("idle"));
            assertEquals(List.of(1, 100, 200, 300, -1), source.collect().namespaces().stream()
                    .map(NetNamespace::pid).toList());
        }
    }

    /** Where a process's namespace cannot be named (no ptrace access), a file's namespace may be that one: said. */
    @Test
    void aFileMayHoldAProcesssNamespaceThatCannotBeNamed() throws Exception {
        Path netns = Files.createDirectories(tmp.resolve("netns"));
        Files.writeString(netns.resolve("idle"), "");
        Files.delete(proc.resolve("200/ns/net")); // 200's inode cannot be read
        try (NamespacesSocketSource source = new NamespacesSocketSource(proc, netns, SourceKind.PROCFS)) {
            List<NetNamespace> nss = source.collect().namespaces();
            assertEquals("pid:200", nss.get(2).id());
            NetNamespace idle = nss.get(nss.size() - 1);
            assertEquals("idle", idle.name());
            assertTrue(idle.error().startsWith("no process found in it (held by "), idle.error());
            assertTrue(idle.error().endsWith("it may be one of the 1 namespaces listed as pid:PID, whose inodes"
                    + " cannot be read (CAP_SYS_PTRACE)"), idle.error());
        }
    }

    /** A directory of namespace files that cannot be listed is logged once, not each collection; the rest stands. */
    @Test
    void anUnlistableDirectoryIsLoggedOnce() throws Exception {
        Path loop = tmp.resolve("loop");
        Files.createSymbolicLink(loop, loop);
        List<String> warnings = new java.util.ArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(NamespacesSocketSource.class.getName());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                warnings.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(h);
        try (NamespacesSocketSource source = new NamespacesSocketSource(new NetnsDiscovery(proc, loop, List.of(loop)),
                SourceKind.PROCFS, ns -> true)) {
            assertEquals(4, source.collect().namespaces().size());
            assertEquals(4, source.collect().namespaces().size());
            assertEquals(1, warnings.stream().filter(w -> w.startsWith("cannot list " + loop)).count(),
                    warnings.toString());
        } finally {
            log.removeHandler(h);
            Files.delete(loop);
        }
    }

    /** Auto tries netlink through the file first; a file that is no namespace cannot be entered, and says so. */
    @Test
    void autoSaysWhyNetlinkCouldNotEnterIt() throws Exception {
        Path netns = Files.createDirectories(tmp.resolve("netns"));
        Files.writeString(netns.resolve("idle"), "");
        try (NamespacesSocketSource source = new NamespacesSocketSource(proc, netns, SourceKind.AUTO)) {
            NetNamespace idle = source.collect().namespaces().stream().filter(n -> "idle".equals(n.name()))
                    .findFirst().orElseThrow();
            assertEquals(-1, idle.pid());
            assertTrue(idle.error().contains("netlink cannot be used ("), idle.error());
        }
    }

    private static long inode(Path p) throws IOException {
        return (Long) Files.getAttribute(p, "unix:ino");
    }

    private static void delete(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
