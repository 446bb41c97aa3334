package io.connmon.parser.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SocketStateTest {

    /** The kernel's codes, include/net/tcp_states.h. */
    @Test
    void tcpCodesAreTheKernels() {
        SocketState[] expected = {SocketState.ESTABLISHED, SocketState.SYN_SENT, SocketState.SYN_RECV,
            SocketState.FIN_WAIT1, SocketState.FIN_WAIT2, SocketState.TIME_WAIT, SocketState.CLOSE,
            SocketState.CLOSE_WAIT, SocketState.LAST_ACK, SocketState.LISTEN, SocketState.CLOSING,
            SocketState.NEW_SYN_RECV};
        for (int code = 1; code <= 12; code++) {
            assertEquals(expected[code - 1], SocketState.ofTcp(code), "code " + code);
            assertEquals(code, SocketState.ofTcp(code).code());
        }
        assertArrayEquals(expected, SocketState.tcpStates());
    }

    @ParameterizedTest(name = "TCP code {0} is UNKNOWN")
    @ValueSource(ints = {0, 13, 255, -1, Integer.MAX_VALUE})
    void unknownTcpCodes(int code) {
        assertEquals(SocketState.UNKNOWN, SocketState.ofTcp(code));
    }

    @Test
    void udpIsUnconnOrEstablished() {
        assertEquals(SocketState.ESTABLISHED, SocketState.ofUdp(1));
        assertEquals(SocketState.UNCONN, SocketState.ofUdp(7));
        assertEquals(SocketState.UNKNOWN, SocketState.ofUdp(10));
        assertEquals(SocketState.UNKNOWN, SocketState.ofUdp(0));
    }

    @Test
    void tcpStatesIsACopy() {
        SocketState[] a = SocketState.tcpStates();
        a[0] = SocketState.UNKNOWN;
        assertEquals(SocketState.ESTABLISHED, SocketState.tcpStates()[0]);
    }

    @Test
    void labelsAreLowerCase() {
        assertEquals("time_wait", SocketState.TIME_WAIT.label());
        assertEquals("unconn", SocketState.UNCONN.label());
        assertEquals("fin_wait1", SocketState.FIN_WAIT1.label());
    }

    static Stream<Arguments> names() {
        return Stream.of(
                // netstat
                Arguments.of("ESTABLISHED", SocketState.ESTABLISHED),
                Arguments.of("SYN_SENT", SocketState.SYN_SENT),
                Arguments.of("SYN_RECV", SocketState.SYN_RECV),
                Arguments.of("FIN_WAIT1", SocketState.FIN_WAIT1),
                Arguments.of("FIN_WAIT2", SocketState.FIN_WAIT2),
                Arguments.of("TIME_WAIT", SocketState.TIME_WAIT),
                Arguments.of("CLOSE", SocketState.CLOSE),
                Arguments.of("CLOSE_WAIT", SocketState.CLOSE_WAIT),
                Arguments.of("LAST_ACK", SocketState.LAST_ACK),
                Arguments.of("LISTEN", SocketState.LISTEN),
                Arguments.of("CLOSING", SocketState.CLOSING),
                Arguments.of("NEW_SYN_RECV", SocketState.NEW_SYN_RECV),
                // ss, as in the captured ss-tan.txt
                Arguments.of("ESTAB", SocketState.ESTABLISHED),
                Arguments.of("SYN-SENT", SocketState.SYN_SENT),
                Arguments.of("SYN-RECV", SocketState.SYN_RECV),
                Arguments.of("FIN-WAIT-1", SocketState.FIN_WAIT1),
                Arguments.of("FIN-WAIT-2", SocketState.FIN_WAIT2),
                Arguments.of("TIME-WAIT", SocketState.TIME_WAIT),
                Arguments.of("CLOSE-WAIT", SocketState.CLOSE_WAIT),
                Arguments.of("LAST-ACK", SocketState.LAST_ACK),
                Arguments.of("UNCONN", SocketState.UNCONN),
                // OSHI and Windows netstat
                Arguments.of("FIN_WAIT_1", SocketState.FIN_WAIT1),
                Arguments.of("CLOSED", SocketState.CLOSE),
                Arguments.of("LISTENING", SocketState.LISTEN),
                Arguments.of("SYN_RECEIVED", SocketState.SYN_RECV),
                // labels, any case, spaces around
                Arguments.of("time_wait", SocketState.TIME_WAIT),
                Arguments.of(" close-wait ", SocketState.CLOSE_WAIT),
                Arguments.of("unconnected", SocketState.UNCONN));
    }

    @ParameterizedTest(name = "\"{0}\" is {1}")
    @MethodSource("names")
    void parsesNames(String text, SocketState expected) {
        assertEquals(expected, SocketState.fromName(text));
    }

    @ParameterizedTest(name = "\"{0}\" is no state")
    @NullAndEmptySource
    @ValueSource(strings = {"UNKNOWN", "ESTABLISHEDX", "FIN_WAIT3", "bound-inactive", "1"})
    void rejectsOtherNames(String text) {
        assertNull(SocketState.fromName(text));
    }

    @Test
    void everyStateRoundTripsByNameAndLabel() {
        for (SocketState s : SocketState.values()) {
            if (s != SocketState.UNKNOWN) {
                assertEquals(s, SocketState.fromName(s.name()));
                assertEquals(s, SocketState.fromName(s.label()));
            }
        }
    }
}
