package io.connmon.parser.source.netlink;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.source.SocketRequest;
import io.connmon.parser.source.SourceException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The source over a scripted channel: failures close the socket and open a new one; the table says what it knows. */
class NetlinkSocketSourceTest {

    /** Replies from the captured dumps, with each request's seq patched in; an entry may be an error to throw. */
    private static class Scripted implements DiagChannel {
        final Deque<Object> replies;
        int seq;
        boolean closed;
        final List<Integer> statesAsked = new ArrayList<>();
        final List<Integer> extAsked = new ArrayList<>();
        final List<Integer> typesAsked = new ArrayList<>();

        Scripted(Deque<Object> replies) {
            this.replies = replies;
        }

        @Override
        public void send(ByteBuffer request) {
            ByteBuffer r = request.duplicate().order(ByteOrder.nativeOrder());
            seq = r.getInt(8);
            typesAsked.add((int) r.getShort(4));
            boolean compat = r.getShort(4) == SockDiagParser.TCPDIAG_GETSOCK;
            assertEquals(compat ? 76 : 72, r.getInt(0));
            extAsked.add(r.get(compat ? 19 : 18) & 0xFF);
            statesAsked.add(r.getInt(compat ? 68 : 20));
        }

        @Override
        public void receive(ByteBuffer buffer) throws IOException {
            Object next = replies.poll();
            if (next instanceof IOException) {
                throw (IOException) next;
            }
            buffer.clear();
            if (next == null) {
                buffer.limit(0);
                return;
            }
            ByteBuffer d = ((ByteBuffer) next).duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < d.limit(); i++) {
                buffer.put(i, d.get(i));
            }
            buffer.limit(d.limit());
            // patch the seq of every message so the reply belongs to this request
            int pos = 0;
            while (pos + 16 <= d.limit()) {
                int len = d.getInt(pos);
                buffer.putInt(pos + 8, seq);
                pos += (len + 3) & ~3;
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Opens scripted channels over {@code replies}, each added to {@code opened}. */
    private static DiagChannel.Opener recording(List<Scripted> opened, Deque<Object> replies) {
        return () -> {
            Scripted c = new Scripted(replies);
            opened.add(c);
            return c;
        };
    }

    private static Deque<Object> captured(String... dumps) throws IOException {
        Deque<Object> q = new ArrayDeque<>();
        for (String d : dumps) {
            q.addAll(SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve(d + ".bin")));
        }
        return q;
    }

    @Test
    void fourDumpsMakeOneTableThatSaysWhatItKnows() throws Exception {
        List<Scripted> opened = new ArrayList<>();
        Deque<Object> replies = captured("tcp4", "tcp6", "udp4", "udp6");
        try (NetlinkSocketSource s = new NetlinkSocketSource(recording(opened, replies))) {
            SocketTable t = s.collect();
            assertEquals(19, t.sockets().size());
            assertEquals("netlink", t.source());
            assertTrue(t.knows().backlogLimit() && t.knows().dualStack() && t.knows().cgroupId());
            assertEquals(0, t.duplicatesDropped());
            assertEquals(List.of("netlink:tcp", "netlink:tcp6", "netlink:udp", "netlink:udp6"),
                    t.inputs().stream().map(FileReport::name).toList());
            assertEquals(1, opened.size(), "one socket for the four dumps");
            assertEquals(List.of(0x1FFE, 0x1FFE, 0x82, 0x82), opened.get(0).statesAsked);
            assertEquals(List.of(0, 0, 0, 0), opened.get(0).extAsked, "no tcp_info unless asked");
        }
    }

    @Test
    void aDumpListingASocketTwiceIsDeduplicatedByCookie() throws Exception {
        Deque<Object> replies = new ArrayDeque<>();
        List<ByteBuffer> tcp4 = SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve("tcp4.bin"));
        replies.add(tcp4.get(0)); // the first datagram twice: every socket in it repeated
        replies.addAll(tcp4);
        try (NetlinkSocketSource s = new NetlinkSocketSource(() -> new Scripted(replies))) {
            SocketTable t = s.collect(SocketRequest.ALL.only(EnumSet.of(Protocol.TCP),
                    EnumSet.of(io.connmon.parser.model.Family.IPV4)));
            long inFirst = t.inputs().get(0).records() - t.sockets().size();
            assertTrue(inFirst > 0);
            assertEquals(inFirst, t.duplicatesDropped());
            assertEquals(t.sockets().size(), t.sockets().stream().mapToLong(r -> r.cookie()).distinct().count());
        }
    }

