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
 */
public record MetricsConfig(int inboundPortsMax, Set<Integer> inboundPorts, int outboundPortsMax, int listenersMax,
        int processesMax) {

    /** 100 inbound ports, 20 outbound ports, 1,000 listeners, 20 processes, no allow-list. */
    public static final MetricsConfig DEFAULT = new MetricsConfig(100, Set.of(), 20, 1000, 20);

    /** Limits with the default process cap. */
    public MetricsConfig(int inboundPortsMax, Set<Integer> inboundPorts, int outboundPortsMax, int listenersMax) {
        this(inboundPortsMax, inboundPorts, outboundPortsMax, listenersMax, 20);
    }

    public MetricsConfig {
        if (inboundPortsMax < 0 || outboundPortsMax < 0 || listenersMax < 0 || processesMax < 0) {
            throw new IllegalArgumentException("caps must not be negative");
        }
        inboundPorts = Set.copyOf(inboundPorts);
        for (int p : inboundPorts) {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("port out of range: " + p);
            }
        }
    }
}
