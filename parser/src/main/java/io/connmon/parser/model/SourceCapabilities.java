package io.connmon.parser.model;

/**
 * What a source can tell about a socket, carried with each {@link SocketTable} so that a consumer asks the data,
 * never the source's name. Where a flag is false the matching {@link SocketRecord} fields are not zeros to be
 * shown but unknowns to be left out.
 *
 * <pre>{@code
 * if (table.knows().backlogLimit()) { ... r.sendQueue() of a listener is its backlog ... }
 * }</pre>
 *
 * @param backlogLimit a TCP listener's {@code sendQueue} is its accept queue's limit (sock_diag; /proc prints 0)
 * @param tcpInfo sockets can carry {@link TcpInfo} when it is asked for
 * @param dualStack {@link SocketRecord#v6Only()} is known for IPv6 listeners and unbound-peer sockets
 * @param cgroupId {@link SocketRecord#cgroupId()} is known
 * @param timers timer kind and expiry are known ({@link SocketRecord#timerActive()}, {@code expiresMillis})
 * @param owners uid and inode are known
 */
public record SourceCapabilities(boolean backlogLimit, boolean tcpInfo, boolean dualStack, boolean cgroupId,
        boolean timers, boolean owners) {

    /** A source that knows the socket pair, state and queues only (OSHI). */
    public static final SourceCapabilities MINIMAL = new SourceCapabilities(false, false, false, false, false, false);
    /** The /proc/net text tables: uid, inode and timers, no backlog limit, no dual-stack flag. */
    public static final SourceCapabilities PROCFS = new SourceCapabilities(false, false, false, false, true, true);
    /** The kernel's sock_diag interface. */
    public static final SourceCapabilities NETLINK = new SourceCapabilities(true, true, true, true, true, true);
}
