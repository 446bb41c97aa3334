package io.connmon.exporter;

import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import static io.connmon.exporter.Sockets.listen;
import static io.connmon.exporter.Sockets.tcp;
import static io.connmon.exporter.Sockets.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class NetstatTableTest {

    private static String render(List<SocketRecord> sockets, Predicate<SocketRecord> filter, int limit, int[] rows) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        rows[0] = NetstatTable.write(sockets, filter, limit, out);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void looksLikeNetstatTan() {
        int[] rows = new int[1];
        String text = render(List.of(
                listen("127.0.0.1", 9469, 0, 64),
                tcp(SocketState.ESTABLISHED, "10.0.0.1", 22, "192.168.1.5", 50000, 36, 0),
                tcp(SocketState.TIME_WAIT, "::1", 22, "::1", 51234),
                udp("0.0.0.0", 68)), r -> true, -1, rows);
        assertEquals(""
                + "Proto Recv-Q Send-Q Local Address           Foreign Address         State\n"
                + "tcp        0     64 127.0.0.1:9469          0.0.0.0:*               LISTEN\n"
                + "tcp        0     36 10.0.0.1:22             192.168.1.5:50000       ESTABLISHED\n"
                + "tcp6       0      0 [::1]:22                [::1]:51234             TIME_WAIT\n"
                + "udp        0      0 0.0.0.0:68              0.0.0.0:*               UNCONN\n", text);
        assertEquals(4, rows[0]);
    }

    @Test
    void longAddressesWidenTheirColumnAndEveryColumnStaysAligned() {
        List<SocketRecord> sockets = new ArrayList<>();
        sockets.add(tcp(SocketState.ESTABLISHED, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", 443,
                "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 65535, 1234567, 7654321));
        sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 1, "10.0.0.2", 2));
        sockets.add(udp("::", 5353));
        int[] rows = new int[1];
        String[] lines = render(sockets, r -> true, -1, rows).split("\n");
        assertEquals(4, lines.length);
        String header = lines[0];
        assertEquals("Proto  Recv-Q  Send-Q Local Address", header.substring(0, 35));
        int receiveEnd = header.indexOf("Recv-Q") + "Recv-Q".length();
        int sendEnd = header.indexOf("Send-Q") + "Send-Q".length();
        int local = header.indexOf("Local Address");
        int remote = header.indexOf("Foreign Address");
        int state = header.indexOf("State");
        String longLocal = "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443";
        String longRemote = "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535";
        assertEquals(local + longLocal.length() + 1, remote, "the local column widened to its longest address");
        assertEquals(remote + longRemote.length() + 1, state);
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            // queues right-aligned under their headings, addresses and state left-aligned under theirs
            assertEquals(' ', line.charAt(receiveEnd), line);
            assertTrue(Character.isDigit(line.charAt(receiveEnd - 1)), line);
            assertEquals(' ', line.charAt(sendEnd), line);
            assertTrue(Character.isDigit(line.charAt(sendEnd - 1)), line);
            assertEquals(' ', line.charAt(local - 1), line);
            assertEquals(' ', line.charAt(remote - 1), line);
            assertEquals(' ', line.charAt(state - 1), line);
            assertFalse(Character.isWhitespace(line.charAt(local)), line);
            assertFalse(Character.isWhitespace(line.charAt(remote)), line);
            assertFalse(Character.isWhitespace(line.charAt(state)), line);
        }
        assertEquals("tcp6  7654321 1234567 [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:443 "
                + "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535 ESTABLISHED", lines[1]);
        assertEquals("tcp         0       0 10.0.0.1:1", lines[2].substring(0, 32));
        assertEquals("udp6", lines[3].substring(0, 4));
    }

    @Test
    void filterAndLimitChooseTheRowsInSnapshotOrder() {
        List<SocketRecord> sockets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sockets.add(tcp(i % 2 == 0 ? SocketState.ESTABLISHED : SocketState.TIME_WAIT, "10.0.0.1", 1000 + i,
                    "10.0.0.2", 80));
        }
        int[] rows = new int[1];
        String[] lines = render(sockets, r -> r.state() == SocketState.TIME_WAIT, 3, rows).split("\n");
        assertEquals(3, rows[0]);
        assertEquals(4, lines.length);
        assertTrue(lines[1].contains("10.0.0.1:1001 "));
        assertTrue(lines[2].contains("10.0.0.1:1003 "));
        assertTrue(lines[3].contains("10.0.0.1:1005 "));

        assertEquals(0, render(sockets, r -> true, 0, rows).split("\n").length - 1);
        assertEquals(0, rows[0]);
    }

    @Test
    void aLargeTableIsWrittenWhole() {
        List<SocketRecord> sockets = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            sockets.add(tcp(SocketState.ESTABLISHED, "10.0.0.1", 1 + i, "10.0.0.2", 80));
        }
        int[] rows = new int[1];
        String text = render(sockets, r -> true, -1, rows);
        assertEquals(5000, rows[0]);
        assertEquals(5001, text.split("\n").length);
        assertTrue(text.endsWith("10.0.0.1:5000           10.0.0.2:80             ESTABLISHED\n"));
    }
}
