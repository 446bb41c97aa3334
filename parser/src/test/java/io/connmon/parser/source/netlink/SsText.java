package io.connmon.parser.source.netlink;

import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;
import io.connmon.parser.model.SocketState;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Sockets as {@code ss -tanuH} prints them, and the captured dump fixtures. */
final class SsText {

    static final Path FIXTURES = Path.of("src/test/resources/netlink");

    private SsText() {
    }

    /** ss's state name. */
    static String state(SocketRecord r) {
        SocketState s = r.state();
        switch (s) {
            case ESTABLISHED:
                return "ESTAB";
            case FIN_WAIT1:
                return "FIN-WAIT-1";
            case FIN_WAIT2:
                return "FIN-WAIT-2";
            case NEW_SYN_RECV:
                return "SYN-RECV";
            case CLOSE:
                return r.protocol() == Protocol.TCP ? "UNCONN" : "CLOSE";
            default:
                return s.name().replace('_', '-');
        }
    }

    /** {@code proto STATE recvq sendq local remote}, as the first six columns of {@code ss -tanuH}. */
    static String line(SocketRecord r) {
        return r.protocol().label() + " " + state(r) + " " + r.receiveQueue() + " " + r.sendQueue() + " "
                + r.localText() + " " + r.remoteText();
    }

    /** The first six columns of each socket line of ss output (continuation lines, tab-indented, are left out). */
    static List<String> columns(List<String> ssLines, int extra) {
        List<String> out = new ArrayList<>();
        for (String l : ssLines) {
            if (l.isBlank() || Character.isWhitespace(l.charAt(0))) {
                continue;
            }
            String[] t = l.trim().split("\\s+");
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 6 + extra && i < t.length; i++) {
                sb.append(i == 0 ? "" : " ").append(t[i]);
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** The datagrams of a captured dump: each preceded by its length as a little-endian u32. */
    static List<ByteBuffer> datagrams(Path file) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<ByteBuffer> out = new ArrayList<>();
        while (all.remaining() >= 4) {
            int n = all.getInt();
            byte[] d = new byte[n];
            all.get(d);
            out.add(ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN)); // captured on a little-endian host
        }
        return out;
    }
}
