package io.connmon.parser.attribution;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SourceException;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SocketOwners} on this host's live /proc: child processes with names of their own listen and connect on
 * 127.0.0.1, and their pids and names must come out on their sockets.
 *
 * <p>The children are Python scripts that set their {@code comm} with {@code prctl(PR_SET_NAME)}. The listener
 * prints its pid and port, then the peer port of each connection it accepts; the client prints its pid, then
 * connects once per line it reads and prints its local port.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketOwnersLiveTest {

    private static final Path PROC = Path.of("/proc");
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3"
            : "python3";
    private static final String SCRIPT = String.join("\n",
            "import ctypes, os, socket, sys",
            "ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)",
            "keep = []",
            "if sys.argv[1] == 'cm-listener':",
            "    s = socket.socket()",
            "    s.bind(('127.0.0.1', 0))",
            "    s.listen(16)",
            "    print(os.getpid(), s.getsockname()[1], flush=True)",
            "    while True:",
            "        c, peer = s.accept()",
            "        keep.append(c)",
            "        print(peer[1], flush=True)",
            "else:",
            "    print(os.getpid(), flush=True)",
            "    for line in sys.stdin:",
            "        c = socket.create_connection(('127.0.0.1', int(sys.argv[2])))",
            "        keep.append(c)",
            "        print(c.getsockname()[1], flush=True)",
            "");

    private final List<Child> children = new ArrayList<>();
    private Child listener;
    private Child client;
    private int port;

    /** A child process and its pipes; {@code first} is the first line it printed, split at spaces. */
    private static final class Child {
        final Process process;
        final BufferedReader out;
        final Writer in;
        final String[] first;
        final int pid;

        Child(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(PYTHON, "-c", SCRIPT));
            command.addAll(List.of(args));
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
            first = line().split(" ");
            pid = Integer.parseInt(first[0]);
            assertEquals(process.pid(), pid, "the child is the python process itself");
        }

        String line() throws IOException {
            String l = out.readLine();
            if (l == null) {
                throw new AssertionError("child " + process.pid() + " ended");
            }
            return l;
        }

        /** Tells the client to connect once more; returns its new local port. */
        int connect() throws IOException {
            in.write("\n");
            in.flush();
            return Integer.parseInt(line());
        }
    }

    @BeforeEach
    void startChildren() throws IOException {
        needs(Files.isReadable(PROC.resolve("net/tcp")) && Files.isDirectory(PROC.resolve("self/fd")),
                "needs Linux /proc");
        needs(canRun(PYTHON), "needs python3");
        listener = start("cm-listener");
        port = Integer.parseInt(listener.first[1]);
        client = start("cm-client", Integer.toString(port));
    }

    @AfterEach
    void stopChildren() throws InterruptedException {
        for (Child c : children) {
            c.process.destroyForcibly();
            c.process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Child start(String... args) throws IOException {
        Child c = new Child(args);
        children.add(c);
        return c;
    }

    /** The client connects once more; returns its local port once the listener has accepted. */
    private int connectOnce() throws IOException {
        int clientPort = client.connect();
        assertEquals(clientPort, Integer.parseInt(listener.line()));
        return clientPort;
    }

    private static SocketTable collect() throws SourceException {
        try (ProcfsSocketSource source = new ProcfsSocketSource(PROC)) {
            return source.collect();
        }
    }

    private static SocketRecord find(SocketTable t, SocketState state, int localPort, int remotePort) {
        return t.sockets().stream().filter(of(state, localPort, remotePort)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + state + " " + localPort + " -> " + remotePort + " in "
                        + t.sockets().stream().filter(r -> r.local().port() == localPort).toList()));
    }

    private static Predicate<SocketRecord> of(SocketState state, int localPort, int remotePort) {
        return r -> r.protocol() == Protocol.TCP && r.state() == state && r.local().port() == localPort
                && r.remote().port() == remotePort && r.local().equals(Endpoint.ipv4(0x7F000001, localPort));
    }

    @Test
    void childrenOwnTheirSocketsByPidAndName() throws Exception {
        int clientPort = connectOnce();
        try (ServerSocketChannel mine = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
            mine.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int minePort = ((InetSocketAddress) mine.getLocalAddress()).getPort();

            SocketTable t = collect();
            SocketOwners owners = new SocketOwners(PROC, Duration.ofSeconds(10));
            Attribution a = owners.resolve(t);
            // Complete, unless a process this root cannot read (one in another user namespace, say) may own
            // some of the unattributed sockets.
            assertEquals(a.deniedProcesses() == 0 || a.unattributed() == 0, a.complete(),
                    () -> a.deniedProcesses() + " denied, " + a.unattributed() + " unattributed");
            assertTrue(a.attributed() >= 4, () -> a.attributed() + " attributed");

            SocketRecord listen = find(t, SocketState.LISTEN, port, 0);
            SocketRecord clientEnd = find(t, SocketState.ESTABLISHED, clientPort, port);
            SocketRecord acceptedEnd = find(t, SocketState.ESTABLISHED, port, clientPort);
            assertEquals(listener.pid + "/cm-listener", String.valueOf(a.ownerOf(listen)));
            assertEquals(client.pid + "/cm-client", String.valueOf(a.ownerOf(clientEnd)));
            assertEquals(listener.pid + "/cm-listener", String.valueOf(a.ownerOf(acceptedEnd)));
            // The unit comes from the child's own cgroup file.
            String cgroup = Files.readString(PROC.resolve(listener.pid + "/cgroup"));
            assertEquals(SocketOwners.unitOf(cgroup), a.ownerOf(listen).unit());
            assertEquals(ProcessHandle.current().pid(), a.ownerOf(find(t, SocketState.LISTEN, minePort, 0)).pid());
            // Start times, the other half of a process's identity: the children started after this JVM.
            ProcTree tree = new ProcTree(PROC);
            long mineStart = tree.startTime((int) ProcessHandle.current().pid());
            assertTrue(mineStart > 0);
            assertTrue(tree.startTime(listener.pid) >= mineStart);
            assertTrue(tree.startTime(client.pid) >= tree.startTime(listener.pid));
        }
    }

    @Test
    void aProcessThatExitsLosesItsAttributionAtTheNextCollection() throws Exception {
        int clientPort = connectOnce();
        SocketOwners owners = new SocketOwners(PROC, Duration.ofSeconds(10));
        SocketTable before = collect();
        SocketRecord clientEnd = find(before, SocketState.ESTABLISHED, clientPort, port);
        assertEquals(client.pid, owners.resolve(before).ownerOf(clientEnd).pid());

        client.process.destroyForcibly();
        assertTrue(client.process.waitFor(10, TimeUnit.SECONDS));
        SocketTable after = collect();
        Attribution a = owners.resolve(after);
        for (SocketRecord r : after.sockets()) {
            SocketOwner o = a.ownerOf(r);
            assertTrue(o == null || o.pid() != client.pid, () -> r + " still owned by " + o);
        }
        // The client's end, if still there (FIN_WAIT2), is an orphan; the accepted end stays the listener's.
        after.sockets().stream().filter(r -> r.local().port() == clientPort && r.remote().port() == port)
                .forEach(r -> assertNull(a.ownerOf(r), r::toString));
        SocketRecord acceptedEnd = after.sockets().stream()
                .filter(r -> r.local().port() == port && r.remote().port() == clientPort).findFirst().orElseThrow();
        assertEquals(listener.pid, a.ownerOf(acceptedEnd).pid());
        // The dead process is forgotten, not merely absent from the new table: its old socket finds no owner.
        assertNull(owners.resolve(before).ownerOf(clientEnd));
    }

    /** The live tree, remembering whose descriptors were read (other processes on the host may churn). */
    private static final class RecordingTree extends ProcTree {
        final java.util.Set<Integer> read = java.util.concurrent.ConcurrentHashMap.newKeySet();

        RecordingTree() {
            super(PROC);
        }

        @Override
        long[] socketInodes(int pid) throws IOException {
            read.add(pid);
            return super.socketInodes(pid);
        }
    }

    @Test
    void onlyProcessesWhoseDescriptorsChangedAreRescanned() throws Exception {
        Child quiet = start("cm-quiet", Integer.toString(port)); // never told to connect: its descriptors stay
        connectOnce();
        // Without the periodic rescan, which reads a share of all processes at every collection.
        RecordingTree tree = new RecordingTree();
        SocketOwners owners = new SocketOwners(tree, Duration.ofSeconds(10), System::nanoTime, Integer.MAX_VALUE);
        SocketTable t = collect();
        owners.resolve(t);
        long full = owners.scans();
        int processes = countProcesses();
        assertTrue(full >= processes / 2, () -> full + " scans for " + processes + " processes");
        assertTrue(tree.read.containsAll(List.of(listener.pid, client.pid, quiet.pid)), tree.read::toString);

        // Steady state: nothing of ours changed. Other processes on this host may, so take the quietest of a few.
        long quietest = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long s = owners.scans();
            owners.resolve(t);
            quietest = Math.min(quietest, owners.scans() - s);
        }
        long q = quietest;
        assertTrue(q <= 2, () -> q + " scans with nothing of ours changed");

        // One more socket in the client, and its accepted twin in the listener: those two are rescanned, the
        // quiet child is not. Counted for our own three processes only: others on the host may change meanwhile.
        int clientPort = connectOnce();
        SocketTable t2 = collect();
        tree.read.clear();
        Attribution a = owners.resolve(t2);
        assertEquals(client.pid, a.ownerOf(find(t2, SocketState.ESTABLISHED, clientPort, port)).pid());
        assertEquals(listener.pid, a.ownerOf(find(t2, SocketState.ESTABLISHED, port, clientPort)).pid());
        List<Integer> ours = new ArrayList<>(List.of(listener.pid, client.pid, quiet.pid));
        ours.retainAll(tree.read);
        assertEquals(List.of(listener.pid, client.pid), ours, () -> "rescanned: " + tree.read);
    }

    @Test
    void anUnprivilegedUserIsDeniedOtherUsersDescriptors() throws Exception {
        needs(ProcessHandle.current().info().user().map("root"::equals).orElse(false), "needs root");
        needs(canRun("setpriv"), "needs setpriv");
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = codeSource(SocketOwners.class) + File.pathSeparator
                + codeSource(UnprivilegedOwnersProbe.class);
        try (ServerSocketChannel mine = ServerSocketChannel.open()) {
            mine.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int minePort = ((InetSocketAddress) mine.getLocalAddress()).getPort();
            Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", java,
                    "-Xmx32m", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                    UnprivilegedOwnersProbe.class.getName(), Integer.toString(minePort))
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), output);
            // As nobody: the root-owned processes (this JVM, the children) are denied; its own socket is found.
            String expectedOwn = "own=" + p.pid() + "/java other=null";
            // Sockets left unattributed for want of privilege: not complete, and the privilege problem is named.
            assertTrue(output.matches("denied=[1-9][0-9]* unattributed=[1-9][0-9]* complete=false problem=true "
                    + expectedOwn), output);
        }
    }

    @Test
    void rootWithoutTheCapabilitiesIsDeniedOtherProcessesDescriptors() throws Exception {
        needs(ProcessHandle.current().info().user().map("root"::equals).orElse(false), "needs root");
        needs(canRun("setpriv"), "needs setpriv");
        // A precondition, not a tool: the child must hold fewer capabilities than this JVM.
        assumeTrue(new SocketOwners(PROC, Duration.ofSeconds(1)).privilegeProblem() == null,
                "needs a JVM holding CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH");
        String output = probe("setpriv", "--bounding-set=-sys_ptrace,-dac_read_search");
        // Still uid 0, but this JVM (all capabilities) cannot be read: denied, not complete, and said so.
        assertTrue(output.matches("denied=[1-9][0-9]* unattributed=[1-9][0-9]* complete=false problem=true "
                + "own=[0-9]+/java other=null"), output);
    }

    /** Runs {@link UnprivilegedOwnersProbe} under {@code wrapper} against a listener of this JVM. */
    private static String probe(String... wrapper) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = codeSource(SocketOwners.class) + File.pathSeparator
                + codeSource(UnprivilegedOwnersProbe.class);
        try (ServerSocketChannel mine = ServerSocketChannel.open()) {
            mine.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int minePort = ((InetSocketAddress) mine.getLocalAddress()).getPort();
            List<String> command = new ArrayList<>(List.of(wrapper));
            command.addAll(List.of(java, "-Xmx32m", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                    UnprivilegedOwnersProbe.class.getName(), Integer.toString(minePort)));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), output);
            return output;
        }
    }

    /** Skips the test when {@code found} is false, except in CI (CI=true), where it fails: CI has all it needs. */
    private static void needs(boolean found, String what) {
        if (!found && "true".equals(System.getenv("CI"))) {
            fail(what + " (CI=true: not skipped)");
        }
        assumeTrue(found, what);
    }

    private static String codeSource(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    private static boolean canRun(String program) {
        try {
            Process p = new ProcessBuilder(program, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int countProcesses() throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(PROC)) {
            for (Path p : ds) {
                if (p.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    n++;
                }
            }
        }
        return n;
    }
}
