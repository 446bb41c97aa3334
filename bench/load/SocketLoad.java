import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Holds a given number of real TCP sockets on loopback, for benchmarks: connected pairs (both ends held, so two
 * sockets a connection), spread over child processes so the per-process file limit is no obstacle, plus a few
 * listeners and UDP sockets. Prints READY once every table is full, then holds them until killed, until its
 * stdin closes, or until --seconds pass, and exits by itself. It only ever touches 127.0.0.1 and ::1.
 *
 * <pre>
 *   java bench/load/SocketLoad.java --sockets 100000 --seconds 600
 * </pre>
 */
public final class SocketLoad {

    /** Connections one child holds: two descriptors each, under the 20,000 open-file limit seen here. */
    static final int PER_CHILD = 8_000;

    public static void main(String[] args) throws Exception {
        int sockets = 10_000;
        int seconds = 600;
        int udp = 100;
        int child = -1;
        int connections = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sockets": sockets = Integer.parseInt(args[++i]); break;
                case "--seconds": seconds = Integer.parseInt(args[++i]); break;
                case "--udp": udp = Integer.parseInt(args[++i]); break;
                case "--child": child = Integer.parseInt(args[++i]); break;
                case "--connections": connections = Integer.parseInt(args[++i]); break;
                default:
                    System.err.println("usage: SocketLoad [--sockets N] [--seconds S] [--udp K]");
                    System.exit(2);
            }
        }
        if (seconds < 1 || seconds > 3600) {
            System.err.println("--seconds must be 1 to 3600");
            System.exit(2);
        }
        if (child >= 0) {
            runChild(child, connections, udp, seconds);
        } else {
            runParent(sockets, udp, seconds);
        }
    }

    private static void runParent(int sockets, int udp, int seconds) throws Exception {
        int conns = Math.max(1, sockets / 2);
        int children = (conns + PER_CHILD - 1) / PER_CHILD;
        String java = ProcessHandle.current().info().command().orElse("java");
        List<Process> procs = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> procs.forEach(Process::destroyForcibly)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int left = conns;
        for (int i = 0; i < children; i++) {
            int n = Math.min(PER_CHILD, left);
            left -= n;
            // Java opens dual-stack IPv6 sockets unless told otherwise: most children use plain IPv4 sockets
            // (tcp), every fourth one IPv6 on ::1 (tcp6), as a real host mixes them.
            boolean v6 = i % 4 == 3;
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx48m", "-XX:+UseSerialGC", "-Xss256k",
                    "-Djava.net.preferIPv4Stack=" + !v6, thisFile(), "--child", Integer.toString(i), "--connections", Integer.toString(n),
                    "--udp", Integer.toString(i == 0 ? udp : 0), "--seconds", Integer.toString(seconds)));
            procs.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }
        for (Process p : procs) {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
            String line = r.readLine();
            if (line == null || !line.startsWith("READY")) {
                System.err.println("SocketLoad: a child failed: " + line);
                System.exit(1);
            }
        }
        System.out.println("READY " + conns * 2 + " tcp sockets in " + children + " processes");
        System.out.flush();
        // Hold until the deadline or until our own stdin closes (the benchmark went away).
        Thread stdin = watchStdin();
        while (System.nanoTime() < deadline && stdin.isAlive()) {
            Thread.sleep(200);
        }
        procs.forEach(Process::destroy);
        for (Process p : procs) {
            p.waitFor(5, TimeUnit.SECONDS);
        }
        System.exit(0);
    }

    private static String thisFile() {
        // Launched as a single-file program: the source path is the property jdk.launcher.sourcefile? Not
        // available on 17, so it is found relative to the working directory or from the environment.
        String f = System.getenv("SOCKETLOAD_SOURCE");
        return f != null ? f : "bench/load/SocketLoad.java";
    }

    private static void runChild(int index, int connections, int udp, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<AutoCloseable> keep = new ArrayList<>(connections * 2 + 8);
        boolean v6 = index % 4 == 3; // a quarter of the children use ::1
        InetAddress host = InetAddress.getByName(v6 ? "::1" : "127.0.0.1");
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(host, 0), 4096);
        keep.add(server);
        InetSocketAddress target = (InetSocketAddress) server.getLocalAddress();
        for (int i = 0; i < connections; i++) {
            SocketChannel c = SocketChannel.open(target);
            SocketChannel a = server.accept();
            // Linger 0: closing (or dying) resets the connection instead of leaving TIME_WAIT sockets that
            // would skew the next measurement for a minute.
            c.setOption(StandardSocketOptions.SO_LINGER, 0);
            a.setOption(StandardSocketOptions.SO_LINGER, 0);
            keep.add(c);
            keep.add(a);
        }
        for (int i = 0; i < udp; i++) {
            DatagramChannel d = DatagramChannel.open();
            d.bind(new InetSocketAddress(host, 0));
            keep.add(d);
        }
        System.out.println("READY " + connections);
        System.out.flush();
        Thread stdin = watchStdin();
        while (System.nanoTime() < deadline && stdin.isAlive()) {
            Thread.sleep(200);
        }
        for (AutoCloseable c : keep) {
            try {
                c.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        System.exit(0);
    }

    /** A thread that ends when stdin reaches end of file, i.e. when the parent is gone. */
    private static Thread watchStdin() {
        Thread t = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // discard
                }
            } catch (IOException e) {
                // parent gone
            }
        }, "stdin-watch");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
