package io.connmon.parser.attribution;

import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.SocketTable;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Run by {@link SocketOwnersLiveTest} in a child JVM as an unprivileged user: resolves the live tables and prints
 * {@code denied=N unattributed=N complete=B problem=B own=PID/NAME other=PID/NAME} where {@code own} is the owner
 * of a listener this JVM opens and {@code other} the owner of the listener on the port given as the argument
 * ({@code null} when none is known).
 */
final class UnprivilegedOwnersProbe {

    private UnprivilegedOwnersProbe() {
    }

    public static void main(String[] args) throws Exception {
        int otherPort = Integer.parseInt(args[0]);
        try (ServerSocketChannel own = ServerSocketChannel.open();
                ProcfsSocketSource source = new ProcfsSocketSource(Path.of("/proc"))) {
            own.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int ownPort = ((InetSocketAddress) own.getLocalAddress()).getPort();
            SocketTable table = source.collect();
            SocketOwners owners = new SocketOwners(Path.of("/proc"), Duration.ofSeconds(10));
            Attribution a = owners.resolve(table);
            System.out.println("denied=" + owners.deniedProcesses() + " unattributed=" + a.unattributed()
                    + " complete=" + a.complete() + " problem=" + (owners.privilegeProblem() != null)
                    + " own=" + ownerOfListener(table, a, ownPort) + " other=" + ownerOfListener(table, a, otherPort));
        }
    }

    private static SocketOwner ownerOfListener(SocketTable table, Attribution a, int port) {
        for (SocketRecord r : table.sockets()) {
            if (r.protocol() == Protocol.TCP && r.state() == SocketState.LISTEN && r.local().port() == port) {
                return a.ownerOf(r);
            }
        }
        throw new IllegalStateException("no listener on port " + port);
    }
}
