package io.connmon.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine.TypeConversionException;

class CommandLineTest {

    /** The command with no {@code CONNMON_*} setting at all, whatever this JVM's environment holds. */
    private static CommandRun run(String... args) {
        return CommandRun.run(Map.of(), args);
    }

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
        CommandRun r = run("list", "--no-such-flag");
        assertEquals(2, r.code);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("connmon: Unknown option: '--no-such-flag'"), r.err);
    }

    @Test
    void badSourceExitsTwoWithOneLine() {
        CommandRun r = run("serve", "--source", "sock_diag");
        assertEquals(2, r.code);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.contains("'sock_diag' is not a source: use auto, netlink, procfs or oshi"), r.err);
    }

    @Test
    void serveTakesHostOrAllNamespacesOnly() {
        CommandRun r = run("serve", "--netns", "blue", "--listen", "127.0.0.1:0");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--netns blue: expected host or all"), r.err);
        CommandRun oshi = run("list", "--netns", "all", "--source", "oshi");
        assertEquals(2, oshi.code);
        assertTrue(oshi.err.contains("not --source oshi"), oshi.err);
        CommandRun one = run("list", "--netns", "all", "--proc-root", "/proc/1");
        assertEquals(2, one.code);
        assertTrue(one.err.contains("is one process's"), one.err);
        CommandRun none = run("list", "--netns", "no-such-namespace-name");
        assertEquals(1, none.code);
        assertTrue(none.err.contains("no network namespace matches"), none.err);
    }

    @Test
    void badMaxAgeExitsTwo() {
        CommandRun r = run("serve", "--max-age", "soon");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("'soon' is not a duration"), r.err);
    }

    @Test
    void aCollectionTimeoutMustBeAPositiveDuration() {
        CommandRun zero = run("serve", "--collection-timeout", "0");
        assertEquals(2, zero.code);
        assertTrue(zero.err.contains("--collection-timeout 0: the timeout must be more than 0"), zero.err);
        CommandRun bad = run("serve", "--collection-timeout", "soon");
        assertEquals(2, bad.code);
        assertTrue(bad.err.contains("'soon' is not a duration"), bad.err);
    }

    @Test
    void listFromAFixtureTreeNeedsNoRealProc(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("net"));
        java.nio.file.Files.writeString(dir.resolve("net/tcp"),
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                + "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 21497 1 0000000000000000 100 0 0 10 0\n"
                + "   1: 2ADEFE0A:E4E4 4EA1D9AC:0050 01 00000010:00000000 00:00000000 00000000  1000        0 21498 1 0000000000000000 20 4 30 10 -1\n");
        CommandRun r = run("list", "-tan", "--source", "procfs", "--proc-root", dir.toString());
        assertEquals(0, r.code, r.err);
        String[] lines = r.out.split("\n");
        assertEquals(3, lines.length, r.out);
        assertEquals("Proto Recv-Q Send-Q Local Address           Foreign Address         State", lines[0]);
        assertEquals("tcp        3      0 127.0.0.1:3306          0.0.0.0:*               LISTEN", lines[1]);
        assertEquals("tcp        0     16 10.254.222.42:58596     172.217.161.78:80       ESTABLISHED", lines[2]);
        CommandRun listening = run("list", "-tln", "--source", "procfs", "--proc-root", dir.toString());
        assertEquals(2, listening.out.split("\n").length, listening.out);
    }

    @Test
    void listSaysOnStderrWhichInputsFailed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("net"));
        String header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        java.nio.file.Files.writeString(dir.resolve("net/tcp"), header
                + "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 21497 1 0000000000000000 100 0 0 10 0\n");
        java.nio.file.Files.writeString(dir.resolve("net/udp"), ""); // the kernel always prints the header
        CommandRun r = run("list", "-an", "--source", "procfs", "--proc-root", dir.toString());
        assertEquals(0, r.code, r.err);
        assertEquals(2, r.out.split("\n").length, r.out); // the listener is still listed
        assertEquals(List.of("connmon: input net/udp failed (empty: not even the header line): its sockets are not listed"),
                r.err.lines().toList());

        java.nio.file.Files.writeString(dir.resolve("net/udp"), header);
        CommandRun ok = run("list", "-an", "--source", "procfs", "--proc-root", dir.toString());
        assertEquals(0, ok.code, ok.err);
        assertEquals("", ok.err);
    }

    @Test
    void aBadValueFromTheEnvironmentIsNamedAsTheVariable() {
        CommandRun r = CommandRun.run(Map.of("CONNMON_MAX_AGE", "banana"), "serve");
        assertEquals(2, r.code);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.startsWith("connmon: CONNMON_MAX_AGE=banana: 'banana' is not a duration"), r.err);
        assertFalse(r.err.contains("--max-age"), r.err);

        CommandRun n = CommandRun.run(Map.of("CONNMON_INBOUND_PORTS_MAX", "many"), "serve");
        assertEquals(2, n.code);
        assertTrue(n.err.startsWith("connmon: CONNMON_INBOUND_PORTS_MAX=many: "), n.err);

        CommandRun a = CommandRun.run(Map.of("CONNMON_ATTRIBUTION", "yes"), "serve");
        assertEquals(2, a.code);
        assertTrue(a.err.startsWith("connmon: CONNMON_ATTRIBUTION=yes: 'yes' is not on or off"), a.err);
    }

    @Test
    void aFlagOverridesABadVariable() {
        // --max-age wins over CONNMON_MAX_AGE: the start goes on, to fail on the next bad setting
        CommandRun r = CommandRun.run(Map.of("CONNMON_MAX_AGE", "banana"), "serve", "--max-age", "1s", "--listen", "nowhere");
        assertEquals(2, r.code);
        assertEquals("connmon: --listen nowhere: expected HOST:PORT, such as 127.0.0.1:9469", r.err.strip());
    }

    @Test
    void aCommandLineFlagIsNamedAsTheFlagEvenWithTheVariableSet() {
        CommandRun r = CommandRun.run(Map.of("CONNMON_MAX_AGE", "1s"), "serve", "--max-age", "soon");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("'--max-age'") && r.err.contains("'soon' is not a duration"), r.err);
        assertFalse(r.err.contains("CONNMON_MAX_AGE"), r.err);
    }

    @Test
    void eachMessageNamesTheFlagItIsAbout() {
        CommandRun inMax = run("serve", "--inbound-ports-max", "-1");
        assertEquals(2, inMax.code);
        assertEquals("connmon: --inbound-ports-max -1: expected a number, 0 or more", inMax.err.strip());
        CommandRun outMax = run("serve", "--outbound-ports-max", "-5");
        assertEquals("connmon: --outbound-ports-max -5: expected a number, 0 or more", outMax.err.strip());
        CommandRun in = run("serve", "--inbound-ports", "80,http");
        assertTrue(in.err.startsWith("connmon: --inbound-ports 80,http: expected ports 1 to 65535"), in.err);
        CommandRun out = run("serve", "--outbound-ports", "70000");
        assertTrue(out.err.startsWith("connmon: --outbound-ports 70000: expected ports 1 to 65535"), out.err);
        CommandRun env = CommandRun.run(Map.of("CONNMON_INBOUND_PORTS_MAX", "-1"), "serve");
        assertEquals("connmon: CONNMON_INBOUND_PORTS_MAX=-1: expected a number, 0 or more", env.err.strip());
        CommandRun level = CommandRun.run(Map.of("CONNMON_LOG_LEVEL", "loud"), "serve");
        assertTrue(level.err.startsWith("connmon: CONNMON_LOG_LEVEL=loud: use error, warn, info or debug"), level.err);
        CommandRun listen = CommandRun.run(Map.of("CONNMON_LISTEN", "9469"), "serve");
        assertEquals("connmon: CONNMON_LISTEN=9469: expected HOST:PORT, such as 127.0.0.1:9469", listen.err.strip());
        CommandRun root = CommandRun.run(Map.of("CONNMON_PROC_ROOT", "/no/such/dir"), "list");
        assertEquals("connmon: CONNMON_PROC_ROOT=/no/such/dir: not a directory", root.err.strip());
    }

    @Test
    void listSpeaksOfFlagsNotHttpParameters() {
        CommandRun st = run("list", "--state", "bogus");
        assertEquals(2, st.code);
        assertTrue(st.err.startsWith("connmon: --state bogus: expected one of established"), st.err);
        assertFalse(st.err.contains("parameter"), st.err);
        CommandRun port = run("list", "--port", "70000");
        assertEquals(2, port.code);
        assertEquals("connmon: --port 70000: expected a port number, 0 to 65535", port.err.strip());
    }

    @Test
    void anUnknownConnmonVariableIsWarnedAboutOnceInOneLine() {
        CommandRun r = CommandRun.run(Map.of("CONNMON_MAXAGE", "5s", "CONNMON_LISTEN_ADDR", "x", "CONNMON_MAX_AGE", "1s",
                "CONNMON_E2E_PORT", "19469", "OTHER", "1"), "version");
        assertEquals(0, r.code, r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        assertEquals("connmon: warning: unknown environment variables CONNMON_LISTEN_ADDR, CONNMON_MAXAGE ignored "
                + "(connmon serve --help lists the CONNMON_* variables)", r.err.strip());
        assertEquals("", CommandRun.run(Map.of("CONNMON_MAX_AGE", "1s"), "version").err);
    }

    @Test
    void everyVariableTheDocsListIsKnown() {
        Set<String> known = Environment.known(new picocli.CommandLine(new Main()));
        for (String v : List.of("CONNMON_LISTEN", "CONNMON_MAX_AGE", "CONNMON_SOURCE", "CONNMON_PROC_ROOT",
                "CONNMON_INBOUND_PORTS_MAX", "CONNMON_INBOUND_PORTS", "CONNMON_OUTBOUND_PORTS_MAX",
                "CONNMON_OUTBOUND_PORTS", "CONNMON_ATTRIBUTION", "CONNMON_ATTRIBUTION_BUDGET", "CONNMON_LOG_LEVEL")) {
            assertTrue(known.contains(v), v + " in " + known);
        }
    }

    @Test
    void attributionTakesOnOrOffAsDocumented() {
        OnOff c = new OnOff();
        assertEquals(true, c.convert("on"));
        assertEquals(true, c.convert("ON"));
        assertEquals(false, c.convert("off"));
        for (String bad : List.of("yes", "true", "1", "")) {
            TypeConversionException e = assertThrows(TypeConversionException.class, () -> c.convert(bad));
            assertTrue(e.getMessage().contains("is not on or off"), e.getMessage());
        }
    }

    @Test
    void noCommandExitsTwoWithUsageOnStderr() {
        CommandRun r = run();
        assertEquals(2, r.code);
        assertEquals("", r.out);
        assertTrue(r.err.startsWith("connmon: a command is needed"), r.err);
        assertTrue(r.err.contains("Usage: connmon"), r.err);
    }

    @Test
    void sighupRunsTheHandlerInsteadOfExiting() throws Exception {
        CountDownLatch seen = new CountDownLatch(1);
        assertTrue(Hangup.ignore(seen::countDown));
        sun.misc.Signal.raise(new sun.misc.Signal("HUP")); // without the handler this JVM would exit with 129
        assertTrue(seen.await(10, TimeUnit.SECONDS), "the SIGHUP handler did not run");
    }



}
