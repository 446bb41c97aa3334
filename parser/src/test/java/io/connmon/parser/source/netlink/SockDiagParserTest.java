package io.connmon.parser.source.netlink;

import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.FileReport;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;
import io.connmon.parser.model.TcpInfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Parses the dumps captured by {@code capture-netlink.py} in a namespace of their own and checks every socket
 * against {@code ss -tanuieH}, read right after the capture ({@code loopback/ss-tanuieH.txt}).
 */
class SockDiagParserTest {

    static final Path LOOPBACK = SsText.FIXTURES.resolve("loopback");
    static final String[] DUMPS = {"tcp4", "tcp6", "udp4", "udp6"};

    /** Every socket of the four captured dumps, and their reports. */
    static List<SocketRecord> parseAll(List<FileReport> reports) throws IOException {
        CompactSocketList.Builder b = new CompactSocketList.Builder(16);
        int seq = 1000;
        for (String name : DUMPS) {
            SockDiagParser.Dump d = new SockDiagParser.Dump("netlink:" + name,
                    name.startsWith("tcp") ? Protocol.TCP : Protocol.UDP, ++seq);
            int status = SockDiagParser.MORE;
            for (ByteBuffer datagram : SsText.datagrams(LOOPBACK.resolve(name + ".bin"))) {
                assertEquals(SockDiagParser.MORE, status, name + ": datagram after the end");
                status = SockDiagParser.parse(datagram, d, b);
            }
            assertEquals(SockDiagParser.DONE, status, name + " ends with NLMSG_DONE");
            reports.add(d.report());
        }
        return new ArrayList<>(CompactSocketList.of(List.of(b)));
    }

    @Test
    void everySocketAgreesWithSs() throws IOException {
        List<FileReport> reports = new ArrayList<>();
        List<SocketRecord> sockets = parseAll(reports);
        for (FileReport r : reports) {
            assertEquals(0, r.skipped(), r.name() + ": " + r.problems());
            assertFalse(r.failed(), r.name());
        }
        List<String> ss = Files.readAllLines(LOOPBACK.resolve("ss-tanuieH.txt"));
        // ss -e adds ino:N and sk:COOKIE (hex) after the six columns (and a timer column before them when set).
        List<String> expected = new ArrayList<>();
        for (String l : ss) {
            if (l.isBlank() || Character.isWhitespace(l.charAt(0))) {
                continue;
            }
            String[] t = l.trim().split("\\s+");
            String ino = "";
            String sk = "";
            for (String tok : t) {
                ino = tok.startsWith("ino:") ? tok : ino;
                sk = tok.startsWith("sk:") ? tok : sk;
            }
            expected.add(String.join(" ", t[0], t[1], t[2], t[3], t[4], t[5], ino, sk));
        }
        List<String> actual = sockets.stream()
                .map(r -> SsText.line(r) + " ino:" + r.inode() + " sk:" + Long.toHexString(r.cookie()))
                .collect(Collectors.toList());
        assertEquals(expected.stream().sorted().collect(Collectors.toList()),
                actual.stream().sorted().collect(Collectors.toList()));
        assertEquals(19, sockets.size());
    }

    @Test
    void listenersCarryTheirBacklogAndStack() throws IOException {
        List<SocketRecord> sockets = parseAll(new ArrayList<>());
        SocketRecord full = only(sockets, r -> r.state() == SocketState.LISTEN && r.family() == Family.IPV4);
        assertEquals(3, full.receiveQueue(), "accept queue: backlog 2 holds 3");
        assertEquals(2, full.sendQueue(), "the backlog limit");
        assertEquals(-1, full.v6Only());
        assertFalse(full.dualStack());

        SocketRecord dual = only(sockets, r -> r.state() == SocketState.LISTEN && r.localPort() == 44665);
        assertEquals(0, dual.v6Only());
        assertTrue(dual.dualStack());
        assertEquals("*:44665", dual.localText());
        assertEquals("*:*", dual.remoteText());
        assertEquals(16, dual.sendQueue());

        SocketRecord v6 = only(sockets, r -> r.state() == SocketState.LISTEN && r.localPort() == 40531);
        assertEquals(1, v6.v6Only());
        assertFalse(v6.dualStack());
        assertEquals("[::]:40531", v6.localText());
        assertEquals(50823, v6.inode());
        assertTrue(v6.cgroupId() > 0, "CGROUP_ID attribute");

        SocketRecord udp6 = only(sockets, r -> r.protocol() == Protocol.UDP && r.family() == Family.IPV6);
        assertTrue(udp6.dualStack());
        assertEquals("*:60629", udp6.localText());
        SocketRecord udp4 = only(sockets, r -> r.protocol() == Protocol.UDP && r.state() == SocketState.UNCONN
                && r.family() == Family.IPV4);
        assertEquals(832, udp4.receiveQueue());
        assertNull(udp4.tcpInfo(), "UDP has no tcp_info");
    }

