package io.connmon.parser.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.model.ContainerRef;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetnsDiscoveryTest {

    private static final String[] PIDS = {"1", "100", "101", "200", "300", "400", "500", "600", "700"};

    @TempDir
    Path tmp;
    Path proc;

    /** The fixture's cgroup files, with a net/tcp per process: 101 shares 100's (a hard link), 400 shares 1's. */
    @BeforeEach
    void tree() throws IOException {
        proc = tmp.resolve("proc");
        for (String pid : PIDS) {
            Path dir = Files.createDirectories(proc.resolve(pid).resolve("net"));
            try (InputStream in = getClass().getResourceAsStream("/netns/proc/" + pid + "/cgroup")) {
                Files.copy(in, proc.resolve(pid).resolve("cgroup"));
            }
            if (pid.equals("101")) {
                Files.createLink(dir.resolve("tcp"), proc.resolve("100/net/tcp"));
            } else if (pid.equals("400")) {
                Files.createLink(dir.resolve("tcp"), proc.resolve("1/net/tcp"));
            } else {
                Files.writeString(dir.resolve("tcp"), "  sl  local_address rem_address   st\n");
            }
        }
        Files.createSymbolicLink(proc.resolve("self"), proc.resolve("1"));
        Files.createDirectories(proc.resolve("not-a-pid"));
    }

    @Test
    void oneNamespacePerDistinctNetTcpInodeWithItsLowestPid() throws IOException {
        NetnsDiscovery d = new NetnsDiscovery(proc, tmp.resolve("netns"));
        List<NetnsDiscovery.Found> found = d.scan();
        found.sort((a, b) -> Integer.compare(a.pid(), b.pid()));
        assertEquals(List.of(1, 100, 200, 300, 500, 600, 700), found.stream().map(NetnsDiscovery.Found::pid).toList());
        assertEquals(2, found.get(0).processes()); // 1 and 400
        assertEquals(2, found.get(1).processes()); // 100 and 101
        assertEquals(found.get(0).key(), d.ownKey());
        assertNotEquals(found.get(0).key(), found.get(1).key());
        assertEquals(Files.getAttribute(proc.resolve("100/net/tcp"), "unix:ino"), found.get(1).key());
        assertEquals(0, d.unreadableProcesses());
    }

    @Test
    void keepsItsRepresentativeWhileItLivesAndNoticesWhenItExits() throws IOException {
        NetnsDiscovery d = new NetnsDiscovery(proc, tmp.resolve("netns"));
        long dockerKey = d.key(100);
        assertEquals(100, pidOf(d.scan(), dockerKey));
        deleteTree(proc.resolve("100")); // the representative exits
        assertEquals(101, pidOf(d.scan(), dockerKey));
        // a new process with a lower pid joins: the representative stays 101 while it lives
        Path p = Files.createDirectories(proc.resolve("99/net"));
        Files.createLink(p.resolve("tcp"), proc.resolve("101/net/tcp"));
        assertEquals(101, pidOf(d.scan(), dockerKey));
        deleteTree(proc.resolve("101"));
        assertEquals(99, pidOf(d.scan(), dockerKey));
        deleteTree(proc.resolve("99"));
        assertEquals(-1, pidOf(d.scan(), dockerKey)); // the namespace is gone
    }

    @Test
    void containersFromTheFixtureCgroups() {
        NetnsDiscovery d = new NetnsDiscovery(proc, tmp.resolve("netns"));
        assertEquals(ContainerRef.NONE, d.containerOf(1));
        assertEquals(new ContainerRef("docker", "3f4e5d6c7b8a99881122334455667788990011223344556677889900aabbccdd",
                null, null), d.containerOf(100));
        assertEquals(new ContainerRef("containerd",
                "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
                "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5", null), d.containerOf(200));
        assertEquals(new ContainerRef("kubernetes",
                "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999",
                "11112222-3333-4444-5555-666677778888", null), d.containerOf(300));
        assertEquals(new ContainerRef(null, null, null, "nginx.service"), d.containerOf(400));
        assertEquals(new ContainerRef("crio", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "99998888-7777-6666-5555-444433332222", null), d.containerOf(500));
        assertEquals(new ContainerRef("docker", "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
                null, null), d.containerOf(600));
        assertEquals(new ContainerRef(null, null, null, "app-firefox.service"), d.containerOf(700));
        assertEquals(ContainerRef.NONE, d.containerOf(12345)); // gone
    }

    @Test
    void cgroupEdgeCases() {
        assertEquals(ContainerRef.NONE, CgroupParser.parse(""));
        assertEquals(ContainerRef.NONE, CgroupParser.parse("0::/\n"));
        assertEquals(ContainerRef.NONE, CgroupParser.parse("garbage without colons"));
        // containerd under systemd's containerd.service (its cgroup path form)
        assertEquals(new ContainerRef("containerd", "abcdefabcdef0123", "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5",
                "containerd.service"), CgroupParser.parsePath("/system.slice/containerd.service/kubepods-burstable-pod"
                        + "0c1d2e3f_4a5b_6c7d_8e9f_a0b1c2d3e4f5.slice:cri-containerd:abcdefabcdef0123"));
        // a pod-level cgroup (the pause sandbox's parent) gives the pod without a container
        assertEquals(new ContainerRef(null, null, "11112222-3333-4444-5555-666677778888", null),
                CgroupParser.parsePath("/kubepods/besteffort/pod11112222-3333-4444-5555-666677778888"));
    }

    @Test
    void namespaceLinks() throws IOException {
        assertEquals(4026531840L, NetnsDiscovery.parseNsLink("net:[4026531840]"));
        assertThrows(IOException.class, () -> NetnsDiscovery.parseNsLink("mnt:[4026531840]"));
        assertThrows(IOException.class, () -> NetnsDiscovery.parseNsLink("net:[x]"));
    }

    @Test
    void namesByInode() throws IOException {
        Path netns = Files.createDirectories(tmp.resolve("netns"));
        Files.writeString(netns.resolve("blue"), "");
        long ino = (Long) Files.getAttribute(netns.resolve("blue"), "unix:ino");
        Map<Long, String> names = new NetnsDiscovery(proc, netns).names();
        assertEquals(Map.of(ino, "blue"), names);
        assertTrue(new NetnsDiscovery(proc, tmp.resolve("absent")).names().isEmpty());
    }

    /**
     * Namespace files bind-mounted in the ip netns and Docker directories, one per inode, named only in the
     * first; a file on another device than {@code self/ns/net}'s (no namespace: a mount gone) is passed over; a
     * directory that does not exist is normal, one that cannot be listed is a fault.
     */
    @Test
    void boundNamespacesOnePerInode() throws IOException {
        Files.createDirectories(proc.resolve("1/ns"));
        Files.writeString(proc.resolve("1/ns/net"), ""); // stands for nsfs: the device namespace files are on
        Path netns = Files.createDirectories(tmp.resolve("netns"));
        Path docker = Files.createDirectories(tmp.resolve("docker"));
        Files.writeString(netns.resolve("red"), "");
        Files.writeString(netns.resolve("blue"), "");
        Files.createLink(docker.resolve("sandbox1"), netns.resolve("blue")); // the same namespace twice
        Files.writeString(docker.resolve("sandbox2"), "");
        Files.createSymbolicLink(netns.resolve("stale"), Path.of("/proc/version")); // another device
        long blue = (Long) Files.getAttribute(netns.resolve("blue"), "unix:ino");
        long red = (Long) Files.getAttribute(netns.resolve("red"), "unix:ino");
        long sandbox2 = (Long) Files.getAttribute(docker.resolve("sandbox2"), "unix:ino");
        NetnsDiscovery d = new NetnsDiscovery(proc, netns, List.of(netns, docker, tmp.resolve("absent")));
        assertEquals(List.of(new NetnsDiscovery.Bound(blue, netns.resolve("blue"), "blue"),
                new NetnsDiscovery.Bound(red, netns.resolve("red"), "red"),
                new NetnsDiscovery.Bound(sandbox2, docker.resolve("sandbox2"), null)), d.boundNamespaces());
        assertEquals(List.of(), d.boundDirectoryFaults());
        Files.delete(netns.resolve("stale")); // a link out of the temporary directory, which JUnit warns about
        assertEquals(List.of(), new NetnsDiscovery(proc, netns, List.of()).boundNamespaces());
        // a directory that cannot be listed (here a link to itself): a fault, the others stand
        Path loop = tmp.resolve("loop");
        Files.createSymbolicLink(loop, loop);
        NetnsDiscovery faulty = new NetnsDiscovery(proc, netns, List.of(loop, docker));
        assertEquals(2, faulty.boundNamespaces().size()); // sandbox1 (blue, unnamed here) and sandbox2
        assertEquals(1, faulty.boundDirectoryFaults().size());
        assertTrue(faulty.boundDirectoryFaults().get(0).startsWith("cannot list " + loop), faulty.boundDirectoryFaults()
                .toString());
    }

    private static int pidOf(List<NetnsDiscovery.Found> found, long key) {
        return found.stream().filter(f -> f.key() == key).mapToInt(NetnsDiscovery.Found::pid).findFirst().orElse(-1);
    }

    private static void deleteTree(Path p) throws IOException {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }
}
