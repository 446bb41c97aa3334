package io.connmon.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine.TypeConversionException;

class CommandLineTest {

    static Stream<Arguments> durations() {
        return Stream.of(
                Arguments.of("0", Duration.ZERO),
                Arguments.of("500ms", Duration.ofMillis(500)),
                Arguments.of("5s", Duration.ofSeconds(5)),
                Arguments.of("1.5s", Duration.ofMillis(1500)),
                Arguments.of("2m", Duration.ofMinutes(2)),
                Arguments.of("1h", Duration.ofHours(1)));
    }

    @ParameterizedTest(name = "{0} is {1}")
    @MethodSource("durations")
    void parsesDurations(String text, Duration expected) {
        assertEquals(expected, DurationConverter.parse(text));
    }

    @ParameterizedTest(name = "''{0}'' is refused")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", "5", "fast", "-1s", "5 seconds", "ms"})
    void refusesBadDurations(String text) {
        assertThrows(TypeConversionException.class, () -> DurationConverter.parse(text));
    }

    @Test
    void parsesListenAddresses() {
        InetSocketAddress a = ServeCommand.parseListen("127.0.0.1:9469");
        assertEquals("127.0.0.1", a.getAddress().getHostAddress());
        assertEquals(9469, a.getPort());
        InetSocketAddress b = ServeCommand.parseListen("[::1]:0");
        assertEquals("0:0:0:0:0:0:0:1", b.getAddress().getHostAddress());
        assertEquals(0, b.getPort());
        InetSocketAddress c = ServeCommand.parseListen(":9469");
        assertTrue(c.getAddress().isAnyLocalAddress());
    }

    @ParameterizedTest(name = "--listen {0} is refused")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"9469", "127.0.0.1:port", "127.0.0.1:70000"})
    void refusesBadListenAddresses(String text) {
        Main.UserError e = assertThrows(Main.UserError.class, () -> ServeCommand.parseListen(text));
        assertEquals(2, e.exitCode);
        assertTrue(e.getMessage().startsWith("--listen " + text), e.getMessage());
    }

    @Test
    void badFlagExitsTwoWithOneLine() {
        Result r = run("list", "--no-such-flag");
        assertEquals(2, r.code);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("connmon: Unknown option: '--no-such-flag'"), r.err);
    }

    @Test
    void badSourceExitsTwoWithOneLine() {
        Result r = run("serve", "--source", "netlink");
        assertEquals(2, r.code);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.contains("'netlink' is not a source"), r.err);
    }

    @Test
    void badMaxAgeExitsTwo() {
        Result r = run("serve", "--max-age", "soon");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("'soon' is not a duration"), r.err);
    }

    @Test
    void aCollectionTimeoutMustBeAPositiveDuration() {
        Result zero = run("serve", "--collection-timeout", "0");
        assertEquals(2, zero.code);
        assertTrue(zero.err.contains("--collection-timeout 0: the timeout must be more than 0"), zero.err);
        Result bad = run("serve", "--collection-timeout", "soon");
        assertEquals(2, bad.code);
        assertTrue(bad.err.contains("'soon' is not a duration"), bad.err);
    }

    @Test
    void listFromAFixtureTreeNeedsNoRealProc(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("net"));
        java.nio.file.Files.writeString(dir.resolve("net/tcp"),
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                + "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 21497 1\n"
                + "   1: 2ADEFE0A:E4E4 4EA1D9AC:0050 01 00000010:00000000 00:00000000 00000000  1000        0 21498 1\n");
        Result r = run("list", "-tan", "--source", "procfs", "--proc-root", dir.toString());
        assertEquals(0, r.code, r.err);
        String[] lines = r.out.split("\n");
        assertEquals(3, lines.length, r.out);
        assertEquals("Proto Recv-Q Send-Q Local Address           Foreign Address         State", lines[0]);
        assertEquals("tcp        3      0 127.0.0.1:3306          0.0.0.0:*               LISTEN", lines[1]);
        assertEquals("tcp        0     16 10.254.222.42:58596     172.217.161.78:80       ESTABLISHED", lines[2]);
        Result listening = run("list", "-tln", "--source", "procfs", "--proc-root", dir.toString());
        assertEquals(2, listening.out.split("\n").length, listening.out);
    }

    private record Result(int code, String out, String err) {
    }

    private static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
