package io.connmon.exporter;

import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import static io.connmon.exporter.Sockets.EPHEMERAL;
import static io.connmon.exporter.Sockets.ep;
import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static io.connmon.exporter.Sockets.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SocketSummaryTest {

    private static final int ESTAB = SocketState.ESTABLISHED.ordinal();

    private static SocketSummary summary(List<SocketRecord> sockets, MetricsConfig config) {
        return new SocketSummary(sockets, EPHEMERAL, config);
    }

    private static long count(SocketSummary s, Protocol p, Family f, SocketState st) {
        return s.counts[p.ordinal()][f.ordinal()][st.ordinal()];
    }

    @Test
    void countsSocketsByProtocolFamilyAndState() {
        SocketSummary s = summary(List.of(
                listen("0.0.0.0", 22),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "10.0.0.9", 50000),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "10.0.0.9", 50001),
                tcp(SocketState.TIME_WAIT, "2001:db8::1", 40000, "2001:db8::2", 443),
                udp("0.0.0.0", 53),
                udp("::", 5353)), MetricsConfig.DEFAULT);
        assertEquals(1, count(s, Protocol.TCP, Family.IPV4, SocketState.LISTEN));
        assertEquals(2, count(s, Protocol.TCP, Family.IPV4, SocketState.ESTABLISHED));
        assertEquals(1, count(s, Protocol.TCP, Family.IPV6, SocketState.TIME_WAIT));
        assertEquals(0, count(s, Protocol.TCP, Family.IPV6, SocketState.ESTABLISHED));
        assertEquals(1, count(s, Protocol.UDP, Family.IPV4, SocketState.UNCONN));
        assertEquals(1, count(s, Protocol.UDP, Family.IPV6, SocketState.UNCONN));
    }

    @Test
    void aConnectionToAListeningPortIsInboundAndOtherConnectionsAreOutboundByRemotePort() {
        SocketSummary s = summary(List.of(
                listen("0.0.0.0", 8080),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 8080, "10.0.0.9", 50000),
                tcp(SocketState.CLOSE_WAIT, "10.0.0.1", 8080, "10.0.0.9", 50001),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.7", 5432),
                tcp(SocketState.SYN_SENT, "10.0.0.1", 40001, "10.0.0.7", 5432)), MetricsConfig.DEFAULT);
        assertEquals(Set.of("8080"), s.inbound.keySet());
        assertEquals(1, s.inbound.get("8080")[ESTAB]);
        assertEquals(1, s.inbound.get("8080")[SocketState.CLOSE_WAIT.ordinal()]);
        assertEquals(Set.of("5432"), s.outbound.keySet());
        assertEquals(1, s.outbound.get("5432")[ESTAB]);
        assertEquals(1, s.outbound.get("5432")[SocketState.SYN_SENT.ordinal()]);
    }

    /** Port 1000+i has a listener and i+1 established connections, for i from 0 below {@code ports}. */
    private static List<SocketRecord> busyListeners(int ports) {
        List<SocketRecord> out = new ArrayList<>();
        for (int i = 0; i < ports; i++) {
            out.add(listen("0.0.0.0", 1000 + i));
            for (int c = 0; c <= i; c++) {
                out.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 1000 + i, "10.0.0.9", 30000 + c));
            }
        }
        return out;
    }

    @Test
    void inboundPortsBeyondTheCapSumIntoOtherKeepingTheBusiest() {
        SocketSummary s = summary(busyListeners(150), MetricsConfig.DEFAULT);
        assertEquals(101, s.inbound.size());
        Set<String> expected = IntStream.range(50, 150).mapToObj(i -> Integer.toString(1000 + i))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        expected.add(SocketSummary.OTHER);
        assertEquals(expected, s.inbound.keySet());
        // Ports 1000..1049 had 1..50 connections: 1275 in all.
        assertEquals(1275, s.inbound.get("other")[ESTAB]);
        assertEquals(150, s.inbound.get("1149")[ESTAB]);
        assertEquals(51, s.inbound.get("1050")[ESTAB]);
    }

    @Test
    void atTheCapNothingIsSummedIntoOther() {
        SocketSummary s = summary(busyListeners(100), MetricsConfig.DEFAULT);
        assertEquals(100, s.inbound.size());
        assertEquals(false, s.inbound.containsKey("other"));
    }

    @Test
    void anAllowListExportsExactlyItsPortsWhateverTheCap() {
        List<SocketRecord> sockets = new ArrayList<>(busyListeners(3)); // ports 1000, 1001, 1002
        // Port 9999 has no listener, but being allowed makes its connections inbound.
        sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 9999, "10.0.0.9", 40000));
        MetricsConfig config = new MetricsConfig(1, Set.of(1000, 9999), 20, 1000);
        SocketSummary s = summary(sockets, config);
        assertEquals(Set.of("1000", "9999", "other"), s.inbound.keySet());
        assertEquals(1, s.inbound.get("1000")[ESTAB]);
        assertEquals(1, s.inbound.get("9999")[ESTAB]);
        assertEquals(2 + 3, s.inbound.get("other")[ESTAB]);
        assertEquals(Set.of(), s.outbound.keySet());
    }

    @Test
    void anAllowedPortWithoutConnectionsIsStillExportedAtZero() {
        MetricsConfig config = new MetricsConfig(100, Set.of(80, 443), 20, 1000, 20, Set.of(5432));
        SocketSummary s = summary(List.of(listen("0.0.0.0", 443),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 443, "10.0.0.9", 40000)), config);
        assertEquals(Set.of("80", "443"), s.inbound.keySet());
        assertEquals(0, s.inbound.get("80")[ESTAB]);
        assertEquals(1, s.inbound.get("443")[ESTAB]);
        assertEquals(Set.of("5432"), s.outbound.keySet());
        assertEquals(0, s.outbound.get("5432")[ESTAB]);
    }

    @Test
    void outboundKeepsTheTopRemotePortsAndSumsTheRest() {
        List<SocketRecord> sockets = new ArrayList<>();
        int local = 40000;
        for (int i = 0; i < 5; i++) {
            sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", local++, "10.0.0.7", 443));
        }
        for (int i = 0; i < 3; i++) {
            sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", local++, "10.0.0.7", 80));
        }
        // A tie between 5432 and 6379: the lower port ranks first.
        sockets.add(tcp(SocketState.TIME_WAIT, "10.0.0.1", local++, "10.0.0.8", 6379));
        sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", local++, "10.0.0.8", 5432));
        SocketSummary s = summary(sockets, new MetricsConfig(100, Set.of(), 3, 1000));
        assertEquals(List.of("443", "80", "5432", "other"), new ArrayList<>(s.outbound.keySet()));
        assertEquals(5, s.outbound.get("443")[ESTAB]);
        assertEquals(1, s.outbound.get("other")[SocketState.TIME_WAIT.ordinal()]);
        assertEquals(0, s.outbound.get("other")[ESTAB]);

        SocketSummary none = summary(sockets, new MetricsConfig(100, Set.of(), 0, 1000));
        assertEquals(Set.of("other"), none.outbound.keySet());
        assertEquals(9, none.outbound.get("other")[ESTAB]);
    }

    @Test
    void reusePortListenersFoldIntoOneAndUdpListenersNeedAPort() {
        SocketSummary s = summary(List.of(
                listen("0.0.0.0", 443, 3, 511),
                listen("0.0.0.0", 443, 4, 511),
                listen("::", 443, 0, 511),
                udp("127.0.0.53", 53),
                SocketRecord.of(Protocol.UDP, SocketState.UNCONN, ep("0.0.0.0", 0), ep("0.0.0.0", 0), 0, 0)),
                MetricsConfig.DEFAULT);
        assertEquals(3, s.listeners.size());
        SocketSummary.Listener v4 = s.listeners.get(0);
        assertEquals(Protocol.TCP, v4.protocol);
        assertEquals(ep("0.0.0.0", 443), v4.local);
        assertEquals(2, v4.sockets);
        assertEquals(7, v4.acceptQueue);
        assertEquals(1022, v4.backlog);
        assertEquals(ep("::", 443), s.listeners.get(1).local);
        assertEquals(Protocol.UDP, s.listeners.get(2).protocol);
        assertEquals(ep("127.0.0.53", 53), s.listeners.get(2).local);
        assertEquals(0, s.listenersDropped);
    }

    @Test
    void listenersBeyondTheCapAreDroppedKeepingTheFullestAcceptQueues() {
        List<SocketRecord> sockets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sockets.add(listen("0.0.0.0", 2000 + i, i, 128));
        }
        SocketSummary s = summary(sockets, new MetricsConfig(100, Set.of(), 20, 3));
        assertEquals(List.of(2009, 2008, 2007),
                s.listeners.stream().map(l -> l.local.port()).collect(Collectors.toList()));
        assertEquals(7, s.listenersDropped);
    }

    @Test
    void queueBytesLeaveListenersOut() {
        SocketSummary s = summary(List.of(
                listen("0.0.0.0", 80, 5, 4096),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 80, "10.0.0.9", 50000, 100, 7),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 41000, "10.0.0.9", 443, 20, 3),
                SocketRecord.of(Protocol.UDP, SocketState.ESTABLISHED, ep("10.0.0.1", 41001), ep("10.0.0.2", 53),
                        11, 13)), MetricsConfig.DEFAULT);
        assertArrayEquals(new long[] {120, 11}, s.sendQueueBytes);
        assertArrayEquals(new long[] {10, 13}, s.receiveQueueBytes);
    }

    @Test
    void ephemeralPortsCountDistinctPortsInTheRangeAndTheBusiestDestination() {
        SocketSummary s = summary(List.of(
                // Three ports towards 10.0.0.7:443, one of them in TIME_WAIT, one shared with a v6 socket.
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.7", 443),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40001, "10.0.0.7", 443),
                tcp(SocketState.TIME_WAIT, "10.0.0.1", 40002, "10.0.0.7", 443),
                tcp(SocketState.ESTABLISHED, "2001:db8::1", 40000, "2001:db8::7", 443),
                // Two towards 10.0.0.8:5432.
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 50000, "10.0.0.8", 5432),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 50001, "10.0.0.8", 5432),
                // Outside the range: not counted.
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 1023, "10.0.0.9", 22),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 61000, "10.0.0.9", 22),
                // A UDP socket does not use a TCP ephemeral port.
                SocketRecord.of(Protocol.UDP, SocketState.ESTABLISHED, ep("10.0.0.1", 45000), ep("10.0.0.2", 53),
                        0, 0)), MetricsConfig.DEFAULT);
        assertEquals(28232, s.ephemeralRange.size());
        assertEquals(5, s.ephemeralUsed); // 40000, 40001, 40002, 50000, 50001
        assertEquals(3, s.ephemeralMaxPerDestination);
        assertEquals(ep("10.0.0.7", 443), s.ephemeralBusiestDestination);
    }

    @Test
    void theBusiestDestinationAmongManyGoesToTheLowerAddressThenPortIpv4First() {
        List<SocketRecord> sockets = new ArrayList<>();
        int local = 33000;
        // 600 destinations with 2 ephemeral ports each (more than the table starts with), listed highest first
        for (int d = 599; d >= 0; d--) {
            for (int k = 0; k < 2; k++) {
                sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", local++, "10.1." + d / 256 + "." + d % 256,
                        9000 + d % 3));
            }
        }
        // three tied at 3: an IPv6 one, and two IPv4 ones on one address, the higher port first
        for (String[] d : new String[][] {{"2001:db8::1", "80"}, {"10.2.0.1", "443"}, {"10.2.0.1", "80"}}) {
            for (int k = 0; k < 3; k++) {
                sockets.add(tcp(SocketState.ESTABLISHED, d[0].contains(":") ? "2001:db8::9" : "10.0.0.1", local++,
                        d[0], Integer.parseInt(d[1])));
            }
        }
        SocketSummary s = summary(sockets, MetricsConfig.DEFAULT);
        assertEquals(3, s.ephemeralMaxPerDestination);
        assertEquals(ep("10.2.0.1", 80), s.ephemeralBusiestDestination);
        assertEquals(1209, s.ephemeralUsed);

        // the next summary starts from nothing: one destination with one port
        SocketSummary next = summary(List.of(tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.9.9.9", 5432)),
                MetricsConfig.DEFAULT);
        assertEquals(1, next.ephemeralMaxPerDestination);
        assertEquals(ep("10.9.9.9", 5432), next.ephemeralBusiestDestination);
        // and an IPv6 destination wins a tie only against a higher IPv6 one
        SocketSummary v6 = summary(List.of(
                tcp(SocketState.ESTABLISHED, "2001:db8::9", 40000, "2001:db8::2", 80),
                tcp(SocketState.ESTABLISHED, "2001:db8::9", 40001, "2001:db8::1", 80)), MetricsConfig.DEFAULT);
        assertEquals(ep("2001:db8::1", 80), v6.ephemeralBusiestDestination);
    }

    @Test
    void withoutARangeNoEphemeralPortIsCounted() {
        SocketSummary s = new SocketSummary(
                List.of(tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.7", 443)), null,
                MetricsConfig.DEFAULT);
        assertNull(s.ephemeralRange);
        assertEquals(0, s.ephemeralUsed);
        assertEquals(0, s.ephemeralMaxPerDestination);
        assertNull(s.ephemeralBusiestDestination);
    }

    @Test
    void aListenerListedAfterItsConnectionsStillMakesThemInbound() {
        // A dump need not list a listener first: an IPv4 connection to a dual-stack [::]:8080 comes before it.
        SocketSummary s = summary(List.of(
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 8080, "10.0.0.9", 50000),
                tcp(SocketState.TIME_WAIT, "10.0.0.1", 8080, "10.0.0.9", 50001),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.7", 5432),
                listen("::", 8080)), MetricsConfig.DEFAULT);
        assertEquals(Set.of("8080"), s.inbound.keySet());
        assertEquals(1, s.inbound.get("8080")[ESTAB]);
        assertEquals(1, s.inbound.get("8080")[SocketState.TIME_WAIT.ordinal()]);
        assertEquals(Set.of("5432"), s.outbound.keySet());
        assertEquals(List.of(ep("::", 8080)), s.tcpListenSockets.stream().map(SocketRecord::local).toList());

        // a late listener on an ephemeral port: its earlier connection is not an ephemeral port towards its peer
        SocketSummary late = summary(List.of(
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.9", 5000),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40001, "10.0.0.7", 443),
                listen("::", 40000)), MetricsConfig.DEFAULT);
        assertEquals(Set.of("40000"), late.inbound.keySet());
        assertEquals(Set.of("443"), late.outbound.keySet());
        assertEquals(1, late.ephemeralMaxPerDestination);
        assertEquals(ep("10.0.0.7", 443), late.ephemeralBusiestDestination);
        assertEquals(2, late.ephemeralUsed);
    }

    @Test
    void summariesOneAfterAnotherDoNotCarryPortsOver() {
        // The port indexes are reused between summaries: a port of the first must not leak into the second.
        summary(List.of(
                listen("0.0.0.0", 8080),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 8080, "10.0.0.9", 50000),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40000, "10.0.0.7", 5432)), MetricsConfig.DEFAULT);
        SocketSummary s = summary(List.of(
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40001, "10.0.0.7", 6379),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 40002, "10.0.0.7", 6379),
                tcp(SocketState.SYN_SENT, "10.0.0.1", 40003, "10.0.0.7", 5432)), MetricsConfig.DEFAULT);
        assertEquals(Set.of(), s.inbound.keySet());
        assertEquals(Set.of("6379", "5432"), s.outbound.keySet());
        assertEquals(2, s.outbound.get("6379")[ESTAB]);
        assertEquals(0, s.outbound.get("6379")[SocketState.SYN_SENT.ordinal()]);
        assertEquals(1, s.outbound.get("5432")[SocketState.SYN_SENT.ordinal()]);
        assertEquals(2, s.outboundRows.size());
        assertEquals(3, s.ephemeralUsed); // 40001 to 40003: the first summary's 40000 is not carried over
    }

    @Test
    void capsMustNotBeNegativeAndAllowedPortsMustBePorts() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new MetricsConfig(-1, Set.of(), 20, 1000));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new MetricsConfig(100, Set.of(0), 20, 1000));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new MetricsConfig(100, Set.of(65536), 20, 1000));
    }
}
