package io.connmon.parser.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketState;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SocketRequestTest {

    @Test
    void theRttAloneIsTcpInfoAndSurvivesNarrowingButNotAskingForAllOfIt() {
        SocketRequest rtt = SocketRequest.ALL.withRttOnly();
        assertTrue(rtt.tcpInfo());
        assertTrue(rtt.rttOnly());
        SocketRequest narrowed = rtt.onlyStates(EnumSet.of(SocketState.ESTABLISHED))
                .only(EnumSet.of(Protocol.TCP), EnumSet.of(Family.IPV6));
        assertTrue(narrowed.rttOnly(), "a narrower request still wants the RTT alone");
        assertFalse(narrowed.withTcpInfo(true).rttOnly(), "all of tcp_info");
        assertFalse(narrowed.withTcpInfo(false).tcpInfo());
        assertFalse(new SocketRequest(Set.of(Protocol.TCP), Set.of(Family.IPV4), Set.of(), false, true).rttOnly(),
                "no tcp_info, no RTT");
        assertFalse(SocketRequest.ALL.rttOnly());
        assertEquals(SocketRequest.ALL, SocketRequest.ALL.withTcpInfo(false), "a full collection is still ALL");
        assertFalse(rtt.equals(SocketRequest.ALL.withTcpInfo(true)));
    }
}