    @Test
    void aFailedReceiveClosesTheSocketAndTheNextDumpOpensANewOne() throws Exception {
        Deque<Object> replies = new ArrayDeque<>();
        List<ByteBuffer> tcp4 = SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve("tcp4.bin"));
        replies.add(tcp4.get(0));
        replies.add(new SockDiagSocket.ErrnoException("recv", SockDiagSocket.ENOBUFS)); // tcp4 breaks off
        replies.addAll(captured("tcp6"));
        replies.add(new SockDiagSocket.ErrnoException("recv", SockDiagSocket.EAGAIN)); // udp4: no reply in time
        replies.addAll(captured("udp6"));
        List<Scripted> opened = new ArrayList<>();
        try (NetlinkSocketSource s = new NetlinkSocketSource(recording(opened, replies))) {
            SocketTable t = s.collect();
            assertEquals(3, opened.size(), "reopened after each failure");
            assertTrue(opened.get(0).closed && opened.get(1).closed);
            FileReport tcp = t.inputs().get(0);
            assertEquals("recv: receive buffer overrun (ENOBUFS)", tcp.error());
            assertTrue(tcp.records() > 0, "what came before the failure is kept");
            assertFalse(t.inputs().get(1).failed());
            assertEquals("recv: no reply within the timeout (EAGAIN)", t.inputs().get(2).error());
            assertFalse(t.inputs().get(3).failed());
        }
    }

    @Test
    void anErrorFromTheKernelEndsThatDumpAndTheSocketIsReopened() throws Exception {
        ByteBuffer error = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
        error.putInt(0, 36).putShort(4, (short) 2).putInt(16, -2); // NLMSG_ERROR, ENOENT (no udp_diag, say)
        Deque<Object> replies = captured("tcp4", "tcp6");
        replies.add(error);
        replies.addAll(captured("udp6"));
        List<Scripted> opened = new ArrayList<>();
        try (NetlinkSocketSource s = new NetlinkSocketSource(recording(opened, replies))) {
            SocketTable t = s.collect();
            assertEquals("kernel error errno 2", t.inputs().get(2).error());
            assertEquals(0, t.inputs().get(2).records());
            assertFalse(t.inputs().get(3).failed());
            assertEquals(2, opened.size());
            assertTrue(opened.get(0).closed);
        }
    }

    @Test
    void aDumpWithoutDoneIsReportedAndNothingAtAllIsAnError() throws Exception {
        Deque<Object> replies = new ArrayDeque<>(); // every receive returns 0 bytes
        try (NetlinkSocketSource s = new NetlinkSocketSource(() -> new Scripted(replies))) {
            SourceException e = assertThrows(SourceException.class, s::collect);
            assertEquals("cannot dump sockets through netlink sock_diag: netlink:tcp: dump ended without NLMSG_DONE",
                    e.getMessage());
        }
        try (NetlinkSocketSource s = new NetlinkSocketSource(() -> {
            throw new IOException("socket(AF_NETLINK, NETLINK_SOCK_DIAG): errno 97");
        })) {
            SourceException e = assertThrows(SourceException.class, s::collect);
            assertTrue(e.getMessage().endsWith("errno 97"), e.getMessage());
        }
    }

    @Test
    void kernelSideFilters() {
        SocketRequest listeners = SocketRequest.ALL.onlyStates(EnumSet.of(SocketState.LISTEN, SocketState.UNCONN));
        assertEquals(1 << 10, NetlinkSocketSource.stateMask(Protocol.TCP, listeners));
        assertEquals(1 << 7, NetlinkSocketSource.stateMask(Protocol.UDP, listeners));
        SocketRequest synRecv = SocketRequest.ALL.onlyStates(EnumSet.of(SocketState.SYN_RECV));
        assertEquals(1 << 3 | 1 << 12, NetlinkSocketSource.stateMask(Protocol.TCP, synRecv));
        assertEquals(0, NetlinkSocketSource.stateMask(Protocol.UDP, synRecv), "no UDP dump at all");
    }

    /** The four dumps, each read as {@code pipelined} says, into one list of socket records. */
    private static List<io.connmon.parser.model.SocketRecord> readAll(NetlinkSocketSource s, boolean pipelined,
            List<FileReport> reports) {
        List<io.connmon.parser.model.SocketRecord> out = new ArrayList<>();
        for (Protocol p : new Protocol[] {Protocol.TCP, Protocol.UDP}) {
            for (io.connmon.parser.model.Family f : io.connmon.parser.model.Family.values()) {
                io.connmon.parser.model.CompactSocketList.Builder b =
                        new io.connmon.parser.model.CompactSocketList.Builder(16);
                reports.add(s.dump(p, f, p == Protocol.TCP ? 0x1FFE : 0x82, false, b, pipelined));
                io.connmon.parser.model.CompactSocketList.of(List.of(b)).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void aPipelinedDumpReadsWhatADirectOneReads() throws Exception {
        List<FileReport> direct = new ArrayList<>();
        List<FileReport> piped = new ArrayList<>();
        List<Scripted> opened = new ArrayList<>();
        Deque<Object> replies = captured("tcp4", "tcp6", "udp4", "udp6", "tcp4", "tcp6", "udp4", "udp6");
        try (NetlinkSocketSource s = new NetlinkSocketSource(recording(opened, replies))) {
            List<io.connmon.parser.model.SocketRecord> a = readAll(s, false, direct);
            List<io.connmon.parser.model.SocketRecord> b = readAll(s, true, piped);
            assertEquals(19, a.size());
            assertEquals(a, b);
            assertEquals(direct, piped);
            assertTrue(replies.isEmpty(), "every datagram read, and no receive past a dump's end");
            assertEquals(1, opened.size(), "one socket for the eight dumps");
            assertFalse(opened.get(0).closed);
        }
    }

    @Test
    void aPipelinedDumpThatFailsKeepsWhatCameBeforeAndTheNextDumpOpensANewSocket() throws Exception {
        Deque<Object> replies = new ArrayDeque<>();
        List<ByteBuffer> tcp4 = SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve("tcp4.bin"));
        replies.add(tcp4.get(0));
        replies.add(new SockDiagSocket.ErrnoException("recv", SockDiagSocket.ENOBUFS));
        replies.addAll(captured("tcp6"));
        List<Scripted> opened = new ArrayList<>();
        try (NetlinkSocketSource s = new NetlinkSocketSource(recording(opened, replies))) {
            io.connmon.parser.model.CompactSocketList.Builder b = new io.connmon.parser.model.CompactSocketList.Builder(16);
            FileReport r = s.dump(Protocol.TCP, io.connmon.parser.model.Family.IPV4, 0x1FFE, false, b, true);
            assertEquals("recv: receive buffer overrun (ENOBUFS)", r.error());
            assertTrue(r.records() > 0 && r.records() == b.size(), "what came before the failure is kept");
            assertTrue(opened.get(0).closed);
            FileReport r6 = s.dump(Protocol.TCP, io.connmon.parser.model.Family.IPV6, 0x1FFE, false, b, true);
            assertFalse(r6.failed());
            assertEquals(2, opened.size());
        }
    }

    @Test
    void aPipelinedDumpGivenUpOnClosesItsSocketOnceTheReceiveReturns() throws Exception {
        java.util.concurrent.CountDownLatch inReceive = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
        List<ByteBuffer> tcp4 = SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve("tcp4.bin"));
        Deque<Object> replies = new ArrayDeque<>(List.of(tcp4.get(0)));
        Scripted slow = new Scripted(replies) {
            @Override
            public void receive(ByteBuffer buffer) throws IOException {
                if (replies.isEmpty()) {
                    inReceive.countDown();
                    try {
                        release.await(); // a kernel that never answers, until the receive times out
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new SockDiagSocket.ErrnoException("recv", SockDiagSocket.EAGAIN);
                }
                super.receive(buffer);
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        };
        try (NetlinkSocketSource s = new NetlinkSocketSource(() -> slow)) {
            FileReport[] report = new FileReport[1];
            io.connmon.parser.model.CompactSocketList.Builder sink = new io.connmon.parser.model.CompactSocketList.Builder(16);
            Thread collector = new Thread(() -> report[0] = s.dump(Protocol.TCP, io.connmon.parser.model.Family.IPV4,
                    0x1FFE, false, sink, true));
            collector.start();
            assertTrue(inReceive.await(10, java.util.concurrent.TimeUnit.SECONDS));
            for (int i = 0; i < 1000 && sink.size() == 0; i++) {
                Thread.sleep(10); // until the first datagram is parsed
            }
            collector.interrupt(); // the collection's deadline passed
            collector.join(10_000);
            assertFalse(collector.isAlive(), "the dump returns at once, not when the receive does");
            assertEquals("interrupted", report[0].error());
            assertTrue(report[0].records() > 0);
            assertEquals(0, closes.get(), "not closed under a thread that still receives on it");
            release.countDown();
            long until = System.nanoTime() + 10_000_000_000L;
            while (closes.get() == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertEquals(1, closes.get(), "closed once the receive returned");
        }
        assertEquals(1, closes.get(), "and not again when the source closes");
    }

    /**
     * The captured tcp4 and tcp6 dumps as the kernel answers one TCPDIAG_GETSOCK request: their socket messages
     * in order, of that type, in datagrams of at most 8 KiB, then one NLMSG_DONE.
     */
    private static List<ByteBuffer> asOneTwoFamilyDump() throws IOException {
        List<byte[]> messages = new ArrayList<>();
        for (String d : new String[] {"tcp4", "tcp6"}) {
            for (ByteBuffer g : SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve(d + ".bin"))) {
                int pos = 0;
                while (pos + 16 <= g.limit()) {
                    int len = g.getInt(pos);
                    if (g.getShort(pos + 4) == SockDiagParser.SOCK_DIAG_BY_FAMILY) {
                        byte[] m = new byte[(len + 3) & ~3];
                        g.get(pos, m, 0, Math.min(m.length, g.limit() - pos));
                        ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putShort(4, (short) SockDiagParser.TCPDIAG_GETSOCK);
                        messages.add(m);
                    }
                    pos += (len + 3) & ~3;
                }
            }
        }
        byte[] done = new byte[20];
        ByteBuffer.wrap(done).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 20).putShort(4, (short) 3);
        messages.add(done);
        List<ByteBuffer> out = new ArrayList<>();
        ByteBuffer cur = null;
        for (byte[] m : messages) {
            if (cur == null || cur.remaining() < m.length) {
                if (cur != null) {
                    out.add(cur.flip());
                }
                cur = ByteBuffer.allocate(8192).order(ByteOrder.LITTLE_ENDIAN);
            }
            cur.put(m);
        }
        out.add(cur.flip());
        return out;
    }

    @Test
    void tcpOfBothFamiliesInOneDumpReadsWhatTwoDumpsRead() throws Exception {
        SocketTable four;
        try (NetlinkSocketSource s = new NetlinkSocketSource(() -> new Scripted(captured("tcp4", "tcp6", "udp4", "udp6")))) {
            four = s.collect();
        }
        Deque<Object> replies = new ArrayDeque<>(asOneTwoFamilyDump());
        replies.addAll(captured("udp4", "udp6"));
        List<Scripted> opened = new ArrayList<>();
        try (NetlinkSocketSource s = new NetlinkSocketSource(recording(opened, replies), true)) {
            SocketTable t = s.collect();
            assertEquals(List.of(18, 20, 20), opened.get(0).typesAsked, "TCPDIAG_GETSOCK, then the two UDP dumps");
            assertEquals(List.of(0x1FFE, 0x82, 0x82), opened.get(0).statesAsked);
            assertEquals(new ArrayList<>(four.sockets()), new ArrayList<>(t.sockets()));
            assertEquals(four.inputs(), t.inputs(), "reports for tcp and tcp6 as from two dumps");
            assertTrue(t.inputs().get(1).records() > 0);
            assertEquals(1, opened.size());
        }
    }

    @Test
    void fullCollectionsFillTheColumnsOfReleasedTablesAndOthersLetThemGo() throws Exception {
        Deque<Object> replies = new ArrayDeque<>();
        for (int i = 0; i < 3; i++) {
            replies.addAll(captured("tcp4", "tcp6", "udp4", "udp6"));
        }
        replies.addAll(captured("tcp4", "tcp6", "tcp4", "tcp6", "udp4", "udp6"));
        io.connmon.parser.model.ColumnSpares spares = new io.connmon.parser.model.ColumnSpares();
        try (NetlinkSocketSource s = new NetlinkSocketSource(recording(new ArrayList<>(), replies), false, spares)) {
            SocketTable first = s.collect(); // sized from sockstat; the next ones from the dumps before
            List<io.connmon.parser.model.SocketRecord> rows = new ArrayList<>(first.sockets());
            assertTrue(spares.size() > 0, "the cookie sets went back after their dumps");
            first.release();
            SocketTable second = s.collect();
            second.release();
            int kept = spares.size();
            SocketTable third = s.collect();
            assertTrue(spares.size() <= kept - 12, "the third table took the second one's columns: " + kept
                    + " -> " + spares.size());
            assertEquals(rows, new ArrayList<>(third.sockets()), "the same dumps, the same rows");
            third.release();
            assertTrue(spares.size() > 0);
            SocketTable tcpOnly = s.collect(SocketRequest.ALL.only(EnumSet.of(Protocol.TCP),
                    EnumSet.allOf(Family.class)));
            assertEquals(0, spares.size(), "a filtered collection comes beside the table served: spares go first");
            tcpOnly.release();
            assertEquals(0, spares.size(), "and it gives nothing back");
            assertEquals(rows, new ArrayList<>(s.collect().sockets()));
        }
    }

    @Test
    void aKernelThatRefusesTheTwoFamilyDumpGetsTwoAndIsNotAskedAgain() throws Exception {
        ByteBuffer einval = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
        einval.putInt(0, 36).putShort(4, (short) 2).putInt(16, -22);
        Deque<Object> replies = new ArrayDeque<>();
        replies.add(einval);
        replies.addAll(captured("tcp4", "tcp6", "udp4", "udp6", "tcp4", "tcp6", "udp4", "udp6"));
        List<Scripted> opened = new ArrayList<>();
        try (NetlinkSocketSource s = new NetlinkSocketSource(recording(opened, replies), true)) {
            SocketTable t = s.collect();
            assertEquals(19, t.sockets().size());
            assertEquals(List.of("netlink:tcp", "netlink:tcp6", "netlink:udp", "netlink:udp6"),
                    t.inputs().stream().map(FileReport::name).toList());
            assertTrue(t.inputs().stream().noneMatch(FileReport::failed), "the refusal is no failed input");
            assertEquals(19, s.collect().sockets().size());
            List<Integer> types = new ArrayList<>();
            opened.forEach(c -> types.addAll(c.typesAsked));
            assertEquals(List.of(18, 20, 20, 20, 20, 20, 20, 20, 20), types);
            assertTrue(replies.isEmpty());
        }
    }

    @Test
    void anUnexpectedErrorInAPipelinedReceiveReachesTheCallerAndTheSocketIsClosed() throws Exception {
        Deque<Object> replies = new ArrayDeque<>(List.of(
                SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve("tcp4.bin")).get(0)));
        java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
        Scripted broken = new Scripted(replies) {
            @Override
            public void receive(ByteBuffer buffer) throws IOException {
                if (replies.isEmpty()) {
                    throw new IllegalStateException("native call failed");
                }
                super.receive(buffer);
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        };
        try (NetlinkSocketSource s = new NetlinkSocketSource(() -> broken)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.dump(Protocol.TCP,
                    io.connmon.parser.model.Family.IPV4, 0x1FFE, false,
                    new io.connmon.parser.model.CompactSocketList.Builder(16), true));
            assertEquals("native call failed", e.getMessage());
            assertEquals(1, closes.get());
        }
        assertEquals(1, closes.get());
    }
}
