package io.connmon.parser.source.netlink;

import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Under churn (about a thousand loopback connections a second, at most 3,000 and 4 seconds), no collection lists
 * a socket twice, through either source: netlink by cookie, procfs by inode (or, for TIME_WAIT and unaccepted
 * sockets without one, by socket pair and state).
 */
class ChurnTest {

    private static final int MAX_CONNECTIONS = 3_000;
    private static final long MAX_MILLIS = 4_000;

    @Test
    void noCollectionListsASocketTwice() throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger made = new AtomicInteger();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET);
                NetlinkSocketSource netlink = new NetlinkSocketSource();
                ProcfsSocketSource procfs = new ProcfsSocketSource(Path.of("/proc"))) {
            server.bind(new InetSocketAddress(lo, 0), 512);
            InetSocketAddress to = (InetSocketAddress) server.getLocalAddress();
            Thread acceptor = new Thread(() -> {
                while (!stop.get()) {
                    try (SocketChannel s = server.accept()) {
                        s.socket().setSoLinger(false, 0);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "churn-accept");
            Thread client = new Thread(() -> {
                long start = System.nanoTime();
                while (!stop.get() && made.get() < MAX_CONNECTIONS
                        && System.nanoTime() - start < MAX_MILLIS * 1_000_000) {
                    try (SocketChannel c = SocketChannel.open(to)) {
                        made.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                    long due = start + made.get() * 1_000_000L; // one a millisecond
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        try {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, "churn-connect");
            acceptor.setDaemon(true);
            client.setDaemon(true);
            acceptor.start();
            client.start();
            int collections = 0;
            long dropped = 0;
            try {
                while (client.isAlive()) {
                    for (SocketSource s : new SocketSource[] {netlink, procfs}) {
                        SocketTable t = s.collect();
                        assertNoDuplicates(t);
                        dropped += t.duplicatesDropped();
                        collections++;
                    }
                }
            } finally {
                stop.set(true);
                client.join(10_000);
                server.close();
                acceptor.join(10_000);
            }
            assertTrue(made.get() > 100, "connections made: " + made.get());
            assertTrue(collections >= 2, "collections: " + collections);
            System.out.println("churn: " + made.get() + " connections, " + collections + " collections, "
                    + dropped + " duplicates dropped");
        }
    }

    static void assertNoDuplicates(SocketTable t) {
        Set<String> seen = new HashSet<>();
        for (SocketRecord r : t.sockets()) {
            String key = r.cookie() != 0 ? "c" + r.cookie()
                    : r.inode() != 0 ? "i" + r.inode() : r.protocol() + " " + r.family() + " " + r;
            assertTrue(seen.add(key), t.source() + " lists " + r + " (" + key + ") twice");
        }
        assertEquals(seen.size(), t.sockets().size());
    }
}
