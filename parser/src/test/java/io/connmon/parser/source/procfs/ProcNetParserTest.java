package io.connmon.parser.source.procfs;

import io.connmon.parser.Fixtures;
import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One line at a time, table-driven. The good lines are verbatim from the captured fixture ({@code proc/net/}),
 * each with what {@code ss -tan}/{@code ss -uan} printed for it at capture time.
 */
class ProcNetParserTest {

    // proc/net/tcp line 14: ss printed "LAST-ACK 1 2174977 10.254.222.37:8080 10.254.222.37:44870"
    static final String TCP_LAST_ACK = "  13: 25DEFE0A:1F90 25DEFE0A:AF46 09 00213001:00000001 04:00000037 00000000"
            + "     0        1 113920 2 00000000c07efc5c 20 4 0 12 -1                    \n";

    private static SocketRecord parseOk(Protocol p, Family f, ByteOrder order, String line) {
        ProcNetParser parser = new ProcNetParser(p, f, order);
        byte[] b = Fixtures.bytes(line);
        int next = parser.parse(b, 0, b.length);
        assertNull(parser.error(), "error");
        assertEquals(b.length, next, "index past the line");
        assertNotNull(parser.record());
        return parser.record();
    }

    static Stream<Arguments> goodLines() {
        return Stream.of(
                Arguments.of(Named.of("tcp LISTEN, wildcard remote", "tcp"),
                        "   0: 25DEFE0A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0"
                                + " 113894 2 00000000e6aae2f8 100 0 0 10 0                    \n",
                        "tcp LISTEN 10.254.222.37:8080 0.0.0.0:*"),
                Arguments.of(Named.of("tcp SYN_SENT from an address nobody owns", "tcp"),
                        "   3: 63DEFE0A:A24D 25DEFE0A:1F90 02 00000001:00000000 01:00000031 00000000     0        0"
                                + " 114001 2 00000000afcdfd24 100 0 0 10 -1                   \n",
                        "tcp SYN_SENT 10.254.222.99:41549 10.254.222.37:8080"),
                Arguments.of(Named.of("tcp SYN_RECV request socket: short line, inode 0", "tcp"),
                        "   7: 25DEFE0A:1F90 63DEFE0A:A24D 03 00000000:00000000 01:00000031 00000000     0        0"
                                + " 0 0 000000002edb63a9                                      \n",
                        "tcp SYN_RECV 10.254.222.37:8080 10.254.222.99:41549"),
                Arguments.of(Named.of("tcp TIME_WAIT: short line", "tcp"),
                        "   9: 25DEFE0A:AF30 25DEFE0A:1F90 06 00000000:00000000 03:000016F1 00000000     0        0"
                                + " 0 3 000000005fedcda4                                      \n",
                        "tcp TIME_WAIT 10.254.222.37:44848 10.254.222.37:8080"),
                Arguments.of(Named.of("tcp loopback listener", "tcp"),
                        "   2: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0"
                                + " 113900 1 000000000cf84496 100 0 0 10 0                    \n",
                        "tcp LISTEN 127.0.0.1:6379 0.0.0.0:*"),
                Arguments.of(Named.of("tcp6 CLOSING, asymmetric address", "tcp6"),
                        "  10: B80D012078563412F0DEBC9A68245713:A8FA B80D012078563412F0DEBC9A68245713:08AE 0B"
                                + " 00213001:00000001 04:0000000B 00000000     0        0 113999 2 00000000fbc8ab9a"
                                + " 20 0 0 12 -1\n",
                        "tcp CLOSING [2001:db8:1234:5678:9abc:def0:1357:2468]:43258"
                                + " [2001:db8:1234:5678:9abc:def0:1357:2468]:2222"),
                Arguments.of(Named.of("tcp6 v4-mapped on a dual-stack listener", "tcp6"),
                        "   4: 0000000000000000FFFF000025DEFE0A:20FB 0000000000000000FFFF000025DEFE0A:A5C6 01"
                                + " 00000000:00000000 00:00000000 00000000     0        0 113906 1 0000000052d2897b"
                                + " 20 0 0 10 -1\n",
                        "tcp ESTABLISHED [::ffff:10.254.222.37]:8443 [::ffff:10.254.222.37]:42438"),
                Arguments.of(Named.of("tcp6 dual-stack listener: ss prints *:8443", "tcp6"),
                        "   0: 00000000000000000000000000000000:20FB 00000000000000000000000000000000:0000 0A"
                                + " 00000000:00000000 00:00000000 00000000     0        0 113896 1 00000000b0a8a2b4"
                                + " 100 0 0 10 0\n",
                        "tcp LISTEN [::]:8443 [::]:*"),
                Arguments.of(Named.of("tcp6 ::1 listener", "tcp6"),
                        "   3: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A"
                                + " 00000000:00000000 00:00000000 00000000     0        0 113899 1 000000001eb0c3bd"
                                + " 100 0 0 10 0\n",
                        "tcp LISTEN [::1]:631 [::]:*"),
                Arguments.of(Named.of("udp unconnected, 5-digit slot, drops column", "udp"),
                        "  701: 25DEFE0A:14E9 00000000:0000 07 00000000:00000340 00:00000000 00000000     0        0"
                                + " 114004 2 00000000d380eab5 0        \n",
                        "udp UNCONN 10.254.222.37:5353 0.0.0.0:*"),
                Arguments.of(Named.of("udp connected", "udp"),
                        " 5257: 25DEFE0A:A6B5 25DEFE0A:14E9 01 00000000:00000000 00:00000000 00000000     0        0"
                                + " 114006 2 00000000f7a6cde6 0        \n",
                        "udp ESTABLISHED 10.254.222.37:42677 10.254.222.37:5353"),
                Arguments.of(Named.of("udp6 v4-mapped connected", "udp6"),
                        " 7563: 0000000000000000FFFF000025DEFE0A:AFB7 0000000000000000FFFF000025DEFE0A:14E9 01"
                                + " 00000000:00000000 00:00000000 00000000     0        0 114010 2 000000008214406c 0\n",
                        "udp ESTABLISHED [::ffff:10.254.222.37]:44983 [::ffff:10.254.222.37]:5353"),
                Arguments.of(Named.of("lower-case hex is accepted", "tcp"),
                        "   0: 25defe0a:1f90 00000000:0000 0a 00000000:00000000 00:00000000 00000000     0        0"
                                + " 113894 2 00000000e6aae2f8 100 0 0 10 0\n",
                        "tcp LISTEN 10.254.222.37:8080 0.0.0.0:*"),
                Arguments.of(Named.of("narrow columns, single spaces", "tcp"),
                        "0: 25DEFE0A:1F90 00000000:0000 0A 0:0 0:0 0 0 0 113894 2 0 100 0 0 10 0\n",
                        "tcp LISTEN 10.254.222.37:8080 0.0.0.0:*"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goodLines")
    void parsesGoodLines(String table, String line, String expected) {
        Protocol p = table.startsWith("tcp") ? Protocol.TCP : Protocol.UDP;
        Family f = table.endsWith("6") ? Family.IPV6 : Family.IPV4;
        SocketRecord r = parseOk(p, f, ByteOrder.LITTLE_ENDIAN, line);
        assertEquals(expected, r.toString());
        assertEquals(f, r.family());
        // The same line as a big-endian host prints it gives the same record.
        assertEquals(r, parseOk(p, f, ByteOrder.BIG_ENDIAN, toBigEndian(line)));
    }

    @Test
    void keepsEveryColumn() {
        SocketRecord r = parseOk(Protocol.TCP, Family.IPV4, ByteOrder.LITTLE_ENDIAN, TCP_LAST_ACK);
        assertEquals(new SocketRecord(Protocol.TCP, Family.IPV4, SocketState.LAST_ACK,
                Endpoint.ipv4(0x0AFEDE25, 8080), Endpoint.ipv4(0x0AFEDE25, 44870),
                2174977, 1, 0, 113920, 4, 0x37, 0), r);
    }

    @Test
    void keepsLargeValues() {
        String line = "   1: 0100007F:0016 0100007F:D431 01 FFFFFFFF:7FFFFFFF 02:7FFFFFFFFFFFFFF0 0000FFFF"
                + " 4294967294        0 18446744 1 0000000000000000 100 0 0 10 0\n";
        SocketRecord r = parseOk(Protocol.TCP, Family.IPV4, ByteOrder.LITTLE_ENDIAN, line);
        assertEquals(0xFFFFFFFFL, r.sendQueue());
        assertEquals(0x7FFFFFFFL, r.receiveQueue());
        assertEquals(4294967294L, r.uid());
        assertEquals(0x7FFFFFFFFFFFFFF0L, r.timerJiffies());
        assertEquals(0xFFFF, r.retransmits());
        assertEquals(18446744, r.inode());
        assertEquals("127.0.0.1:22", r.local().toString());
        assertEquals("127.0.0.1:54321", r.remote().toString());
    }

    @Test
    void wrongByteOrderGivesOtherAddresses() {
        // Proof that the order matters: read with the wrong one, 10.254.222.37 comes out backwards.
        SocketRecord r = parseOk(Protocol.TCP, Family.IPV4, ByteOrder.BIG_ENDIAN, TCP_LAST_ACK);
        assertEquals("37.222.254.10:8080", r.local().toString());
        String v6 = "   1: B80D012078563412F0DEBC9A68245713:08AE 00000000000000000000000000000000:0000 0A"
                + " 00000000:00000000 00:00000000 00000000     0        0 113898 1 000000003db41b9a 100 0 0 10 0\n";
        assertEquals("[b80d:120:7856:3412:f0de:bc9a:6824:5713]:2222",
                parseOk(Protocol.TCP, Family.IPV6, ByteOrder.BIG_ENDIAN, v6).local().toString());
        assertEquals("[2001:db8:1234:5678:9abc:def0:1357:2468]:2222",
                parseOk(Protocol.TCP, Family.IPV6, ByteOrder.LITTLE_ENDIAN, v6).local().toString());
    }

    /** A line with {@code from} replaced by {@code to}, and the error that must name the field. */
    static Stream<Arguments> badLines() {
        return Stream.of(
                bad("parse sl - no colon", "  13:", "  13 ", "sl: expected a slot number and ':', got '13'"),
                bad("parse sl - not a number", "  13:", "  1x:", "sl: expected a slot number and ':', got '1x:'"),
                bad("parse local_address - not a valid hex", "25DEFE0A:1F90", "25DEFEXA:1F90",
                        "local_address: expected 8 hex digits, got '25DEFEXA:1F90'"),
                bad("parse local_address - too short", "25DEFE0A:1F90", "25DEFE:1F90",
                        "local_address: expected 8 hex digits, got '25DEFE:1F90'"),
                bad("parse local_address - too long", "25DEFE0A:1F90", "25DEFE0A0:1F90",
                        "local_address: expected 8 hex digits and ':', got '25DEFE0A0:1F90'"),
                bad("parse local_address - IPv6 in an IPv4 table", "25DEFE0A:1F90",
                        "0000000000000000FFFF000025DEFE0A:1F90", "local_address: expected 8 hex digits and ':'"),
                bad("parse local_address - port not a valid hex", "25DEFE0A:1F90", "25DEFE0A:1F9G",
                        "local_address: expected a port of 4 hex digits, got '25DEFE0A:1F9G'"),
                bad("parse local_address - port too short", "25DEFE0A:1F90", "25DEFE0A:1F9",
                        "local_address: expected a port of 4 hex digits"),
                bad("parse local_address - port too long", "25DEFE0A:1F90", "25DEFE0A:1F900",
                        "local_address: expected a port of 4 hex digits, got '25DEFE0A:1F900'"),
                bad("parse rem_address - not a valid hex", "25DEFE0A:AF46", "25DEFE0A:AF4@",
                        "rem_address: expected a port of 4 hex digits, got '25DEFE0A:AF4@'"),
                bad("parse rem_address - missing", " 25DEFE0A:AF46 09", " 09",
                        "rem_address: expected 8 hex digits, got '09'"),
                bad("parse st - not a valid hex", " 09 ", " 0Z ", "st: expected 1 or 2 hex digits, got '0Z'"),
                bad("parse st - three digits", " 09 ", " 009 ", "st: expected 1 or 2 hex digits, got '009'"),
                bad("parse tx_queue - not a valid hex", "00213001:00000001", "0021300G:00000001",
                        "tx_queue: expected hex digits and ':', got '0021300G:00000001'"),
                bad("parse tx_queue - no colon", "00213001:00000001", "00213001 00000001",
                        "tx_queue: expected hex digits and ':', got '00213001'"),
                bad("parse rx_queue - not a valid hex", "00213001:00000001", "00213001:0000000G",
                        "rx_queue: expected hex digits, got '0000000G'"),
                bad("parse rx_queue - wider than 64 bits", "00213001:00000001", "00213001:00000000000000001",
                        "rx_queue: expected hex digits, got '00000000000000001'"),
                bad("parse tr - not a valid hex", "04:00000037", "0x:00000037",
                        "tr: expected 1 or 2 hex digits and ':', got '0x:00000037'"),
                bad("parse tm->when - not a valid hex", "04:00000037", "04:0000003?",
                        "tm->when: expected hex digits, got '0000003?'"),
                bad("parse retrnsmt - not a valid hex", "00000037 00000000", "00000037 0000000-",
                        "retrnsmt: expected hex digits, got '0000000-'"),
                bad("parse uid - not a decimal", "     0        1 ", "     0x       1 ",
                        "uid: expected a decimal number, got '0x'"),
                bad("parse uid - hex is not decimal", "     0        1 ", "     A        1 ",
                        "uid: expected a decimal number, got 'A'"),
                bad("parse timeout - not a decimal", "     0        1 ", "     0        1a ",
                        "timeout: expected a decimal number, got '1a'"),
                bad("parse inode - not a decimal", " 113920 ", " 11392O ",
                        "inode: expected a decimal number, got '11392O'"),
                bad("parse inode - longer than 19 digits", " 113920 ", " 11392000000000000000 ",
                        "inode: expected a decimal number up to 9223372036854775807, got '11392000000000000000'"),
                bad("missing columns - nothing after uid", "        1 113920 2 00000000c07efc5c 20 4 0 12 -1"
                        + "                    ", "", "timeout: expected a decimal number, got ''"),
                bad("missing columns - no inode", " 113920 2 00000000c07efc5c 20 4 0 12 -1"
                        + "                    ", "", "inode: expected a decimal number, got ''"),
                bad("nothing after the inode", " 2 00000000c07efc5c 20 4 0 12 -1", "",
                        "columns: expected 12 or 17 in a tcp line, got 10"),
                bad("truncated line", TCP_LAST_ACK.substring(40, TCP_LAST_ACK.length() - 1), "",
                        "tx_queue: expected hex digits and ':', got '002'"),
                bad("a tab between columns", " 09 ", "\t09 ", "rem_address: expected a port of 4 hex digits"),
                bad("control byte", " 09 ", " \u000109 ", "st: expected 1 or 2 hex digits, got '\\x0109'"),
                bad("garbage", TCP_LAST_ACK.substring(0, TCP_LAST_ACK.length() - 1), "not a socket",
                        "sl: expected a slot number and ':', got 'not'"));
    }

    private static Arguments bad(String name, String from, String to, String error) {
        assertTrue(TCP_LAST_ACK.contains(from), name);
        return Arguments.of(Named.of("error case - " + name, TCP_LAST_ACK.replace(from, to)), error);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badLines")
    void rejectsBadLinesNamingTheField(String line, String error) {
        ProcNetParser parser = new ProcNetParser(Protocol.TCP, Family.IPV4, ByteOrder.LITTLE_ENDIAN);
        byte[] b = Fixtures.bytes(line + "   1: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1 1 0 100 0 0 10 0\n");
        int next = parser.parse(b, 0, b.length);
        assertNull(parser.record());
        assertNotNull(parser.error());
        assertTrue(parser.error().startsWith(error), () -> "error was: " + parser.error());
        // The bad line costs itself only: the parser stops at its end, and the next line parses.
        assertEquals(line.length(), next);
        assertEquals(b.length, parser.parse(b, next, b.length));
        assertEquals("tcp LISTEN 127.0.0.1:22 0.0.0.0:*", String.valueOf(parser.record()));
    }

    @Test
    void asksForMoreWithoutANewline() {
        ProcNetParser parser = new ProcNetParser(Protocol.TCP, Family.IPV4, ByteOrder.LITTLE_ENDIAN);
        byte[] b = Fixtures.bytes(TCP_LAST_ACK);
        for (int cut = 0; cut < b.length; cut++) {
            assertEquals(ProcNetParser.NEED_MORE, parser.parse(b, 0, cut), "cut at " + cut);
            assertNull(parser.record(), "cut at " + cut);
        }
        assertEquals(b.length, parser.parse(b, 0, b.length));
        assertNotNull(parser.record());
    }

    @Test
    void shortLastLineIsRejectedNotSkippedSilently() {
        // A line that ends inside its address: the parser must reach its newline and report it.
        ProcNetParser parser = new ProcNetParser(Protocol.TCP, Family.IPV6, ByteOrder.LITTLE_ENDIAN);
        byte[] b = Fixtures.bytes("   3: 0000\n");
        assertEquals(b.length, parser.parse(b, 0, b.length));
        assertEquals("local_address: expected 32 hex digits, got '0000'", parser.error());
    }

    @Test
    void udpTableGivesUdpStates() {
        String line = "  701: 25DEFE0A:14E9 00000000:0000 0A 00000000:00000340 00:00000000 00000000     0        0"
                + " 114004 2 00000000d380eab5 0\n";
        assertEquals(SocketState.UNKNOWN, parseOk(Protocol.UDP, Family.IPV4, ByteOrder.LITTLE_ENDIAN, line).state());
        String tcp = line.replace(" 0\n", " 0 0 0 10 0\n"); // the same with TCP's columns
        assertEquals(SocketState.LISTEN, parseOk(Protocol.TCP, Family.IPV4, ByteOrder.LITTLE_ENDIAN, tcp).state());
    }

    /** Parses one line with the fast path on, then with the general parser alone: both must agree. */
    private static ProcNetParser parseBoth(Protocol p, Family f, String line) {
        byte[] b = Fixtures.bytes(line);
        ProcNetParser fast = new ProcNetParser(p, f, ByteOrder.LITTLE_ENDIAN);
        ProcNetParser general = new ProcNetParser(p, f, ByteOrder.LITTLE_ENDIAN).withoutFastPath();
        int next = fast.parse(b, 0, b.length);
        assertEquals(next, general.parse(b, 0, b.length), line);
        assertEquals(fast.record(), general.record(), line);
        assertEquals(fast.error(), general.error(), line);
        return fast;
    }

    @ParameterizedTest(name = "inode {0}")
    @ValueSource(strings = {"9223372036854775808", "9999999999999999999", "18446744073709551615"})
    void inodeBeyondTheLongRangeIsRejectedNamingFieldAndValue(String inode) {
        // The kernel prints an unsigned long; past Long.MAX_VALUE it is no real inode, and must not wrap negative.
        ProcNetParser p = parseBoth(Protocol.TCP, Family.IPV4, TCP_LAST_ACK.replace(" 113920 ", " " + inode + " "));
        assertNull(p.record());
        assertEquals("inode: expected a decimal number up to 9223372036854775807, got '" + inode + "'", p.error());
    }

    @Test
    void inodeAtTheTopOfTheLongRangeIsKept() {
        ProcNetParser p = parseBoth(Protocol.TCP, Family.IPV4,
                TCP_LAST_ACK.replace(" 113920 ", " 9223372036854775807 "));
        assertEquals(Long.MAX_VALUE, p.record().inode());
    }

    @Test
    void uidBeyond32BitsIsRejected() {
        ProcNetParser p = parseBoth(Protocol.TCP, Family.IPV4,
                TCP_LAST_ACK.replace("     0        1 ", " 4294967296        1 "));
        assertNull(p.record());
        assertEquals("uid: expected a decimal number up to 4294967295, got '4294967296'", p.error());
    }

    // The kernel's layouts (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c, net/ipv4/udp.c, net/ipv6/datagram.c).
    static final String TCP_TIME_WAIT = "   9: 25DEFE0A:AF30 25DEFE0A:1F90 06 00000000:00000000 03:000016F1 00000000"
            + "     0        0 0 3 000000005fedcda4                                      \n";
    static final String UDP = "  701: 25DEFE0A:14E9 00000000:0000 07 00000000:00000340 00:00000000 00000000"
            + "     0        0 114004 2 00000000d380eab5 0        \n";
    static final String UDP6 = "  703: 00000000000000000000000000000000:14EB 00000000000000000000000000000000:0000"
            + " 07 00000000:00000000 00:00000000 00000000     0        0 114009 2 00000000cbe1c8b8 0\n";
    static final String TCP6 = "   4: 0000000000000000FFFF000025DEFE0A:20FB 0000000000000000FFFF000025DEFE0A:A5C6 01"
            + " 00000000:00000000 00:00000000 00000000     0        0 113906 1 0000000052d2897b 20 0 0 10 -1\n";

    static Stream<Arguments> linesWithAColumnMissing() {
        Stream.Builder<Arguments> out = Stream.builder();
        String[][] tables = {{"tcp", TCP_LAST_ACK}, {"tcp", TCP_TIME_WAIT}, {"tcp6", TCP6}, {"udp", UDP},
            {"udp6", UDP6}};
        String[] names = {"retrnsmt", "uid", "timeout", "inode"};
        for (String[] t : tables) {
            String line = t[1];
            // The columns after tm->when (the 6th): retrnsmt, uid, timeout, inode, each dropped in turn.
            String[] cols = line.trim().split(" +");
            for (int c = 0; c < names.length; c++) {
                StringBuilder sb = new StringBuilder(" ");
                for (int i = 0; i < cols.length; i++) {
                    if (i != 6 + c) {
                        sb.append(' ').append(cols[i]);
                    }
                }
                out.add(Arguments.of(Named.of(t[0] + " without " + names[c], t[0]), sb.append('\n').toString()));
            }
            // And one trailing column too many.
            out.add(Arguments.of(Named.of(t[0] + " with a column too many", t[0]),
                    line.substring(0, line.length() - 1) + " 7\n"));
        }
        return out.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("linesWithAColumnMissing")
    void aColumnMissingOrExtraIsRejectedNotShifted(String table, String line) {
        Protocol p = table.startsWith("tcp") ? Protocol.TCP : Protocol.UDP;
        Family f = table.endsWith("6") ? Family.IPV6 : Family.IPV4;
        ProcNetParser parser = parseBoth(p, f, line);
        assertNull(parser.record(), () -> "accepted: " + parser.record());
        assertNotNull(parser.error());
    }

    @Test
    void aColumnMissingSaysHowManyThereAre() {
        String line = TCP_LAST_ACK.replace(" 00000000     0 ", "     0 ");
        assertEquals("columns: expected 12 or 17 in a tcp line, got 16", parseBoth(Protocol.TCP, Family.IPV4, line)
                .error());
        String udp = UDP.replace(" 00000000d380eab5 0 ", " 00000000d380eab5 ");
        assertEquals("columns: expected 13 in a udp line, got 12", parseBoth(Protocol.UDP, Family.IPV4, udp)
                .error());
    }

    @Test
    void theKernelsLayoutsParse() {
        for (String[] t : new String[][] {{"tcp", TCP_LAST_ACK}, {"tcp", TCP_TIME_WAIT}, {"tcp6", TCP6},
            {"udp", UDP}, {"udp6", UDP6}}) {
            Protocol p = t[0].startsWith("tcp") ? Protocol.TCP : Protocol.UDP;
            Family f = t[0].endsWith("6") ? Family.IPV6 : Family.IPV4;
            assertNotNull(parseBoth(p, f, t[1]).record(), t[1]);
        }
    }

    @Test
    void aBugInTheParserCostsItsLineAndReadsAsAnInternalError() {
        // A caller's wrong limit (past the array) makes the parser itself fail: the line is lost, the error
        // says so in words the fuzz test can look for, and nothing is thrown.
        ProcNetParser parser = new ProcNetParser(Protocol.TCP, Family.IPV4, ByteOrder.LITTLE_ENDIAN);
        byte[] b = Fixtures.bytes("   0: 25DEFE0A:1F\n");
        assertEquals(b.length, parser.parse(b, 0, 1000));
        assertNull(parser.record());
        assertTrue(parser.error().startsWith("internal error: java.lang.ArrayIndexOutOfBoundsException"),
                parser.error());
    }

    /** Rewrites the address columns of a little-endian line as a big-endian host prints them. */
    static String toBigEndian(String line) {
        StringBuilder sb = new StringBuilder(line);
        int colon = line.indexOf(':');
        int at = colon + 1;
        for (int col = 0; col < 2; col++) {
            while (sb.charAt(at) == ' ') {
                at++;
            }
            int end = sb.indexOf(":", at);
            for (int w = at; w + 8 <= end; w += 8) {
                String word = sb.substring(w, w + 8);
                sb.replace(w, w + 8, word.substring(6, 8) + word.substring(4, 6) + word.substring(2, 4)
                        + word.substring(0, 2));
            }
            at = end + 5;
        }
        return sb.toString();
    }
}
