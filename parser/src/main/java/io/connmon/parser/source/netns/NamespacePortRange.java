package io.connmon.parser.source.netns;

import io.connmon.parser.counters.NetStatParser;
import io.connmon.parser.counters.PortRange;
import io.connmon.parser.source.netlink.NamespaceHandle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.function.Supplier;

/**
 * Another namespace's {@code net.ipv4.ip_local_port_range}. Sysctls are per namespace but live only under
 * {@code /proc/sys}, which shows the reader's own namespace (there is no {@code /proc/PID/sys}): the file is
 * opened once from inside the namespace ({@link NamespaceHandle}, CAP_SYS_ADMIN) and read again at each call.
 * Without the capability the range is unknown and {@link #problem()} says why.
 */
public final class NamespacePortRange implements Supplier<PortRange>, AutoCloseable {

    static final String UNKNOWABLE = "net.ipv4.ip_local_port_range of another network namespace is readable only"
            + " from inside it (needs CAP_SYS_ADMIN)";

    private final FileChannel channel;
    private String problem;

    private NamespacePortRange(FileChannel channel, String problem) {
        this.channel = channel;
        this.problem = problem;
    }

    /** Opens the range of the namespace {@code handle} holds. */
    public static NamespacePortRange inside(NamespaceHandle handle) {
        try {
            return new NamespacePortRange(handle.inside(() -> FileChannel.open(
                    Path.of("/proc/sys/net/ipv4/ip_local_port_range"), StandardOpenOption.READ)), null);
        } catch (IOException e) {
            return new NamespacePortRange(null, UNKNOWABLE + ": " + e.getMessage());
        }
    }

    /** The range of the namespace {@code nsLink} names ({@code /proc/PID/ns/net}); the namespace is let go after. */
    public static NamespacePortRange of(Path nsLink) {
        try (NamespaceHandle h = NamespaceHandle.open(nsLink)) {
            return inside(h);
        } catch (IOException | RuntimeException | LinkageError e) {
            return new NamespacePortRange(null, UNKNOWABLE + ": " + e.getMessage());
        }
    }

    /** The range now, or {@code null} when it cannot be read (see {@link #problem()}). */
    @Override
    public synchronized PortRange get() {
        if (channel == null) {
            return null;
        }
        try {
            ByteBuffer b = ByteBuffer.allocate(64);
            int n = channel.read(b, 0);
            if (n <= 0) {
                problem = "net.ipv4.ip_local_port_range read empty";
                return null;
            }
            PortRange r = NetStatParser.parsePortRange(new String(b.array(), 0, n, StandardCharsets.US_ASCII),
                    new ArrayList<>());
            problem = r == null ? "net.ipv4.ip_local_port_range unreadable" : null;
            return r;
        } catch (IOException | RuntimeException e) {
            problem = "cannot read net.ipv4.ip_local_port_range: " + e.getMessage();
            return null;
        }
    }

    /** Why the range is unknown, or {@code null}. */
    public synchronized String problem() {
        return problem;
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // released either way
            }
        }
    }
}
