package io.connmon.parser.source.netlink;

import io.connmon.parser.model.CompactSocketList;
import io.connmon.parser.model.Protocol;
import io.connmon.parser.model.SocketRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Mutates one datagram of a captured dump at random, thousands of times with a fixed seed (flipped bytes,
 * lengths set to 0, to odd values or past the buffer, truncation, an NLMSG_ERROR or NLMSG_DONE written over a
 * message, zero-length and unknown attributes), and checks that the parser never throws and that every message
 * the mutation did not reach still comes out.
 */
class SockDiagFuzzTest {

    private static final long SEED = 0x50C4_D1A6L;
    private static final int CASES = 6000;

    /** Offsets and cookies of the messages of a datagram. */
    private static List<long[]> messages(ByteBuffer d) {
        List<long[]> out = new ArrayList<>();
        int pos = 0;
        while (pos + 16 <= d.limit()) {
            int len = d.getInt(pos);
            if (d.getShort(pos + 4) == 20) {
                long cookie = (d.getInt(pos + 16 + 48) & 0xFFFFFFFFL) << 32 | (d.getInt(pos + 16 + 44) & 0xFFFFFFFFL);
                out.add(new long[] {pos, pos + len, cookie});
            }
            pos += (len + 3) & ~3;
        }
        return out;
    }

    @Test
    void mutatedDumpsNeverThrowAndUntouchedMessagesComeOut() throws IOException {
        String[] names = SockDiagParserTest.DUMPS;
        List<List<ByteBuffer>> dumps = new ArrayList<>();
        for (String n : names) {
            dumps.add(SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve(n + ".bin")));
        }
        Random rnd = new Random(SEED);
        long kept = 0;
        for (int c = 0; c < CASES; c++) {
            int which = rnd.nextInt(names.length);
            List<ByteBuffer> dump = dumps.get(which);
            int j = rnd.nextInt(dump.size());
            ByteBuffer original = dump.get(j);
            ByteBuffer mutated = ByteBuffer.allocate(original.limit() + 64).order(ByteOrder.LITTLE_ENDIAN);
            mutated.put(original.duplicate()).flip();
            int at = mutate(mutated, rnd);
            Protocol p = names[which].startsWith("tcp") ? Protocol.TCP : Protocol.UDP;
            SockDiagParser.Dump d = new SockDiagParser.Dump(names[which], p, 1001 + which);
            CompactSocketList.Builder sink = new CompactSocketList.Builder(16);
            Set<Long> expected = new HashSet<>();
            int status = SockDiagParser.MORE;
            try {
                for (int i = 0; i < dump.size() && status == SockDiagParser.MORE; i++) {
                    ByteBuffer datagram = i == j ? mutated : dump.get(i);
                    for (long[] m : messages(dump.get(i))) {
                        if (i != j || m[1] <= at) {
                            expected.add(m[2]); // untouched by the mutation
                        }
                    }
                    int framed = SockDiagParser.status(datagram, d.seq);
                    status = SockDiagParser.parse(datagram, d, sink);
                    assertEquals(status, framed, "case " + c + ": the receiver's end of dump and the parser's");
                    if (i == j && status != SockDiagParser.MORE) {
                        // an injected end: later datagrams are rightly not read
                        break;
                    }
                }
            } catch (RuntimeException e) {
                fail("case " + c + " (" + names[which] + ", datagram " + j + ", byte " + at + "): " + e, e);
            }
            if (status == SockDiagParser.MORE && !d.finished()) {
                d.fail("no NLMSG_DONE"); // what the source does when the datagrams run out
            }
            Set<Long> got = new HashSet<>();
            for (SocketRecord r : CompactSocketList.of(List.of(sink))) {
                got.add(r.cookie());
            }
            for (long cookie : expected) {
                if (!got.contains(cookie)) {
                    fail("case " + c + " (" + names[which] + ", datagram " + j + ", byte " + at + "): socket sk:"
                            + Long.toHexString(cookie) + " lost; problems " + d.problems);
                }
            }
            kept += got.size();
            assertTrue(d.report().problems().size() <= 5);
        }
        assertTrue(kept > CASES * 3L, "most sockets survive: " + kept);
    }

    /** Mutates the datagram in place; returns the first byte changed (everything before it is untouched). */
    private static int mutate(ByteBuffer b, Random rnd) {
        int n = b.limit();
        List<long[]> msgs = messages(b);
        long[] m = msgs.isEmpty() ? new long[] {0, n, 0} : msgs.get(rnd.nextInt(msgs.size()));
        int start = (int) m[0];
        switch (rnd.nextInt(9)) {
            case 0: { // flip a few bytes anywhere
                int at = rnd.nextInt(n);
                int first = at;
                for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                    b.put(at, (byte) rnd.nextInt(256));
                    at = Math.min(n - 1, at + rnd.nextInt(8));
                }
                return first;
            }
            case 1: // a message length of 0, odd, or past the buffer
                b.putInt(start, new int[] {0, 1, 15, 17, 87, n * 2, Integer.MAX_VALUE, -1}[rnd.nextInt(8)]);
                return start;
            case 2: { // truncate
                int cut = rnd.nextInt(n);
                b.limit(cut);
                return cut;
            }
            case 3: // NLMSG_ERROR over a message
                b.putShort(start + 4, (short) 2).putInt(start + 16, -rnd.nextInt(130));
                return start;
            case 4: // NLMSG_DONE over a message
                b.putShort(start + 4, (short) 3);
                return start;
            case 5: { // an attribute of length 0..3, or an unknown type
                int a = start + 16 + 72;
                if (a + 4 > n) {
                    return n;
                }
                if (rnd.nextBoolean()) {
                    b.putShort(a, (short) rnd.nextInt(4));
                } else {
                    b.putShort(a + 2, (short) (100 + rnd.nextInt(1000)));
                }
                return a;
            }
            case 6: { // an attribute length past the message
                int a = start + 16 + 72;
                if (a + 4 > n) {
                    return n;
                }
                b.putShort(a, (short) (0x8000 + rnd.nextInt(0x7FFF)));
                return a;
            }
            case 7: // another family or an unknown message type
                if (rnd.nextBoolean()) {
                    b.put(start + 16, (byte) rnd.nextInt(256));
                } else {
                    b.putShort(start + 4, (short) (21 + rnd.nextInt(1000)));
                }
                return start;
            default: { // garbage appended
                int extra = 1 + rnd.nextInt(60);
                b.limit(n + extra);
                for (int k = 0; k < extra; k++) {
                    b.put(n + k, (byte) rnd.nextInt(256));
                }
                return n;
            }
        }
    }

    @Test
    void theSameDumpTwiceGivesTheSameSockets() throws IOException {
        // sanity of the harness: the unmutated dumps yield every message
        for (String name : SockDiagParserTest.DUMPS) {
            List<ByteBuffer> dump = SsText.datagrams(SockDiagParserTest.LOOPBACK.resolve(name + ".bin"));
            int expected = 0;
            for (ByteBuffer d : dump) {
                expected += messages(d).size();
            }
            CompactSocketList.Builder sink = new CompactSocketList.Builder(16);
            SockDiagParser.Dump d = new SockDiagParser.Dump(name, Protocol.TCP, 1001 + List.of(SockDiagParserTest.DUMPS)
                    .indexOf(name));
            for (ByteBuffer datagram : dump) {
                SockDiagParser.parse(datagram, d, sink);
            }
            assertEquals(expected, sink.size(), name);
        }
    }
}
