import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connection churn on loopback for the connections-over-time benchmark: opens and closes connections to a
 * listener of its own at a target rate for a fixed time, then exits. Bounded in count (rate x seconds) and time.
 *
 * <pre>
 * java bench/load/ChurnLoad.java --rate 10000 --seconds 10 [--threads 4] [--rst]
 * </pre>
 *
 * It prints {@code READY <port>} once listening, waits for a line on stdin (so the caller can take a baseline),
 * runs, and prints {@code DONE <connections> <seconds>}. The server closes first (its side goes to TIME_WAIT,
 * which holds no client port); with {@code --rst} the server resets instead (SO_LINGER 0: no TIME_WAIT, and
 * the kernel clears the reset socket's remote port before its destroy event).
 */
public final class ChurnLoad {

    public static void main(String[] args) throws Exception {
        int rate = 10_000;
        int seconds = 10;
        int threads = 4;
        boolean rst = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rate" -> rate = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--rst" -> rst = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (seconds < 1 || seconds > 600 || rate < 1 || rate > 100_000 || threads < 1 || threads > 64) {
            throw new IllegalArgumentException("bounds: seconds 1..600, rate 1..100000, threads 1..64");
        }
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        ServerSocket server = new ServerSocket(0, 4096, lo);
        boolean reset = rst;
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket a = server.accept();
                    if (reset) {
                        a.setSoLinger(true, 0);
                    }
                    a.close();
                } catch (IOException e) {
                    // closed at the end
                }
            }
        }, "accept");
        acceptor.setDaemon(true);
        acceptor.start();
        System.out.println("READY " + server.getLocalPort());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();

        InetSocketAddress to = new InetSocketAddress(lo, server.getLocalPort());
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        long perThreadIntervalNanos = 1_000_000_000L * threads / rate;
        Thread[] clients = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int offset = t;
            clients[t] = new Thread(() -> {
                long next = start + offset * perThreadIntervalNanos / Math.max(1, clients.length);
                byte[] buf = new byte[16];
                while (true) {
                    long now = System.nanoTime();
                    if (now >= end) {
                        return;
                    }
                    if (now < next) {
                        long wait = next - now;
                        if (wait > 200_000) {
                            try {
                                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                        continue;
                    }
                    next += perThreadIntervalNanos;
                    try (Socket c = new Socket()) {
                        c.connect(to, 2000);
                        while (c.getInputStream().read(buf) >= 0) {
                            // until the server's FIN (or RST)
                        }
                    } catch (IOException e) {
                        // a reset reads as an exception: the connection still opened and closed
                    }
                    done.incrementAndGet();
                }
            }, "client-" + t);
            clients[t].start();
        }
        for (Thread c : clients) {
            c.join();
        }
        double took = (System.nanoTime() - start) / 1e9;
        server.close();
        System.out.println("DONE " + done.get() + " " + String.format("%.2f", took));
    }
}
