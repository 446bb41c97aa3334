package io.connmon.parser.model;

/**
 * The TCP health figures of one socket, from the kernel's {@code struct tcp_info} (the sock_diag INFO attribute),
 * as {@code ss -ti} shows them. A field the kernel's struct is too short to hold is -1.
 *
 * <pre>{@code
 * rtt:0.052/0.026 retrans:0/0 bytes_acked:1 bytes_received:1 delivery_rate:...
 * }</pre>
 *
 * @param rttMicros smoothed round-trip time in microseconds ({@code tcpi_rtt})
 * @param rttVarMicros its mean deviation in microseconds ({@code tcpi_rttvar})
 * @param retransmits segments retransmitted over the connection's life ({@code tcpi_total_retrans})
 * @param bytesAcked bytes the peer acknowledged ({@code tcpi_bytes_acked}, Linux 4.1), or -1
 * @param bytesReceived bytes received ({@code tcpi_bytes_received}, Linux 4.1), or -1
 * @param deliveryRate the delivery rate in bytes per second ({@code tcpi_delivery_rate}, Linux 4.9), or -1
 */
public record TcpInfo(long rttMicros, long rttVarMicros, long retransmits, long bytesAcked, long bytesReceived,
        long deliveryRate) {
}
