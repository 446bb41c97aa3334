package io.connmon.parser.events;

import io.connmon.parser.model.Endpoint;

/**
 * One closed TCP connection as its destroy event told it, for listings ({@code /closed}); made only when read.
 *
 * @param closedAtMillis when connmon received the event (Unix time, milliseconds)
 * @param local the local address and port
 * @param remote the remote address and port
 * @param inbound whether its local port had a listener (else it is outbound, by remote port)
 * @param cookie the kernel's socket cookie
 * @param bytesSent bytes the peer acknowledged ({@code tcpi_bytes_acked}), or -1 when unknown
 * @param bytesReceived bytes received ({@code tcpi_bytes_received}), or -1 when unknown
 * @param retransmits segments retransmitted over its life ({@code tcpi_total_retrans}), or -1 when unknown
 * @param rttMicros smoothed round-trip time at close in microseconds, or -1 when unknown
 */
public record ClosedConnection(long closedAtMillis, Endpoint local, Endpoint remote, boolean inbound, long cookie,
        long bytesSent, long bytesReceived, long retransmits, long rttMicros) {
}
