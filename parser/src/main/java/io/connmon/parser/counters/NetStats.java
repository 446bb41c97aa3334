package io.connmon.parser.counters;

import io.connmon.parser.model.FileReport;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's protocol counters, as {@code netstat -s} shows them, and socket summary, as {@code ss -s} does.
 *
 * <pre>{@code
 * stats.counter("Tcp", "ActiveOpens", -1)            // /proc/net/snmp
 * stats.counter("TcpExt", "ListenOverflows", -1)     // /proc/net/netstat
 * stats.counter("Udp6", "InDatagrams", -1)           // /proc/net/snmp6
 * stats.sockstat("TCP", "tw", -1)                    // /proc/net/sockstat
 * }</pre>
 *
 * @param counters counters by group ({@code Tcp}, {@code Udp}, {@code TcpExt}, {@code Ip6}, ...) and name,
 *     in file order
 * @param sockstat the sockstat lines by protocol ({@code TCP}, {@code UDP}, {@code TCP6}, {@code sockets}) and key
 * @param ephemeralPorts the ephemeral port range, or {@code null} if it could not be read
 * @param inputs what each file yielded
 */
public record NetStats(Map<String, Map<String, Long>> counters, Map<String, Map<String, Long>> sockstat,
        PortRange ephemeralPorts, List<FileReport> inputs) {

    /** Nothing read. */
    public static final NetStats EMPTY = new NetStats(Map.of(), Map.of(), null, List.of());

    public NetStats {
        counters = deepCopy(counters);
        sockstat = deepCopy(sockstat);
        inputs = List.copyOf(inputs);
    }

    private static Map<String, Map<String, Long>> deepCopy(Map<String, Map<String, Long>> in) {
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(v))));
        return java.util.Collections.unmodifiableMap(out);
    }

    /** A counter's value, or {@code orElse} when the kernel does not have it. */
    public long counter(String group, String name, long orElse) {
        Map<String, Long> g = counters.get(group);
        Long v = g == null ? null : g.get(name);
        return v == null ? orElse : v;
    }

    /** A sockstat value, or {@code orElse} when absent. */
    public long sockstat(String protocol, String key, long orElse) {
        Map<String, Long> g = sockstat.get(protocol);
        Long v = g == null ? null : g.get(key);
        return v == null ? orElse : v;
    }
}
