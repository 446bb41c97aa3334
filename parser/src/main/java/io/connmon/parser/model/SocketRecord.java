package io.connmon.parser.model;

/**
 * One socket of the kernel's tables: its socket pair, state, queues and owner.
 *
 * <p>The addresses are held as primitives rather than two {@link Endpoint} objects: a host with 300,000
 * sockets keeps 300,000 of these, and every object counts. {@link #local()} and {@link #remote()} give the
 * endpoints as values.
 *
 * <pre>{@code
 * tcp ipv4 ESTABLISHED 10.254.222.37:58596 -> 172.217.161.78:80
 * }</pre>
 *
 * @param protocol TCP or UDP
 * @param family IPv4 or IPv6 (a v4-mapped address is IPv6)
 * @param state the netstat state; UDP sockets are {@link SocketState#UNCONN} or {@link SocketState#ESTABLISHED}
 * @param localHigh the first 64 bits of the local IPv6 address; 0 for IPv4 (see {@link Endpoint})
 * @param localLow the last 64 bits of the local IPv6 address, or the IPv4 address in the low 32 bits
 * @param localPort the local port
 * @param remoteHigh the first 64 bits of the remote IPv6 address; 0 for IPv4
 * @param remoteLow the last 64 bits of the remote address, as {@code localLow}
 * @param remotePort the remote port; 0 for listeners and unconnected UDP sockets
 * @param sendQueue bytes in the send queue ({@code tx_queue}); 0 for a listener in /proc (netlink gives its backlog)
 * @param receiveQueue bytes in the receive queue ({@code rx_queue}); for a listener, the accept queue length
 * @param uid the owner's user id, or -1 where the source does not know it
 * @param inode the socket's inode (ties it to a process through {@code /proc/PID/fd}); 0 when it has none
 *     (TIME_WAIT) or the source does not know it
 * @param timerActive the {@code tr} column: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window probe
 * @param timerJiffies the {@code tm->when} column: jiffies until the timer fires
 * @param retransmits the {@code retrnsmt} column: unrecovered retransmit timeouts (or probes)
 * @param cookie the kernel's socket cookie (sock_diag), unique per socket while it lives; 0 unknown
 * @param cgroupId the cgroup v2 id of the socket's creator (sock_diag); 0 unknown
 * @param v6Only IPV6_V6ONLY of an IPv6 listener or unconnected socket: 1 IPv6 only, 0 dual-stack (also accepts
 *     IPv4 when bound to {@code ::}), -1 unknown or not applicable
 * @param expiresMillis milliseconds until the socket's timer fires (with {@code timerActive}); -1 unknown
 * @param tcpInfo RTT, retransmits and bytes from the kernel's tcp_info; {@code null} unless asked for and known
 * @param netns the socket's network namespace: an index into its table's {@link SocketTable#namespaces()}; 0
 *     when the table has one namespace
 */
