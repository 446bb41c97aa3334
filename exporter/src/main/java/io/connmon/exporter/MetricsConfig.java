package io.connmon.exporter;

import java.util.Set;

/**
 * Cardinality limits of the per-port metrics.
 *
 * @param inboundPortsMax local ports with a listener exported one by one (the rest sum into {@code port="other"})
 * @param inboundPorts if not empty, exactly these local ports are exported one by one, whatever the cap
 * @param outboundPortsMax remote ports of outbound connections exported one by one (the busiest first)
 * @param listenersMax listening sockets exported one by one
 * @param processesMax processes (by name) whose connections are exported one by one, with attribution on
 * @param outboundPorts remote ports always exported one by one, even inside the ephemeral range (where a remote
 *     port is otherwise taken for a client's random port and counted in {@code other})
 */
public record MetricsConfig(int inboundPortsMax, Set<Integer> inboundPorts, int outboundPortsMax, int listenersMax,
        int processesMax, Set<Integer> outboundPorts) {

    /** 100 inbound ports, 20 outbound ports, 1,000 listeners, 20 processes, no allow-lists. */
    public static final MetricsConfig DEFAULT = new MetricsConfig(100, Set.of(), 20, 1000, 20, Set.of());

    /** Limits without named outbound ports. */
    public MetricsConfig(int inboundPortsMax, Set<Integer> inboundPorts, int outboundPortsMax, int listenersMax,
            int processesMax) {
        this(inboundPortsMax, inboundPorts, outboundPortsMax, listenersMax, processesMax, Set.of());
    }

    /** Limits with the default process cap. */
    public MetricsConfig(int inboundPortsMax, Set<Integer> inboundPorts, int outboundPortsMax, int listenersMax) {
        this(inboundPortsMax, inboundPorts, outboundPortsMax, listenersMax, 20, Set.of());
    }

    public MetricsConfig {
        nonNegative("inboundPortsMax", inboundPortsMax);
        nonNegative("outboundPortsMax", outboundPortsMax);
        nonNegative("listenersMax", listenersMax);
        nonNegative("processesMax", processesMax);
        inboundPorts = ports(inboundPorts);
        outboundPorts = ports(outboundPorts);
    }

    private static void nonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be 0 or more, not " + value);
        }
    }

    private static Set<Integer> ports(Set<Integer> ports) {
        for (int p : ports) {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("port out of range: " + p);
            }
        }
        return Set.copyOf(ports);
    }
}
