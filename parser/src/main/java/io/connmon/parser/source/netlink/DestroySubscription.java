package io.connmon.parser.source.netlink;

import io.connmon.parser.events.ClosedConnections;
import io.connmon.parser.events.ConnectionEvents;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * A subscription to the kernel's TCP destroy events (sock_diag multicast groups 1, TCP over IPv4, and 3, TCP
 * over IPv6: what {@code ss -E} listens to; the UDP groups are left out, connmon counts TCP connections), read
 * by one daemon thread into {@link ClosedConnections}.
 *
 * <p>Events the kernel could not deliver because the receive buffer was full are lost: recv fails with ENOBUFS
 * and the kernel counts each dropped message in the socket's Drops column of {@code /proc/net/netlink}. Both are
 * counted in {@link #lost()}, never hidden. A receive waits at most {@link #TIMEOUT_MILLIS} so {@link #close()}
 * stops the thread promptly. Another failure closes the socket and opens a new one after a second (events in
 * between are lost and unknown: {@link #failures()} says it happened).
 *
 * <p>One subscription sees the network namespace its socket was opened in: a namespace-aware caller gives each
 * namespace a subscription whose opener makes the socket there.
 *
 * <pre>{@code
 * DestroySubscription s = DestroySubscription.open(closed, 4 << 20); // throws IOException when refused
 * s.start();
 * }</pre>
 */
public final class DestroySubscription implements ConnectionEvents, AutoCloseable {

    /** TCP over IPv4 (group 1) and over IPv6 (group 3). */
    static final int TCP_GROUPS = 1 << (1 - 1) | 1 << (3 - 1);
    static final long TIMEOUT_MILLIS = 500;
    /** The default receive buffer: about 15,000 destroy messages. */
    public static final int DEFAULT_RECEIVE_BUFFER = 4 << 20;
    private static final Path NETLINK_TABLE = Path.of("/proc/self/net/netlink");

    private final ClosedConnections sink;
    private final DiagChannel.Opener opener;
    private final Clock clock;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.nativeOrder());
    private volatile DiagChannel channel;
    private volatile Thread thread;
    private volatile boolean running;
    private volatile long overruns;
    private volatile long dropsBefore; // drops of sockets closed before the current one
    private volatile long drops; // of the current socket
    private volatile long datagrams;
    private volatile long failures;
    private volatile String lastFailure;

    /** Opens a subscription on this host (the caller's network namespace). */
    public static DestroySubscription open(ClosedConnections sink, int receiveBufferBytes) throws IOException {
        if (receiveBufferBytes < 4096) {
            throw new IllegalArgumentException("receive buffer of " + receiveBufferBytes + " bytes: 4096 or more");
        }
        try {
            return new DestroySubscription(sink,
                    () -> new SockDiagSocket(TIMEOUT_MILLIS, TCP_GROUPS, receiveBufferBytes), Clock.systemUTC());
        } catch (LinkageError e) {
            throw new IOException("JNA unavailable: " + e.getMessage(), e);
        }
    }

    /**
     * Opens a subscription in the namespace {@code ns} holds: its socket is made inside it (and made there again
     * after a failure) and keeps receiving that namespace's events on the reading thread. The caller keeps
     * {@code ns} open while the subscription runs. The kernel's drop count of such a socket is not in this
     * process's {@code /proc/self/net/netlink}: {@link #lost()} counts one per ENOBUFS instead.
     */
    public static DestroySubscription openIn(NamespaceHandle ns, ClosedConnections sink, int receiveBufferBytes)
            throws IOException {
        if (receiveBufferBytes < 4096) {
            throw new IllegalArgumentException("receive buffer of " + receiveBufferBytes + " bytes: 4096 or more");
        }
        try {
            return new DestroySubscription(sink,
                    () -> ns.inside(() -> new SockDiagSocket(TIMEOUT_MILLIS, TCP_GROUPS, receiveBufferBytes)),
                    Clock.systemUTC());
        } catch (LinkageError e) {
            throw new IOException("JNA unavailable: " + e.getMessage(), e);
        }
    }

    /** Opens the channel now (so a refusal shows at once); events are queued by the kernel until {@link #start()}. */
    DestroySubscription(ClosedConnections sink, DiagChannel.Opener opener, Clock clock) throws IOException {
        this.sink = sink;
        this.opener = opener;
        this.clock = clock;
        this.channel = opener.open();
    }

    /**
     * The receive buffer the kernel granted (it reports twice the value set), or -1 when unknown. Without
     * CAP_NET_ADMIN it is capped by net.core.rmem_max.
     */
    @Override
    public int receiveBufferBytes() {
        DiagChannel c = channel;
        return c instanceof SockDiagSocket ? ((SockDiagSocket) c).receiveBufferBytes() : -1;
    }

    /** Starts the reading thread (once). */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        running = true;
        Thread t = new Thread(this::run, "connmon-destroy-events");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void run() {
        while (running) {
            DiagChannel c = channel;
            if (c == null) {
                reopen();
                continue;
            }
            try {
                c.receive(buffer);
            } catch (SockDiagSocket.ErrnoException e) {
                if (e.errno == SockDiagSocket.EAGAIN) {
                    continue;
                }
                if (e.errno == SockDiagSocket.ENOBUFS) {
                    overruns++;
                    readDrops(c);
                    continue;
                }
                fail(c, e);
                continue;
            } catch (IOException | RuntimeException e) {
                fail(c, e);
                continue;
            }
            datagrams++;
            DestroyEventParser.parse(buffer, clock.millis(), sink);
        }
    }

    private void fail(DiagChannel c, Exception e) {
        failures++;
        lastFailure = e.getMessage();
        readDrops(c);
        dropsBefore += drops;
        drops = 0;
        c.close();
        channel = null;
    }

    private void reopen() {
        try {
            Thread.sleep(1000);
            if (running) {
                channel = opener.open();
            }
        } catch (InterruptedException e) {
            running = false;
        } catch (IOException e) {
            failures++;
            lastFailure = e.getMessage();
        }
    }

    /** Reads the kernel's drop count of the current socket from /proc/self/net/netlink. */
    private void readDrops(DiagChannel c) {
        if (!(c instanceof SockDiagSocket)) {
            return;
        }
        int portId = ((SockDiagSocket) c).portId();
        if (portId <= 0) {
            return;
        }
        try {
            long d = dropsOf(Files.readAllLines(NETLINK_TABLE), portId);
            if (d > drops) {
                drops = d;
            }
        } catch (IOException | RuntimeException e) {
            // the ENOBUFS count stands in
        }
    }

    /**
     * The Drops column of the sock_diag socket with port id {@code portId} in /proc/net/netlink text, or -1.
     * Columns: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode.
     */
    static long dropsOf(List<String> lines, int portId) {
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 10 && f[1].equals("4") && f[2].equals(Integer.toUnsignedString(portId))) {
                try {
                    return Long.parseLong(f[8]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * Events lost: the messages the kernel dropped (its count), and at least one per ENOBUFS when that count
     * cannot be read.
     */
    @Override
    public long lost() {
        DiagChannel c = channel;
        if (c != null && overruns > 0) {
            readDrops(c);
        }
        return Math.max(overruns, dropsBefore + drops);
    }

    /** Times recv reported ENOBUFS (the buffer overflowed at least once since the last receive). */
    public long overruns() {
        return overruns;
    }

    /** Datagrams received. */
    public long datagrams() {
        return datagrams;
    }

    /** Failures other than ENOBUFS, after which the socket was reopened (events in between are unknown). */
    @Override
    public long failures() {
        return failures;
    }

    /** The last such failure, or {@code null}. */
    public String lastFailure() {
        return lastFailure;
    }

    @Override
    public ClosedConnections closed() {
        return sink;
    }

    @Override
    public boolean receiving() {
        return running && channel != null;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    /** Stops the thread (within the receive timeout) and closes the socket. */
    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            try {
                t.join(2 * TIMEOUT_MILLIS + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        DiagChannel c = channel;
        if (c != null) {
            c.close();
            channel = null;
        }
    }
}
