package io.connmon.parser.counters;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SockstatEstimateTest {

    @Test
    void roomPerTableFromSockstatWithSlack(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("net"));
        Files.writeString(root.resolve("net/sockstat"), "sockets: used 5000\n"
                + "TCP: inuse 160000 orphan 0 tw 32000 alloc 160010 mem 12\n"
                + "UDP: inuse 16000 mem 3\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n");
        Files.writeString(root.resolve("net/sockstat6"), "TCP6: inuse 48000\nUDP6: inuse 3200\n"
                + "UDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n");
        assertEquals(192_000 + 12_000, SockstatEstimate.firstRead(root, 0, 16)); // TIME_WAIT goes to tcp
        assertEquals(48_000 + 6_000, SockstatEstimate.firstRead(root, 1, 8));
        assertEquals(16_000 + 1_000, SockstatEstimate.firstRead(root, 2, 16));
        assertEquals(3_200 + 400, SockstatEstimate.firstRead(root, 3, 8));
    }

    @Test
    void theLeastRoomWithoutSockstatOrForFewSockets(@TempDir Path root) throws IOException {
        assertEquals(SockstatEstimate.MIN, SockstatEstimate.firstRead(root, 0, 16));
        Files.createDirectories(root.resolve("net"));
        Files.writeString(root.resolve("net/sockstat"), "TCP: inuse 3 orphan 0 tw 1 alloc 5 mem 1\n");
        assertEquals(SockstatEstimate.MIN, SockstatEstimate.firstRead(root, 0, 16));
    }
}
