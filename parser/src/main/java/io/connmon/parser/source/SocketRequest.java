package io.connmon.parser.source;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a caller wants from one collection, so a source that can filter in the kernel reads no more than that
 * (a listeners-only sock_diag dump skips the established hash: it costs the same at 10k and at 300k sockets).
 * A source may return more than asked: callers still filter what they show.
 *
 * <pre>{@code
 * source.collect(SocketRequest.ALL.onlyStates(EnumSet.of(SocketState.LISTEN, SocketState.UNCONN)));
 * }</pre>
 *
 * @param protocols the protocols wanted
 * @param families the families wanted
 * @param states the states wanted; empty for all
 * @param tcpInfo whether to read each TCP socket's tcp_info (RTT, retransmits, bytes), which costs more
 * @param rttOnly with {@code tcpInfo}, whether the RTT is all the caller reads of it: a source may then keep
 *     that alone (4 bytes a socket instead of 48) and give the other fields as unknown (-1)
 */
public record SocketRequest(Set<Protocol> protocols, Set<Family> families, Set<SocketState> states,
        boolean tcpInfo, boolean rttOnly) {

    /** Every socket, without tcp_info: what a scrape reads. */
    public static final SocketRequest ALL = new SocketRequest(EnumSet.allOf(Protocol.class),
            EnumSet.allOf(Family.class), Set.of(), false);

    public SocketRequest {
        protocols = Set.copyOf(protocols);
        families = Set.copyOf(families);
        states = Set.copyOf(states);
        rttOnly = rttOnly && tcpInfo;
    }

    /** A request for all of tcp_info, or none of it. */
    public SocketRequest(Set<Protocol> protocols, Set<Family> families, Set<SocketState> states, boolean tcpInfo) {
        this(protocols, families, states, tcpInfo, false);
    }

    /** This request limited to {@code wanted} states (empty: all). */
    public SocketRequest onlyStates(Set<SocketState> wanted) {
        return new SocketRequest(protocols, families, wanted, tcpInfo, rttOnly);
    }

    /** This request with or without tcp_info (all of it). */
    public SocketRequest withTcpInfo(boolean info) {
        return new SocketRequest(protocols, families, states, info, false);
    }

    /** This request with the RTT of each TCP socket, and no other field of its tcp_info (an RTT sample). */
    public SocketRequest withRttOnly() {
        return new SocketRequest(protocols, families, states, true, true);
    }

    /** This request limited to the given protocols and families. */
    public SocketRequest only(Set<Protocol> wantedProtocols, Set<Family> wantedFamilies) {
        return new SocketRequest(wantedProtocols, wantedFamilies, states, tcpInfo, rttOnly);
    }

    /** Whether every socket is asked for (no protocol, family or state left out). */
    public boolean isAll() {
        return protocols.size() == Protocol.values().length && families.size() == Family.values().length
                && states.isEmpty();
    }
}