public record SocketRecord(
        Protocol protocol,
        Family family,
        SocketState state,
        long localHigh,
        long localLow,
        int localPort,
        long remoteHigh,
        long remoteLow,
        int remotePort,
        long sendQueue,
        long receiveQueue,
        long uid,
        long inode,
        int timerActive,
        long timerJiffies,
        long retransmits,
        long cookie,
        long cgroupId,
        int v6Only,
        long expiresMillis,
        TcpInfo tcpInfo,
        int netns) {

    public SocketRecord {
        if (protocol == null || family == null || state == null) {
            throw new IllegalArgumentException("protocol, family and state are required");
        }
        if (localPort < 0 || localPort > 65535 || remotePort < 0 || remotePort > 65535) {
            throw new IllegalArgumentException("port out of range: " + localPort + ", " + remotePort);
        }
        if (family == Family.IPV4 && (localHigh != 0 || remoteHigh != 0 || (localLow >>> 32) != 0
                || (remoteLow >>> 32) != 0)) {
            throw new IllegalArgumentException("IPv4 address wider than 32 bits");
        }
        if (netns < 0) {
            throw new IllegalArgumentException("negative namespace index " + netns);
        }
    }

    /** A record in its table's first (or only) network namespace. */
    public SocketRecord(Protocol protocol, Family family, SocketState state, long localHigh, long localLow,
            int localPort, long remoteHigh, long remoteLow, int remotePort, long sendQueue, long receiveQueue,
            long uid, long inode, int timerActive, long timerJiffies, long retransmits, long cookie, long cgroupId,
            int v6Only, long expiresMillis, TcpInfo tcpInfo) {
        this(protocol, family, state, localHigh, localLow, localPort, remoteHigh, remoteLow, remotePort, sendQueue,
                receiveQueue, uid, inode, timerActive, timerJiffies, retransmits, cookie, cgroupId, v6Only,
                expiresMillis, tcpInfo, 0);
    }

    /** A record without the fields only sock_diag knows (cookie, cgroup id, v6only, expiry, tcp_info). */
    public SocketRecord(Protocol protocol, Family family, SocketState state, long localHigh, long localLow,
            int localPort, long remoteHigh, long remoteLow, int remotePort, long sendQueue, long receiveQueue,
            long uid, long inode, int timerActive, long timerJiffies, long retransmits) {
        this(protocol, family, state, localHigh, localLow, localPort, remoteHigh, remoteLow, remotePort, sendQueue,
                receiveQueue, uid, inode, timerActive, timerJiffies, retransmits, 0, 0, -1, -1, null);
    }

    /**
     * Whether this is a dual-stack socket: IPv6, bound to {@code ::} with IPV6_V6ONLY off, so it takes IPv4
     * peers too. {@code ss} prints its address as {@code *}.
     */
    public boolean dualStack() {
        return family == Family.IPV6 && v6Only == 0 && localHigh == 0 && localLow == 0;
    }

    /** The local endpoint as {@code ss} prints it: {@code *:PORT} for a dual-stack socket, else {@link #local()}. */
    public String localText() {
        return text(localHigh, localLow, localPort, local());
    }

    /** The remote endpoint as {@code ss} prints it: {@code *:*} beside a dual-stack listener, else {@link #remote()}. */
    public String remoteText() {
        return text(remoteHigh, remoteLow, remotePort, remote());
    }

    private String text(long high, long low, int port, Endpoint e) {
        if (family == Family.IPV6 && v6Only == 0 && high == 0 && low == 0) {
            return "*:" + (port == 0 ? "*" : Integer.toString(port));
        }
        return e.toString();
    }

    /** A record from its two endpoints, which must be of {@code family}. */
    public SocketRecord(Protocol protocol, Family family, SocketState state, Endpoint local, Endpoint remote,
            long sendQueue, long receiveQueue, long uid, long inode, int timerActive, long timerJiffies,
            long retransmits) {
        this(protocol, family, state, checked(local, family).high(), local.low(), local.port(),
                checked(remote, family).high(), remote.low(), remote.port(), sendQueue, receiveQueue, uid, inode,
                timerActive, timerJiffies, retransmits);
    }

    private static Endpoint checked(Endpoint e, Family family) {
        if (e == null) {
            throw new IllegalArgumentException("endpoints are required");
        }
        if (e.family() != family) {
            throw new IllegalArgumentException("endpoint family differs from socket family " + family);
        }
        return e;
    }

    /** The local endpoint. */
    public Endpoint local() {
        return family == Family.IPV4 ? Endpoint.ipv4((int) localLow, localPort)
                : Endpoint.ipv6(localHigh, localLow, localPort);
    }

    /** The remote endpoint; the wildcard for listeners and unconnected UDP sockets. */
    public Endpoint remote() {
        return family == Family.IPV4 ? Endpoint.ipv4((int) remoteLow, remotePort)
                : Endpoint.ipv6(remoteHigh, remoteLow, remotePort);
    }

    /** A record from a source that knows only the socket pair, state and queues (no uid, inode or timers). */
    public static SocketRecord of(Protocol protocol, SocketState state, Endpoint local, Endpoint remote,
            long sendQueue, long receiveQueue) {
        return new SocketRecord(protocol, local.family(), state, local, remote, sendQueue, receiveQueue,
                -1, 0, 0, 0, 0);
    }

    /** {@code tcp ESTABLISHED 127.0.0.1:43692 127.0.0.1:46343}: protocol, state and the socket pair. */
    @Override
    public String toString() {
        return protocol.label() + " " + state + " " + local() + " " + remote();
    }
}
