package io.connmon.exporter;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import static io.connmon.exporter.Sockets.ep;
import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static io.connmon.exporter.Sockets.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SocketQueryTest {

    /** Parameters from {@code name=value} pairs, repeats kept in order. */
    private static Map<String, List<String>> params(String... pairs) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            m.computeIfAbsent(p.substring(0, eq), k -> new java.util.ArrayList<>()).add(p.substring(eq + 1));
        }
        return m;
    }

    private static SocketQuery parse(String... pairs) throws QueryException {
        return SocketQuery.parse(params(pairs));
    }

    private static final SocketRecord SSH_LISTEN = listen("0.0.0.0", 22);
    private static final SocketRecord SSH_IN = tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "192.168.1.5", 50000);
    private static final SocketRecord HTTPS_OUT = tcp(SocketState.TIME_WAIT, "10.0.0.1", 40000, "93.184.216.34", 443);
    private static final SocketRecord V6_OUT = tcp(SocketState.ESTABLISHED, "2001:db8::1", 40001, "2001:db8::7", 443);
    private static final SocketRecord MAPPED_IN =
            tcp(SocketState.ESTABLISHED, "::ffff:127.0.0.1", 8080, "::ffff:127.0.0.1", 51000);
    private static final SocketRecord DNS = udp("127.0.0.53", 53);
    private static final List<SocketRecord> ALL = List.of(SSH_LISTEN, SSH_IN, HTTPS_OUT, V6_OUT, MAPPED_IN, DNS);

    private static List<SocketRecord> select(SocketQuery q) {
        return ALL.stream().filter(q).collect(Collectors.toList());
    }

    @Test
    void noParametersMatchEverything() throws QueryException {
        SocketQuery q = parse();
        assertEquals(SocketQuery.ALL, q);
        assertEquals(ALL, select(q));
        assertEquals(-1, q.limit());
        assertNull(q.address());
    }

    @Test
    void protocolFamilyAndStateTakeListsAndRepeats() throws QueryException {
        SocketQuery q = parse("protocol=tcp", "state=time-wait,LISTEN", "state=estab", "family=4");
        assertEquals(Set.of(Protocol.TCP), q.protocols());
        assertEquals(Set.of(Family.IPV4), q.families());
        assertEquals(Set.of(SocketState.TIME_WAIT, SocketState.LISTEN, SocketState.ESTABLISHED), q.states());
        assertEquals(List.of(SSH_LISTEN, SSH_IN, HTTPS_OUT), select(q));

        assertEquals(List.of(DNS), select(parse("protocol=UDP")));
        assertEquals(List.of(V6_OUT, MAPPED_IN), select(parse("family=ipv6")));
        assertEquals(List.of(DNS), select(parse("state=unconn")));
        assertEquals(ALL, select(parse("protocol=tcp,udp", "family=ipv4", "family=6")));
    }

    @Test
    void stateNamesAsNetstatSsAndLabelsWriteThem() throws QueryException {
        for (String name : List.of("TIME_WAIT", "time_wait", "time-wait", "Time-Wait")) {
            assertEquals(Set.of(SocketState.TIME_WAIT), parse("state=" + name).states(), name);
        }
        assertEquals(Set.of(SocketState.SYN_RECV), parse("state=syn-recv").states());
        assertEquals(Set.of(SocketState.CLOSE), parse("state=closed").states());
        assertEquals(Set.of(SocketState.LISTEN), parse("state=listening").states());
    }

    @Test
    void portsMatchEitherSideOrOneSide() throws QueryException {
        assertEquals(List.of(SSH_LISTEN, SSH_IN), select(parse("port=22")));
        assertEquals(List.of(HTTPS_OUT, V6_OUT), select(parse("port=443")));
        assertEquals(List.of(SSH_LISTEN, SSH_IN), select(parse("local_port=22")));
        assertEquals(List.of(), select(parse("remote_port=22")));
        assertEquals(List.of(HTTPS_OUT, V6_OUT), select(parse("remote_port=443")));
        assertEquals(List.of(MAPPED_IN), select(parse("remote_port=51000")));
        // port=0 is the wildcard side of listeners and unconnected sockets
        assertEquals(List.of(SSH_LISTEN, DNS), select(parse("remote_port=0")));
    }

    @Test
    void addressMatchesEitherSideAndV4RangesMatchV4MappedAddresses() throws QueryException {
        assertEquals(List.of(SSH_IN), select(parse("address=192.168.0.0/16")));
        assertEquals(List.of(SSH_IN, HTTPS_OUT), select(parse("address=10.0.0.1")));
        assertEquals(List.of(MAPPED_IN, DNS), select(parse("address=127.0.0.0/8")));
        assertEquals(List.of(V6_OUT), select(parse("address=2001:db8::/32")));
        assertEquals(List.of(SSH_LISTEN, SSH_IN, HTTPS_OUT, MAPPED_IN, DNS), select(parse("address=0.0.0.0/0")));
        assertEquals(List.of(V6_OUT, MAPPED_IN), select(parse("address=::/0")));
    }

    @Test
    void conditionsAreAnded() throws QueryException {
        assertEquals(List.of(SSH_IN), select(parse("port=22", "state=established", "address=192.168.1.5")));
        assertEquals(List.of(), select(parse("port=22", "protocol=udp")));
        assertEquals(List.of(V6_OUT), select(parse("remote_port=443", "family=6", "state=established")));
    }

    @Test
    void limitAndPortBounds() throws QueryException {
        assertEquals(0, parse("limit=0").limit());
        assertEquals(500, parse("limit= 500 ").limit());
        assertEquals(0, parse("port=0").port());
        assertEquals(65535, parse("local_port=65535").localPort());
        assertEquals(-1, parse("local_port=65535").remotePort());
    }

    @ParameterizedTest(name = "{0}={1} is refused")
    @CsvSource(delimiter = '|', value = {
        "protocol    | sctp",
        "protocol    | tcp,",
        "family      | ipv5",
        "state       | timewait",
        "state       | unknown",
        "state       | ''",
        "port        | 65536",
        "port        | -1",
        "port        | http",
        "port        | ''",
        "local_port  | 22.0",
        "remote_port | 0x1bb",
        "address     | 10.0.0.0/33",
        "address     | example.com",
        "address     | ''",
        "limit       | -1",
        "limit       | ten",
        "limit       | 99999999999",
        "limit       | ''",
    })
    void aBadValueNamesItsParameter(String name, String value) {
        QueryException e = assertThrows(QueryException.class, () -> parse(name + "=" + value));
        assertEquals(name, e.parameter());
        assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
        assertFalse(e.accepts().isBlank());
    }

    @Test
    void aBadStateListsTheStates() {
        QueryException e = assertThrows(QueryException.class, () -> parse("state=estab,bogus"));
        assertEquals("bad value for parameter 'state': 'bogus'", e.getMessage());
        assertTrue(e.accepts().contains("time_wait") && e.accepts().contains("unconn"), e.accepts());
    }

    @Test
    void anUnknownParameterIsRefusedAndTheKnownOnesListed() {
        QueryException e = assertThrows(QueryException.class, () -> parse("state=listen", "sport=22"));
        assertEquals("sport", e.parameter());
        assertEquals("unknown parameter 'sport'", e.getMessage());
        for (String known : SocketQuery.PARAMETERS) {
            assertTrue(e.accepts().contains(known), e.accepts());
        }
    }

    @Test
    void aSingleValuedParameterGivenTwiceIsRefused() {
        QueryException e = assertThrows(QueryException.class, () -> parse("port=22", "port=80"));
        assertEquals("port", e.parameter());
        assertTrue(e.getMessage().contains("more than once"), e.getMessage());
        assertEquals("limit", assertThrows(QueryException.class, () -> parse("limit=1", "limit=2")).parameter());
    }

    @Test
    void theRecordCopiesItsSets() {
        java.util.EnumSet<SocketState> states = java.util.EnumSet.of(SocketState.LISTEN);
        SocketQuery q = new SocketQuery(Set.of(), Set.of(), states, -1, -1, -1, null, -1);
        states.add(SocketState.ESTABLISHED);
        assertEquals(Set.of(SocketState.LISTEN), q.states());
        assertTrue(q.test(SSH_LISTEN));
        assertFalse(q.test(SSH_IN));
        assertEquals(ep("0.0.0.0", 22), SSH_LISTEN.local());
    }
}
