package io.connmon.parser;

/**
 * One socket of the kernel's tables: its socket pair, state, queues and owner.
 *
 * <pre>{@code
 * tcp ipv4 ESTABLISHED 10.254.222.37:58596 -> 172.217.161.78:80
 * }</pre>
 *
 * @param protocol TCP or UDP
 * @param family IPv4 or IPv6 (a v4-mapped address is IPv6)
 * @param state the netstat state; UDP sockets are {@link SocketState#UNCONN} or {@link SocketState#ESTABLISHED}
 * @param local the local endpoint
 * @param remote the remote endpoint; the wildcard for listeners and unconnected UDP sockets
 * @param sendQueue bytes in the send queue ({@code tx_queue}); for a listener, the kernel reports its backlog
 * @param receiveQueue bytes in the receive queue ({@code rx_queue}); for a listener, the accept queue length
 * @param uid the owner's user id, or -1 where the source does not know it
 * @param inode the socket's inode (ties it to a process through {@code /proc/PID/fd}); 0 when it has none
 *     (TIME_WAIT) or the source does not know it
 * @param timerActive the {@code tr} column: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window probe
 * @param timerJiffies the {@code tm->when} column: jiffies until the timer fires
 * @param retransmits the {@code retrnsmt} column: unrecovered retransmit timeouts (or probes)
 */
public record SocketRecord(
        Protocol protocol,
        Family family,
        SocketState state,
        Endpoint local,
        Endpoint remote,
        long sendQueue,
        long receiveQueue,
        long uid,
        long inode,
        int timerActive,
        long timerJiffies,
        long retransmits) {

    public SocketRecord {
        if (protocol == null || family == null || state == null || local == null || remote == null) {
            throw new IllegalArgumentException("protocol, family, state and endpoints are required");
        }
        if (local.family() != family || remote.family() != family) {
            throw new IllegalArgumentException("endpoint family differs from socket family " + family);
        }
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
        return protocol.label() + " " + state + " " + local + " " + remote;
    }
}
