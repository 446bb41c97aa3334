package io.connmon.parser.source.netlink;

import io.connmon.parser.counters.SockstatEstimate;
import io.connmon.parser.model.ColumnSpares;
import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.model.SourceCapabilities;
import io.connmon.parser.source.SocketRequest;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SourceException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads sockets the way {@code ss} does, with {@code NETLINK_SOCK_DIAG} dumps parsed straight into compact
 * columns, no object per socket: TCP of both families in one dump (the older {@code TCPDIAG_GETSOCK} request,
 * one walk of the kernel's TCP tables instead of two; two dumps where a kernel refuses it), then UDP over IPv4
 * and IPv6. A large dump is received on a second thread while this one parses.
 *
 * <p>It sees the network namespace of the calling process only (not another proc root's). Over the
 * /proc/net tables it knows each listener's backlog limit, whether an IPv6 socket is dual-stack, the socket's
 * cookie, cgroup id and timer in milliseconds, and, when asked, tcp_info. A dump is not atomic: under churn it
 * can list a socket twice, so each dump is deduplicated by cookie and the drops are counted in
 * {@link SocketTable#duplicatesDropped()}.
 *
 * <p>A dump that fails (no reply within the timeout, ENOBUFS, an errno) keeps what it read, reports the error in
 * its {@link FileReport}, and the socket is closed and a new one opened for the next dump. The collection fails
 * only when no dump could be read at all.
 */
public final class NetlinkSocketSource implements SocketSource {

    /** The receive buffer: the kernel sends dump datagrams of at most about 32 KiB. */
    static final int BUFFER_BYTES = 128 * 1024;
    /** How long one receive may wait for the kernel. */
    static final long TIMEOUT_MILLIS = 5_000;
    /** A dump of more datagrams than this is cut (about 300 million sockets' worth). */
    static final int MAX_DATAGRAMS = 1 << 20;

    /** A dump whose last run held this many sockets or more is received on a second thread while it is parsed. */
    static final int PIPELINE_FROM = 2_000;

    private static final int REQUEST_BYTES = 72;
    private static final int COMPAT_REQUEST_BYTES = 76;
    private static final int NLM_F_REQUEST = 0x1;
    private static final int NLM_F_DUMP = 0x300;
    private static final int TCP_ALL_STATES = 0x1FFE; // 1 << code for codes 1 (ESTABLISHED) .. 12 (NEW_SYN_RECV)
    private static final int UDP_ALL_STATES = 1 << 1 | 1 << 7; // connected (ESTABLISHED), unconnected (CLOSE)
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;
    private static final int EXT_INFO = 1 << (SockDiagParser.INET_DIAG_INFO - 1);

    private final DiagChannel.Opener opener;
    private final ColumnSpares spares; // null: each collection's columns are new
    private final int[] lastSizes = {-1, -1, -1, -1}; // per slot, -1 before its first dump
    private ByteBuffer buffer; // allocated on first use, reused
    private ByteBuffer[] slots; // for pipelined dumps, allocated on the first
    private boolean twoFamilyDump; // until the kernel refuses TCPDIAG_GETSOCK
    private ByteBuffer request;
    private DiagChannel channel;
    private int seq = (int) (System.nanoTime() & 0x3FFFFFFF);

    /** A source on this host's kernel. */
    public NetlinkSocketSource() {
        this(() -> new SockDiagSocket(TIMEOUT_MILLIS), true, new ColumnSpares());
    }

    /** A source over {@code opener}'s channels making four dumps, one per protocol and family. */
    NetlinkSocketSource(DiagChannel.Opener opener) {
        this(opener, false);
    }

    /** With {@code twoFamilyDump}, TCP of both families in one dump while the kernel takes it. */
    NetlinkSocketSource(DiagChannel.Opener opener, boolean twoFamilyDump) {
        this(opener, twoFamilyDump, null);
    }

    /**
     * With {@code twoFamilyDump}, TCP of both families in one dump while the kernel takes it; with {@code spares},
     * the columns of tables released by their holders are filled again (see {@link CompactSocketList#release}).
     * A namespace's source has none: under {@code --netns all} its tables are joined into one that is not
     * released, and a hundred sources keeping a table's arrays each would cost more than they save.
     */
    NetlinkSocketSource(DiagChannel.Opener opener, boolean twoFamilyDump, ColumnSpares spares) {
        this.opener = opener;
        this.twoFamilyDump = twoFamilyDump;
        this.spares = spares;
    }

    /**
     * A source reading the namespace {@code ns} holds: its netlink socket is opened inside it (and opened there
     * again after an error). The caller keeps {@code ns} open while it uses the source.
     */
    public static NetlinkSocketSource in(NamespaceHandle ns) {
        return new NetlinkSocketSource(() -> ns.inside(() -> new SockDiagSocket(TIMEOUT_MILLIS)), true, null);
    }

    @Override
    public String name() {
        return "netlink";
    }

    /**
     * Checks that a sock_diag dump works here (a listeners-only TCP dump, well under a millisecond).
     *
     * @return {@code null} when it works, else one line saying why not
     */
    public static String probe() {
        if (!SockDiagSocket.isSupported()) {
            return "not supported on " + System.getProperty("os.name") + " " + System.getProperty("os.arch");
        }
        try (NetlinkSocketSource s = new NetlinkSocketSource()) {
            CompactSocketList.Builder b = new CompactSocketList.Builder(16);
            FileReport r = s.dump(Protocol.TCP, Family.IPV4, 1 << SocketState.LISTEN.code(), false, b);
            return r.failed() ? r.error() : null;
        } catch (RuntimeException | LinkageError e) {
            return "JNA: " + e;
        }
    }

    @Override
    public SocketTable collect() throws SourceException {
        return collect(SocketRequest.ALL);
    }

    @Override
    public synchronized SocketTable collect(SocketRequest req) throws SourceException {
        // Only the full collections served are built in spare columns. Another (the RTT sample's tcp_info table,
        // twice a plain one) comes beside the table served: the spares go first, so as not to add to that peak.
        boolean full = req.equals(SocketRequest.ALL);
        if (!full && spares != null) {
            spares.clear();
        }
        List<CompactSocketList.Builder> lists = new ArrayList<>(4);
        List<FileReport> reports = new ArrayList<>(4);
        long dropped = 0;
        boolean anyRead = false;
        String firstFailure = null;
        boolean tcp6Read = false;
        int i = 0;
        for (Protocol p : new Protocol[] {Protocol.TCP, Protocol.UDP}) {
            for (Family f : new Family[] {Family.IPV4, Family.IPV6}) {
                int slot = i++;
                int states = stateMask(p, req);
                if (!req.protocols().contains(p) || !req.families().contains(f) || states == 0
                        || p == Protocol.TCP && f == Family.IPV6 && tcp6Read) {
                    continue;
                }
                // TCP of both families in one dump where the kernel takes it: one walk of its tables, not two
                boolean both = p == Protocol.TCP && f == Family.IPV4 && req.families().contains(Family.IPV6)
                        && twoFamilyDump;
                int expected = both ? lastSizes[0] + lastSizes[1] : lastSizes[slot]; // negative at first
                // columns and cookie set from the spares of released tables
                ColumnSpares sp = full ? spares : null;
                CompactSocketList.Builder b = new CompactSocketList.Builder(room(slot), sp).dropRepeatedCookies();
                CompactSocketList.Builder b6 = both
                        ? new CompactSocketList.Builder(room(1), sp).dropRepeatedCookies() : null;
                boolean info = req.tcpInfo() && p == Protocol.TCP;
                if (req.rttOnly()) {
                    b.keepRttOnly();
                    if (b6 != null) {
                        b6.keepRttOnly();
                    }
                }
                List<FileReport> rs;
                try {
                    rs = both ? dumpBoth(states, info, b, b6, expected >= PIPELINE_FROM) : null;
                    if (rs == null) {
                        rs = List.of(dump(p, f, states, info, b, expected >= PIPELINE_FROM));
                    } else {
                        tcp6Read = true;
                    }
                } catch (LinkageError e) {
                    throw new SourceException("netlink: JNA cannot load: " + e.getMessage(), e);
                }
                dropped += b.dropDuplicates();
                lastSizes[slot] = b.size();
                lists.add(b);
                if (tcp6Read && b6 != null) {
                    dropped += b6.dropDuplicates();
                    lastSizes[1] = b6.size();
                    lists.add(b6);
                }
                for (FileReport r : rs) {
                    reports.add(r);
                    if (!r.failed() || r.records() > 0) {
                        anyRead = true;
                    } else if (firstFailure == null) {
                        firstFailure = r.name() + ": " + r.error();
                    }
                }
            }
        }
        if (!anyRead && firstFailure != null) {
            throw new SourceException("cannot dump sockets through netlink sock_diag: " + firstFailure);
        }
        return new SocketTable(name(), CompactSocketList.of(lists), reports, SourceCapabilities.NETLINK, dropped);
    }

    /** Room for the sockets of a slot (TCP, TCP6, UDP, UDP6): the last dump's count, else sockstat's. */
    private int room(int slot) {
        return lastSizes[slot] >= 0 ? 64 + lastSizes[slot] + lastSizes[slot] / 16
                : SockstatEstimate.firstRead(Path.of("/proc"), slot, 16); // once: the file is read whole
    }

    /**
     * TCP sockets of both families in one dump: the older {@code TCPDIAG_GETSOCK} request, which the kernel
     * answers for every family in one walk of its TCP tables (two {@code SOCK_DIAG_BY_FAMILY} dumps walk them
     * twice: each skips the other family's sockets). The kernel still keeps it; should it refuse it, this source
     * makes the two dumps from then on.
     *
     * IPv4 sockets go to {@code sink}, IPv6 ones to {@code sink6}.
     *
     * @return the reports for {@code netlink:tcp} and {@code netlink:tcp6}, or {@code null} when the kernel
     *     refused the request (nothing was read)
     */
    private List<FileReport> dumpBoth(int states, boolean info, CompactSocketList.Builder sink,
            CompactSocketList.Builder sink6, boolean pipelined) {
        SockDiagParser.Dump d = new SockDiagParser.Dump("netlink:tcp", Protocol.TCP, ++seq,
                SockDiagParser.TCPDIAG_GETSOCK).ipv6Into(sink6);
        read(d, r -> fillCompatRequest(r, d.seq, info ? EXT_INFO : 0, states), sink, pipelined);
        if (d.records == 0 && d.kernelErrno != 0) {
            twoFamilyDump = false;
            return null;
        }
        return d.reports("netlink:tcp6");
    }

    /** The kernel's state mask ({@code 1 << TCP state code}) for what the request asks of protocol {@code p}. */
    static int stateMask(Protocol p, SocketRequest req) {
        if (req.states().isEmpty()) {
            return p == Protocol.TCP ? TCP_ALL_STATES : UDP_ALL_STATES;
        }
        int mask = 0;
        for (SocketState s : req.states()) {
            if (p == Protocol.UDP) {
                if (s == SocketState.UNCONN) {
                    mask |= 1 << SocketState.CLOSE.code();
                } else if (s == SocketState.ESTABLISHED) {
                    mask |= 1 << SocketState.ESTABLISHED.code();
                }
            } else if (s.code() > 0) {
                mask |= 1 << s.code();
                if (s == SocketState.SYN_RECV) {
                    mask |= 1 << SocketState.NEW_SYN_RECV.code(); // request sockets, which ss shows as SYN-RECV
                }
            }
        }
        return mask;
    }

    /** One dump into {@code sink}, on the caller's thread alone; never throws on I/O or bad bytes. */
    FileReport dump(Protocol p, Family f, int states, boolean info, CompactSocketList.Builder sink) {
        return dump(p, f, states, info, sink, false);
    }

    /**
     * One dump into {@code sink}; never throws on I/O or bad bytes (the report says what happened). With
     * {@code pipelined}, a second thread receives the next datagrams while this one parses (see {@link Receiver}).
     */
    FileReport dump(Protocol p, Family f, int states, boolean info, CompactSocketList.Builder sink,
            boolean pipelined) {
        String name = "netlink:" + p.label() + (f == Family.IPV6 ? "6" : "");
        SockDiagParser.Dump d = new SockDiagParser.Dump(name, p, ++seq);
        read(d, r -> fillRequest(r, d.seq, f == Family.IPV6 ? SockDiagParser.AF_INET6 : SockDiagParser.AF_INET,
                p == Protocol.TCP ? PROTO_TCP : PROTO_UDP, info ? EXT_INFO : 0, states), sink, pipelined);
        return d.report();
    }

    /** Sends the request {@code fill} writes and reads the dump {@code d} that answers it into {@code sink}. */
    private void read(SockDiagParser.Dump d, java.util.function.Consumer<ByteBuffer> fill,
            CompactSocketList.Builder sink, boolean pipelined) {
        Receiver receiver = null;
        try {
            if (channel == null) {
                channel = opener.open();
            }
            if (buffer == null) {
                buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.nativeOrder());
                request = ByteBuffer.allocateDirect(COMPAT_REQUEST_BYTES).order(ByteOrder.nativeOrder());
            }
            fill.accept(request);
            channel.send(request);
            if (pipelined) {
                if (slots == null) {
                    slots = Receiver.slots();
                }
                receiver = Receiver.pipelined(channel, d.seq, slots, buffer, MAX_DATAGRAMS);
            } else {
                receiver = Receiver.direct(channel, buffer, MAX_DATAGRAMS);
            }
            int status = SockDiagParser.MORE;
            while (status == SockDiagParser.MORE) {
                ByteBuffer datagram = receiver.next();
                if (datagram == null) {
                    d.fail("more than " + MAX_DATAGRAMS + " datagrams: dump cut");
                    abandon(receiver);
                    break;
                }
                if (datagram.limit() == 0) {
                    d.fail("dump ended without NLMSG_DONE");
                    abandon(receiver);
                    break;
                }
                status = SockDiagParser.parse(datagram, d, sink);
                receiver.done(datagram);
            }
            if (status == SockDiagParser.FAILED) {
                reopen(); // whatever follows an error on this socket is no reply to the next request
            }
        } catch (IOException e) {
            d.fail(e.getMessage());
            reopen(); // whatever the socket still holds belongs to a broken dump
        } catch (InterruptedException e) {
            d.fail("interrupted");
            abandon(receiver);
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            abandon(receiver); // the dump is cut: what the socket still holds is no reply to the next request
            throw e;
        }
    }

    /** Gives the channel up to a receiver that may still be using it; the next dump opens a new one. */
    private void abandon(Receiver receiver) {
        if (receiver != null) {
            receiver.abandon();
        } else {
            reopen();
        }
        channel = null;
    }

    /**
     * The older request ({@code struct inet_diag_req} after the header, 76 bytes): TCP sockets of every family
     * in {@code states}, the extensions {@code ext}.
     */
    static void fillCompatRequest(ByteBuffer req, int seq, int ext, int states) {
        header(req, COMPAT_REQUEST_BYTES, SockDiagParser.TCPDIAG_GETSOCK, seq);
        req.put(16, (byte) SockDiagParser.AF_INET); // idiag_family: the kernel dumps every family all the same
        req.put(19, (byte) ext);
        req.putInt(16 + 4 + 48, states); // after the 48-byte inet_diag_sockid
    }

    static void fillRequest(ByteBuffer req, int seq, int family, int protocol, int ext, int states) {
        header(req, REQUEST_BYTES, SockDiagParser.SOCK_DIAG_BY_FAMILY, seq);
        req.put(16, (byte) family); // inet_diag_req_v2
        req.put(17, (byte) protocol);
        req.put(18, (byte) ext);
        req.putInt(20, states);
    }

    /**
     * Zeroes {@code length} bytes of {@code req}, limits it to them and writes a dump request's {@code nlmsghdr}
     * (pid 0: to the kernel).
     */
    private static void header(ByteBuffer req, int length, int type, int seq) {
        req.clear().limit(length);
        for (int i = 0; i < length; i++) {
            req.put(i, (byte) 0);
        }
        req.putInt(0, length); // nlmsg_len
        req.putShort(4, (short) type);
        req.putShort(6, (short) (NLM_F_REQUEST | NLM_F_DUMP));
        req.putInt(8, seq);
    }

    private void reopen() {
        if (channel != null) {
            channel.close();
            channel = null; // the next dump opens a new one
        }
    }

    @Override
    public synchronized void close() {
        reopen();
    }

    /** A destroy-event subscription in this source's network namespace, started. */
    /** The spare columns go: the next full collection allocates its own. */
    @Override
    public void trim() {
        if (spares != null) {
            spares.clear();
        }
    }

    @Override
    public io.connmon.parser.events.ConnectionEvents subscribeClosed(int closedMax, int receiveBufferBytes)
            throws java.io.IOException {
        DestroySubscription s = DestroySubscription.open(
                new io.connmon.parser.events.ClosedConnections(closedMax), receiveBufferBytes);
        s.start();
        return s;
    }
}
