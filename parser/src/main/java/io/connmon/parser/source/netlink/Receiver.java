package io.connmon.parser.source.netlink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The datagrams of one dump, one after the other, as the parse asks for them.
 *
 * <p>The kernel fills the next datagram of a dump inside the {@code recv} call that hands over the previous one,
 * so a dump read and parsed on one thread costs the kernel's time plus the parse's. {@link #pipelined} overlaps
 * them: a receiving thread keeps up to {@link #SLOTS} datagrams ahead of the parse, and the dump costs about the
 * longer of the two on a host with a second core. It stops receiving after the datagram that ends the dump
 * ({@link SockDiagParser#status}), so it never waits for a reply that will not come. {@link #direct} receives on
 * the caller's thread, for small dumps where a hand-over costs more than it saves.
 */
abstract class Receiver {

    /** Datagrams the receiving thread may read ahead of the parse. */
    static final int SLOTS = 3;
    /** One datagram: the kernel sends dump datagrams of at most about 32 KiB. */
    static final int SLOT_BYTES = 64 * 1024;

    /** The threads that receive, shared by every source (namespaces included); idle ones end after 10 s. */
    private static final ThreadPoolExecutor THREADS = new ThreadPoolExecutor(0, 4, 10, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "connmon-netlink-receive");
                t.setDaemon(true);
                return t;
            });

    /**
     * The next datagram, position 0 and limit at its end (a limit of 0: the channel had nothing more), or
     * {@code null} when the dump has ended without one (more than the datagrams allowed were received).
     *
     * @throws IOException as the channel's receive threw it
     * @throws InterruptedException when the calling thread is interrupted while waiting
     */
    abstract ByteBuffer next() throws IOException, InterruptedException;

    /** Gives back the datagram {@link #next} returned, once parsed. */
    abstract void done(ByteBuffer datagram);

    /**
     * Stops before the dump's end (the caller gives up on it): the channel is closed once no thread receives on
     * it any longer, and must not be used again.
     */
    abstract void abandon();

    /** Receives on the caller's thread into one buffer. */
    static Receiver direct(DiagChannel channel, ByteBuffer buffer, int maxDatagrams) {
        return new Direct(channel, buffer, maxDatagrams);
    }

    /**
     * Receives the dump of sequence number {@code seq} on a thread of its own, or on the caller's when no thread
     * is free.
     */
    static Receiver pipelined(DiagChannel channel, int seq, ByteBuffer[] slots, ByteBuffer fallback,
            int maxDatagrams) {
        Threaded r = new Threaded(channel, seq, slots, maxDatagrams);
        try {
            THREADS.execute(r::run);
            return r;
        } catch (RejectedExecutionException e) {
            return direct(channel, fallback, maxDatagrams);
        }
    }

    /** Direct buffers for {@link #pipelined}, in the host's byte order. */
    static ByteBuffer[] slots() {
        ByteBuffer[] b = new ByteBuffer[SLOTS];
        for (int i = 0; i < SLOTS; i++) {
            b[i] = ByteBuffer.allocateDirect(SLOT_BYTES).order(ByteOrder.nativeOrder());
        }
        return b;
    }

    private static final class Direct extends Receiver {
        private final DiagChannel channel;
        private final ByteBuffer buffer;
        private final int maxDatagrams;
        private int received;

        Direct(DiagChannel channel, ByteBuffer buffer, int maxDatagrams) {
            this.channel = channel;
            this.buffer = buffer;
            this.maxDatagrams = maxDatagrams;
        }

        @Override
        ByteBuffer next() throws IOException {
            if (++received > maxDatagrams) {
                return null;
            }
            channel.receive(buffer);
            return buffer;
        }

        @Override
        void done(ByteBuffer datagram) {
        }

        @Override
        void abandon() {
            channel.close();
        }
    }

    private static final class Threaded extends Receiver {
        /** What the receiving thread puts after the last datagram when it stops on its own. */
        private static final Object END = new Object();

        private final DiagChannel channel;
        private final int seq;
        private final int maxDatagrams;
        private final BlockingQueue<ByteBuffer> free;
        private final BlockingQueue<Object> received; // ByteBuffer, IOException, RuntimeException, Error or END
        private volatile boolean abandoned;
        private boolean finished; // guarded by this
        private boolean closed; // guarded by this

        Threaded(DiagChannel channel, int seq, ByteBuffer[] slots, int maxDatagrams) {
            this.channel = channel;
            this.seq = seq;
            this.maxDatagrams = maxDatagrams;
            this.free = new ArrayBlockingQueue<>(slots.length + 1);
            this.received = new ArrayBlockingQueue<>(slots.length + 1);
            for (ByteBuffer b : slots) {
                free.add(b);
            }
        }

        /** The receiving thread: until the datagram that ends the dump, an error, or the caller gives up. */
        void run() {
            try {
                for (int n = 0; n < maxDatagrams; n++) {
                    ByteBuffer b = free.take();
                    if (abandoned) {
                        break;
                    }
                    try {
                        channel.receive(b);
                    } catch (IOException | RuntimeException | Error e) {
                        received.add(e);
                        return;
                    }
                    // Decided before the hand-over: from then on the buffer is the parse's, and the next dump's
                    // receiver may be filling it already.
                    boolean last = b.limit() == 0 || SockDiagParser.status(b, seq) != SockDiagParser.MORE;
                    received.add(b);
                    if (last) {
                        return;
                    }
                }
                received.add(END);
            } catch (InterruptedException e) {
                received.add(END); // the pool is shutting down: the parse sees the dump cut
            } finally {
                synchronized (this) {
                    finished = true;
                    if (abandoned) {
                        closeOnce();
                    }
                }
            }
        }

        @Override
        ByteBuffer next() throws IOException, InterruptedException {
            Object o = received.take();
            if (o instanceof ByteBuffer) {
                return (ByteBuffer) o;
            }
            if (o instanceof IOException) {
                throw (IOException) o;
            }
            if (o instanceof RuntimeException) {
                throw (RuntimeException) o;
            }
            if (o instanceof Error) {
                throw (Error) o;
            }
            return null;
        }

        @Override
        void done(ByteBuffer datagram) {
            free.offer(datagram);
        }

        @Override
        void abandon() {
            synchronized (this) {
                abandoned = true;
                if (finished) {
                    closeOnce();
                    return;
                }
            }
            // Wakes the thread if it waits for a free slot (an empty buffer: it sees the flag before receiving);
            // if it is inside recv, it closes the channel when the receive returns (the receive timeout bounds it).
            free.offer(ByteBuffer.allocate(0));
        }

        private synchronized void closeOnce() {
            if (!closed) {
                closed = true;
                channel.close();
            }
        }
    }
}
