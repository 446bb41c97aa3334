package io.connmon.parser.source.netns;

import io.connmon.parser.model.ContainerRef;
import io.connmon.parser.model.NetNamespace;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.netns.NetnsDiscovery;
import io.connmon.parser.source.SocketRequest;
import io.connmon.parser.source.SocketSource;
import io.connmon.parser.source.SocketSources;
import io.connmon.parser.source.SourceException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A source of one network namespace (connmon's own, or {@code --proc-root /proc/PID}'s) whose tables say which
 * namespace they are: every socket then carries its namespace as under {@code --netns all}. What is known of
 * the namespace (inode, {@code ip netns} name, container) is read once, at construction.
 */
public final class SingleNamespaceSource implements SocketSource {

    private final SocketSource inner;
    private final NetNamespace namespace;

    /** Wraps {@code inner}, which reads the namespace of {@code procRoot} ({@code /proc} or {@code /proc/PID}). */
    public SingleNamespaceSource(SocketSource inner, Path procRoot, Path netnsDir, String portRangeNote) {
        this.inner = inner;
        boolean own = SocketSources.isDefault(procRoot);
        Path pidDir = own ? procRoot.resolve("self") : procRoot;
        int pid = own ? (int) ProcessHandle.current().pid() : pidOf(procRoot);
        Path parent = own ? procRoot : procRoot.toAbsolutePath().getParent();
        NetnsDiscovery d = new NetnsDiscovery(parent == null ? procRoot : parent, netnsDir);
        long inode = -1;
        String note = null;
        try {
            inode = NetnsDiscovery.parseNsLink(java.nio.file.Files.readSymbolicLink(pidDir.resolve("ns/net")).toString());
        } catch (IOException | RuntimeException e) {
            note = "cannot read " + pidDir.resolve("ns/net") + " (ptrace access: CAP_SYS_PTRACE for another user's"
                    + " process); shown as pid:" + pid;
        }
        String name = inode >= 0 ? d.names().get(inode) : null;
        ContainerRef container = pid > 0 ? d.containerOf(pid) : ContainerRef.NONE;
        long key = pid > 0 ? d.key(pid) : -1;
        this.namespace = new NetNamespace(inode, key, name, pid, own, container, inner.name(),
                own ? "connmon's own namespace (--netns host)" : "--proc-root " + procRoot, note, null,
                portRangeNote, 0, 0, null);
    }

    /** The namespace read. */
    public NetNamespace namespace() {
        return namespace;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public SocketTable collect() throws SourceException {
        return tag(inner.collect());
    }

    @Override
    public SocketTable collect(SocketRequest request) throws SourceException {
        return tag(inner.collect(request));
    }

    private SocketTable tag(SocketTable t) {
        return t.withNamespaces(List.of(namespace.at(0, t.sockets().size())));
    }

    /** The destroy events of the namespace read: the wrapped source's (netlink in connmon's own namespace). */
    @Override
    public io.connmon.parser.events.ConnectionEvents subscribeClosed(int closedMax, int receiveBufferBytes)
            throws IOException {
        return inner.subscribeClosed(closedMax, receiveBufferBytes);
    }

    @Override
    public void trim() {
        inner.trim();
    }

    @Override
    public void close() {
        inner.close();
    }

    private static int pidOf(Path procRoot) {
        Path f = procRoot.getFileName();
        try {
            return f == null ? -1 : Integer.parseInt(f.toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
