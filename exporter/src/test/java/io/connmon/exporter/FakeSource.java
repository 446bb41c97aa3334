package io.connmon.exporter;

import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.model.SourceCapabilities;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A socket source that counts its collections, can be slow, and can fail. The sockets of each collection come
 * from a function of the collection's number (1 for the first).
 */
final class FakeSource implements SocketSource {

    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private volatile IntFunction<List<SocketRecord>> sockets;
    private volatile long delayMillis;
    private volatile String failure;
    private volatile CountDownLatch gate;
    private volatile SourceCapabilities knows = SourceCapabilities.NETLINK;

    FakeSource(IntFunction<List<SocketRecord>> sockets) {
        this.sockets = sockets;
    }

    FakeSource(List<SocketRecord> sockets) {
        this(n -> sockets);
    }

    /** Each collection sleeps this long. */
    FakeSource delay(long millis) {
        this.delayMillis = millis;
        return this;
    }

    /** Each collection waits for this latch before it returns ({@code null}: no wait). */
    FakeSource gate(CountDownLatch latch) {
        this.gate = latch;
        return this;
    }

    /** From now on every collection fails with this reason ({@code null}: succeeds again). */
    FakeSource fail(String reason) {
        this.failure = reason;
        return this;
    }

    /** What the tables say the source knows (by default everything sock_diag knows). */
    FakeSource knows(SourceCapabilities k) {
        this.knows = k;
        return this;
    }

    void sockets(IntFunction<List<SocketRecord>> next) {
        this.sockets = next;
    }

    int calls() {
        return calls.get();
    }

    /** The most collections that ever ran at the same time. */
    int maxConcurrent() {
        return maxConcurrent.get();
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public SocketTable collect() throws SourceException {
        int n = calls.incrementAndGet();
        maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
        try {
            if (delayMillis > 0) {
                Thread.sleep(delayMillis);
            }
            CountDownLatch g = gate;
            if (g != null && !g.await(30, TimeUnit.SECONDS)) {
                throw new SourceException("the test never opened the gate");
            }
            String f = failure;
            if (f != null) {
                throw new SourceException(f);
            }
            return Sockets.table(sockets.apply(n), knows);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SourceException("interrupted");
        } finally {
            concurrent.decrementAndGet();
        }
    }
}
