package io.connmon.parser.source.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The system calls of the netlink source, and nothing else: a {@code NETLINK_SOCK_DIAG} socket that sends a
 * request and receives datagrams into a buffer the caller reuses. JNA direct mapping (about 150 ns a call).
 *
 * <p>A receive never blocks for longer than the timeout given ({@code SO_RCVTIMEO}: a blocking native call
 * ignores {@link Thread#interrupt()}); EINTR is retried. Any other failure is an {@link IOException} naming the
 * errno, after which the caller closes this socket and opens a new one.
 */
final class SockDiagSocket implements DiagChannel {

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOBUFS = 105;
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_SOCK_DIAG = 4;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20; // x86, arm, riscv; not for every architecture (see isSupported)
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVBUFFORCE = 33; // beyond net.core.rmem_max; needs CAP_NET_ADMIN

    private int fd;

    /** The C library's calls; loading them is deferred to the first socket so a failure can be caught. */
    private static final class Libc {
        static {
            Native.register(Libc.class, Platform.C_LIBRARY_NAME);
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native int setsockopt(int fd, int level, int name, long[] value, int length) throws LastErrorException;

        static native NativeLong send(int fd, ByteBuffer buffer, NativeLong length, int flags)
                throws LastErrorException;

        static native NativeLong recv(int fd, ByteBuffer buffer, NativeLong length, int flags)
                throws LastErrorException;

        static native int close(int fd) throws LastErrorException;

        static native int setsockopt(int fd, int level, int name, int[] value, int length) throws LastErrorException;

        static native int bind(int fd, byte[] address, int length) throws LastErrorException;

        static native int getsockname(int fd, byte[] address, int[] length) throws LastErrorException;

        static native int getsockopt(int fd, int level, int name, int[] value, int[] length) throws LastErrorException;
    }

    /** Whether this platform's constants and {@code struct timeval} (two longs) are the ones used here. */
    static boolean isSupported() {
        return Platform.isLinux() && Native.LONG_SIZE == 8
                && (Platform.isIntel() || Platform.isARM() || Platform.ARCH.startsWith("riscv"));
    }

    /**
     * Opens a socket whose receives time out after {@code timeoutMillis}.
     *
     * @throws IOException when the socket cannot be made (no AF_NETLINK under a sandbox, say)
     * @throws LinkageError when JNA's native part cannot be loaded (no executable temporary directory)
     */
    SockDiagSocket(long timeoutMillis) throws IOException {
        if (!isSupported()) {
            throw new IOException("netlink source not supported on " + Platform.ARCH + " " + System.getProperty("os.name"));
        }
        try {
            fd = Libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        } catch (LastErrorException e) {
            throw new IOException("socket(AF_NETLINK, NETLINK_SOCK_DIAG): errno " + e.getErrorCode(), e);
        }
        try {
            long[] timeval = {timeoutMillis / 1000, (timeoutMillis % 1000) * 1000};
            Libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16);
        } catch (LastErrorException e) {
            close();
            throw new IOException("setsockopt(SO_RCVTIMEO): errno " + e.getErrorCode(), e);
        }
    }

    /**
     * Opens a socket subscribed to the sock_diag multicast {@code groups} (a bit mask, {@code 1 << (group - 1)}),
     * as {@code ss -E} does, with a receive buffer of {@code receiveBufferBytes} (SO_RCVBUFFORCE, which may
     * exceed net.core.rmem_max, when privileged; else SO_RCVBUF, capped by the kernel at rmem_max).
     */
    SockDiagSocket(long timeoutMillis, int groups, int receiveBufferBytes) throws IOException {
        this(timeoutMillis);
        try {
            try {
                Libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, new int[] {receiveBufferBytes}, 4);
            } catch (LastErrorException e) {
                Libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, new int[] {receiveBufferBytes}, 4);
            }
            // struct sockaddr_nl: u16 family, u16 pad, u32 pid (0: the kernel assigns one), u32 groups; host order
            ByteBuffer a = ByteBuffer.allocate(12).order(java.nio.ByteOrder.nativeOrder());
            a.putShort((short) AF_NETLINK).putShort((short) 0).putInt(0).putInt(groups);
            Libc.bind(fd, a.array(), 12);
        } catch (LastErrorException e) {
            close();
            throw new IOException("subscribing to sock_diag groups 0x" + Integer.toHexString(groups) + ": errno "
                    + e.getErrorCode(), e);
        }
    }

    /** The receive buffer the kernel granted, in bytes (it doubles the value set, for its bookkeeping), or -1. */
    int receiveBufferBytes() {
        int[] v = new int[1];
        try {
            Libc.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, v, new int[] {4});
        } catch (LastErrorException e) {
            return -1;
        }
        return v[0];
    }

    /** The port id the kernel gave this socket (the Pid column of /proc/net/netlink), or -1. */
    int portId() {
        byte[] a = new byte[12];
        try {
            Libc.getsockname(fd, a, new int[] {12});
        } catch (LastErrorException e) {
            return -1;
        }
        return ByteBuffer.wrap(a).order(java.nio.ByteOrder.nativeOrder()).getInt(4);
    }

    /** Sends the request from position 0 to the buffer's limit (a direct buffer). */
    @Override
    public void send(ByteBuffer request) throws IOException {
        while (true) {
            try {
                Libc.send(fd, request, new NativeLong(request.limit()), 0);
                return;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    throw new ErrnoException("send", e.getErrorCode());
                }
            }
        }
    }

    /**
     * Receives one datagram into {@code buffer} (a direct buffer) from position 0, leaving position 0 and the limit
     * at its end.
     *
     * @throws ErrnoException on EAGAIN (the timeout passed), ENOBUFS and any errno but EINTR
     */
    @Override
    public void receive(ByteBuffer buffer) throws IOException {
        buffer.clear();
        while (true) {
            try {
                long n = Libc.recv(fd, buffer, new NativeLong(buffer.capacity()), 0).longValue();
                buffer.limit((int) Math.min(Math.max(n, 0), buffer.capacity()));
                return;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    throw new ErrnoException("recv", e.getErrorCode());
                }
            }
        }
    }

    @Override
    public void close() {
        if (fd >= 0) {
            try {
                Libc.close(fd);
            } catch (LastErrorException e) {
                // the descriptor is released either way
            }
            fd = -1;
        }
    }

    /** A failed call and its errno. */
    static final class ErrnoException extends IOException {
        private static final long serialVersionUID = 1L;
        final int errno;

        ErrnoException(String call, int errno) {
            super(call + ": " + describe(errno));
            this.errno = errno;
        }

        private static String describe(int errno) {
            switch (errno) {
                case EAGAIN:
                    return "no reply within the timeout (EAGAIN)";
                case ENOBUFS:
                    return "receive buffer overrun (ENOBUFS)";
                default:
                    return "errno " + errno;
            }
        }
    }
}