    @Test
    void timersAndTcpInfo() throws IOException {
        List<SocketRecord> sockets = parseAll(new ArrayList<>());
        SocketRecord tw = only(sockets, r -> r.state() == SocketState.TIME_WAIT);
        assertEquals(3, tw.timerActive(), "timewait timer");
        assertTrue(tw.expiresMillis() > 58_000 && tw.expiresMillis() <= 60_000, "ss: timewait,59sec: " + tw.expiresMillis());
        assertEquals(0, tw.inode());
        assertEquals(0, tw.uid(), "TIME_WAIT carries no uid");
        assertNull(tw.tcpInfo(), "TIME_WAIT carries no attributes");
        assertEquals(3, tw.cookie());

        SocketRecord synSent = only(sockets, r -> r.state() == SocketState.SYN_SENT && r.localPort() == 50558);
        assertEquals(1, synSent.timerActive(), "retransmit timer: ss timer:(on,792ms,0)");
        // the dump was read a few ms before ss
        assertTrue(synSent.expiresMillis() >= 792 && synSent.expiresMillis() <= 1000, "" + synSent.expiresMillis());
        assertEquals(synSent.expiresMillis() / 10, synSent.timerJiffies(), "in /proc's clock ticks");

        // ss: [::1]:53006 -> [::1]:44665 rtt:0.013/0.006 bytes_acked:6 bytes_received:2 delivery_rate 32768000000bps
        SocketRecord c = only(sockets, r -> r.localPort() == 53006);
        TcpInfo t = c.tcpInfo();
        assertNotNull(t);
        assertEquals(13, t.rttMicros());
        assertEquals(6, t.rttVarMicros());
        assertEquals(0, t.retransmits());
        assertEquals(6, t.bytesAcked());
        assertEquals(2, t.bytesReceived());
        assertEquals(32768000000L / 8, t.deliveryRate(), "bytes per second; ss prints bits");
        assertEquals(0x10, c.cookie());
        assertEquals("[::1]:53006", c.localText());
    }

    @Test
    void bigEndianHostOrderReadsTheSameSockets() throws IOException {
        // Rewrite every host-order field of the captured dumps to big-endian and parse with a big-endian buffer:
        // ports and addresses (network order) must come out the same.
        List<SocketRecord> little = parseAll(new ArrayList<>());
        CompactSocketList.Builder b = new CompactSocketList.Builder(16);
        int seq = 1000;
        for (String name : DUMPS) {
            SockDiagParser.Dump d = new SockDiagParser.Dump(name, name.startsWith("tcp") ? Protocol.TCP : Protocol.UDP,
                    ++seq);
            for (ByteBuffer datagram : SsText.datagrams(LOOPBACK.resolve(name + ".bin"))) {
                SockDiagParser.parse(NetlinkBytes.toBigEndian(datagram), d, b);
            }
            assertEquals(0, d.skipped, name + ": " + d.problems);
        }
        List<SocketRecord> big = new ArrayList<>(CompactSocketList.of(List.of(b)));
        assertEquals(little.size(), big.size());
        for (int i = 0; i < little.size(); i++) {
            SocketRecord l = little.get(i);
            SocketRecord g = big.get(i);
            assertEquals(SsText.line(l), SsText.line(g));
            assertEquals(l.cookie(), g.cookie());
            assertEquals(l.inode(), g.inode());
            assertEquals(l.expiresMillis(), g.expiresMillis());
            assertEquals(l.v6Only(), g.v6Only());
        }
    }

