package io.connmon.parser.counters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * How many sockets a first read of one socket table should make room for, from {@code net/sockstat} and
 * {@code net/sockstat6} (sockets in use per protocol and family; TIME_WAIT ones, which sockstat counts for both
 * families, go to IPv4 TCP), so that 300,000 sockets do not cost a dozen array copies. Both sources presize their
 * first read with it.
 *
 * <pre>{@code
 * int room = SockstatEstimate.firstRead(Path.of("/proc"), 0, 16); // tcp, with a sixteenth more
 * }</pre>
 */
public final class SockstatEstimate {

    /** The room when sockstat cannot be read, and the least ever given. */
    public static final int MIN = 1024;
    /** The most ever given (a hint, not a limit: tables grow past it). */
    public static final int MAX = 1 << 22;

    private SockstatEstimate() {
    }

    /**
     * Room for table {@code slot} (0 tcp, 1 tcp6, 2 udp, 3 udp6) under {@code procRoot}: the sockets in use plus
     * {@code 1/slackDivisor} more, between {@link #MIN} and {@link #MAX}; {@link #MIN} when sockstat cannot be read.
     */
    public static int firstRead(Path procRoot, int slot, int slackDivisor) {
        try {
            Map<String, Map<String, Long>> m = new HashMap<>();
            NetStatParser.parseSockstat(NetStatReader.readSmall(procRoot.resolve("net/sockstat")), m,
                    new ArrayList<>());
            if (slot % 2 == 1) {
                NetStatParser.parseSockstat(NetStatReader.readSmall(procRoot.resolve("net/sockstat6")), m,
                        new ArrayList<>());
            }
            long n = switch (slot) {
                case 0 -> value(m, "TCP", "inuse") + value(m, "TCP", "tw");
                case 1 -> value(m, "TCP6", "inuse");
                case 2 -> value(m, "UDP", "inuse");
                default -> value(m, "UDP6", "inuse");
            };
            return (int) Math.min(MAX, Math.max(MIN, n + n / slackDivisor));
        } catch (IOException | RuntimeException e) {
            return MIN;
        }
    }

    private static long value(Map<String, Map<String, Long>> m, String group, String key) {
        Map<String, Long> g = m.get(group);
        Long v = g == null ? null : g.get(key);
        return v == null ? 0 : Math.max(0, v);
    }
}
