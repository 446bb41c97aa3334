package io.connmon.parser.counters;

/**
 * The ephemeral port range, {@code /proc/sys/net/ipv4/ip_local_port_range}: {@code 32768 60999} by default.
 *
 * @param low the first port handed out to outgoing connections
 * @param high the last one, inclusive
 */
public record PortRange(int low, int high) {

    public PortRange {
        if (low < 0 || high > 65535 || low > high) {
            throw new IllegalArgumentException("bad port range " + low + "-" + high);
        }
    }

    /** How many ports the range holds. */
    public int size() {
        return high - low + 1;
    }

    /** Whether {@code port} lies in the range. */
    public boolean contains(int port) {
        return port >= low && port <= high;
    }
}
