package io.connmon.parser.source.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * An open network namespace ({@code /proc/PID/ns/net} or {@code /var/run/netns/NAME}) and the one system call
 * that enters it, {@code setns(fd, CLONE_NEWNET)}. Entering is per thread: {@link #inside} runs a task on a
 * thread of its own that enters the namespace, runs it and goes back, so the caller's threads never change
 * namespace. A socket opened inside (a netlink socket, a {@code /proc/sys/net} file) keeps to that namespace
 * from any thread afterwards.
 *
 * <p>Opening a process's link needs ptrace access to it (CAP_SYS_PTRACE for another user's; a bind-mounted
 * file needs only read permission); entering needs
 * CAP_SYS_ADMIN. Holding the handle keeps the namespace alive: close it when the namespace's processes are gone.
 */
public final class NamespaceHandle implements AutoCloseable {

    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    static final int EPERM = 1;

    private int fd;

    private static final class Libc {
        static {
            Native.register(Libc.class, Platform.C_LIBRARY_NAME);
        }

        static native int open(String path, int flags) throws LastErrorException;

        static native int setns(int fd, int nstype) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;
    }

    private NamespaceHandle(int fd) {
        this.fd = fd;
    }

    /**
     * Opens the namespace {@code nsLink} names (a process's {@code /proc/PID/ns/net}, or a file a namespace is
     * bind-mounted on, such as {@code /var/run/netns/NAME}) and checks that this process may enter it.
     *
     * @throws IOException naming what is missing: ptrace access to open it, CAP_SYS_ADMIN to enter it
     */
    public static NamespaceHandle open(Path nsLink) throws IOException {
        if (!SockDiagSocket.isSupported()) {
            throw new IOException("setns not supported on " + Platform.ARCH);
        }
        int fd;
        try {
            fd = Libc.open(nsLink.toString(), O_RDONLY_CLOEXEC);
        } catch (LastErrorException e) {
            boolean denied = e.getErrorCode() == EPERM || e.getErrorCode() == 13;
            throw new IOException("open " + nsLink + ": " + (!denied ? "errno " + e.getErrorCode()
                    : nsLink.startsWith("/proc") ? "no ptrace access (needs CAP_SYS_PTRACE)" : "permission denied"));
        } catch (LinkageError e) {
            throw new IOException("JNA cannot load: " + e.getMessage());
        }
        NamespaceHandle h = new NamespaceHandle(fd);
        try {
            h.inside(() -> null);
        } catch (IOException e) {
            h.close();
            throw e;
        }
        return h;
    }

    /**
     * Runs {@code task} on a new thread inside this namespace and returns what it returns.
     *
     * @throws IOException when the namespace cannot be entered (EPERM: needs CAP_SYS_ADMIN), or what the task threw
     */
    public <T> T inside(Callable<T> task) throws IOException {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        int target;
        synchronized (this) {
            if (fd < 0) {
                throw new IOException("namespace handle closed");
            }
            target = fd;
        }
        Thread t = new Thread(() -> {
            int self;
            try {
                self = Libc.open("/proc/thread-self/ns/net", O_RDONLY_CLOEXEC);
            } catch (LastErrorException e) {
                failure[0] = new IOException("open /proc/thread-self/ns/net: errno " + e.getErrorCode());
                return;
            }
            try {
                try {
                    Libc.setns(target, CLONE_NEWNET);
                } catch (LastErrorException e) {
                    failure[0] = new IOException("setns: " + (e.getErrorCode() == EPERM
                            ? "EPERM (needs CAP_SYS_ADMIN)" : "errno " + e.getErrorCode()));
                    return;
                }
                try {
                    result[0] = task.call();
                } catch (Throwable e) {
                    failure[0] = e;
                } finally {
                    try {
                        Libc.setns(self, CLONE_NEWNET); // the thread ends next anyway
                    } catch (LastErrorException e) {
                        // this thread dies with the other namespace; nothing else runs on it
                    }
                }
            } finally {
                try {
                    Libc.close(self);
                } catch (LastErrorException e) {
                    // released either way
                }
            }
        }, "connmon-netns");
        t.setDaemon(true);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while entering a network namespace", e);
        }
        if (failure[0] instanceof IOException) {
            throw (IOException) failure[0];
        }
        if (failure[0] != null) {
            throw new IOException(failure[0].toString(), failure[0]);
        }
        @SuppressWarnings("unchecked")
        T r = (T) result[0];
        return r;
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            try {
                Libc.close(fd);
            } catch (LastErrorException e) {
                // released either way
            }
            fd = -1;
        }
    }
}
