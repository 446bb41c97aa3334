package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.counters.NetStatReader;
import io.connmon.parser.model.SocketCursor;
import io.connmon.parser.source.netlink.NetlinkSocketSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The host's netlink source builds each table in the columns of one released before: on this host, with a few
 * hundred loopback connections of the test's own, threads that collect as fast as they can race threads that
 * read retained snapshots slowly. A reader's snapshot must read the same before and after its pause (its
 * columns were not given to a later table), and a snapshot nobody held must have been recycled.
 */
class SnapshotRecyclingLiveTest {

    private static final int CONNECTIONS = 200;
    private static final long RUN_NANOS = Duration.ofSeconds(3).toNanos();

    /** Every column a renderer reads, folded; and the row count checked against the list's size. */
    private static long digest(Snapshot s) {
        long h = 17;
        int n = 0;
        for (SocketCursor c = SocketCursor.over(s.sockets()); c.next(); n++) {
            h = h * 31 + c.state().ordinal();
            h = h * 31 + c.protocol().ordinal() * 2 + c.family().ordinal();
            h = h * 31 + c.localPort();
            h = h * 31 + c.remotePort();
            h = h * 31 + c.remoteLow() + c.remoteHigh();
            h = h * 31 + c.sendQueue() + 3 * c.receiveQueue();
        }
        assertEquals(s.sockets().size(), n, "rows read");
        if (n > 0) {
            h = h * 31 + s.sockets().get(n - 1).inode(); // through a record too
        }
        return h;
    }

    @Test
    void retainedSnapshotsReadTheSameWhileCollectionsRecycleTheRest() throws Exception {
        String probe = NetlinkSocketSource.probe();
        Tools.require(probe == null, "sock_diag unavailable: " + probe);
        List<Socket> sockets = new ArrayList<>();
        try (ServerSocket listener = new ServerSocket(0, CONNECTIONS, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < CONNECTIONS; i++) {
                sockets.add(new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
                sockets.add(listener.accept());
            }
            SnapshotService service = new SnapshotService(new NetlinkSocketSource(),
                    new NetStatReader(Path.of("/proc")), Duration.ZERO);
            Snapshot unheld = service.current(); // the service's to hold, until it serves a later one
            assertTrue(unheld.sockets().size() >= 2 * CONNECTIONS, unheld.sockets().size() + " sockets");

            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger heldReads = new AtomicInteger();
            long end = System.nanoTime() + RUN_NANOS;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                threads.add(new Thread(() -> { // collections back to back
                    while (System.nanoTime() < end && failure.get() == null) {
                        try {
                            service.current();
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }
                }));
            }
            for (int t = 0; t < 3; t++) {
                boolean latest = t == 0;
                threads.add(new Thread(() -> { // slow readers: a /snapshot written, a scrape building families
                    while (System.nanoTime() < end && failure.get() == null) {
                        try {
                            Snapshot s = latest ? service.latestRetained()
                                    : service.currentRetained(service.nanoTime());
                            try {
                                long before = digest(s);
                                Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                                assertEquals(before, digest(s), "a held snapshot changed under its reader");
                                heldReads.incrementAndGet();
                            } finally {
                                s.table().release();
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(RUN_NANOS / 1_000_000 + 30_000);
                assertFalse(t.isAlive(), "a thread did not stop");
            }
            assertNull(failure.get(), () -> "failed: " + failure.get());
            assertTrue(heldReads.get() >= 30, heldReads.get() + " reads of held snapshots");
            assertTrue(service.collections() >= 30, service.collections() + " collections");

            assertFalse(unheld.table().retain(), "released once a later snapshot was served");
            assertThrows(NullPointerException.class, () -> unheld.sockets().get(0),
                    "its columns went to a later table: reading it fails rather than show that table's rows");
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