    @Test
    void lengthsPastTheBufferAndZeroLengthAttributesAreSkippedAndCounted() {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        int at = NetlinkBytes.socketMessage(b, 0, 7, 2, 10, 0x7F000001, 80, 1234L);
        // a zero-length attribute after the message's fixed part: the socket is kept, the attribute counted
        b.putShort(at, (short) 0).putShort(at + 2, (short) 11);
        b.putInt(0, at + 4 - 0);
        int second = NetlinkBytes.align(at + 4);
        int end = NetlinkBytes.socketMessage(b, second, 7, 2, 10, 0x7F000001, 81, 1235L);
        // a third message whose length points past the datagram
        b.putInt(end, 1 << 20).putShort(end + 4, (short) 20).putInt(end + 8, 7);
        b.limit(end + 16);
        CompactSocketList.Builder sink = new CompactSocketList.Builder(4);
        SockDiagParser.Dump d = new SockDiagParser.Dump("t", Protocol.TCP, 7);
        assertEquals(SockDiagParser.MORE, SockDiagParser.parse(b, d, sink));
        assertEquals(2, sink.size());
        assertEquals(2, d.skipped, d.problems.toString());
        assertTrue(d.problems.get(0).contains("attribute 11 of length 0"), d.problems.toString());
        assertTrue(d.problems.get(1).contains("length 1048576"), d.problems.toString());
    }

    @Test
    void errorMidDumpKeepsWhatCameBeforeAndEndsTheDump() {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        int at = NetlinkBytes.socketMessage(b, 0, 9, 2, 10, 0x7F000001, 80, 1L);
        b.putInt(at, 36).putShort(at + 4, (short) 2).putInt(at + 8, 9).putInt(at + 16, -105); // NLMSG_ERROR ENOBUFS
        int after = NetlinkBytes.socketMessage(b, at + 36, 9, 2, 10, 0x7F000001, 81, 2L);
        b.limit(after);
        CompactSocketList.Builder sink = new CompactSocketList.Builder(4);
        SockDiagParser.Dump d = new SockDiagParser.Dump("t", Protocol.TCP, 9);
        assertEquals(SockDiagParser.FAILED, SockDiagParser.parse(b, d, sink));
        assertEquals(1, sink.size());
        assertEquals("kernel error errno 105", d.report().error());
    }

    @Test
    void staleSequenceAndUnknownTypesAreSkipped() {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        int at = NetlinkBytes.socketMessage(b, 0, 3, 2, 10, 0x7F000001, 80, 1L); // seq 3: another dump's
        at = NetlinkBytes.socketMessage(b, at, 4, 2, 10, 0x7F000001, 81, 2L);
        b.putInt(at, 16).putShort(at + 4, (short) 99).putInt(at + 8, 4); // unknown type
        b.putInt(at + 16, 20).putShort(at + 20, (short) 3).putInt(at + 24, 4).putInt(at + 32, 0); // DONE
        b.limit(at + 36);
        CompactSocketList.Builder sink = new CompactSocketList.Builder(4);
        SockDiagParser.Dump d = new SockDiagParser.Dump("t", Protocol.TCP, 4);
        assertEquals(SockDiagParser.DONE, SockDiagParser.parse(b, d, sink));
        assertEquals(1, sink.size());
        assertEquals(81, CompactSocketList.of(List.of(sink)).get(0).localPort());
        assertEquals(2, d.skipped);
    }

    private static SocketRecord only(List<SocketRecord> sockets, java.util.function.Predicate<SocketRecord> p) {
        List<SocketRecord> m = sockets.stream().filter(p).collect(Collectors.toList());
        assertEquals(1, m.size(), "matches: " + m);
        return m.get(0);
    }
}
