package io.connmon.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The connections-over-time flags refuse bad values with one line naming the flag, exit code 2. */
class EventFlagsTest {

    @Test
    void badValuesAreRefusedWithOneLine() {
        String[] events = run(Map.of(), "serve", "--events", "maybe");
        assertEquals("2", events[0]);
        assertTrue(events[1].startsWith("connmon: --events maybe: "), events[1]);
        String[] closed = run(Map.of(), "serve", "--closed-max", "-1");
        assertEquals("2", closed[0]);
        assertEquals("connmon: --closed-max -1: expected a number, 0 or more", closed[1].strip());
        String[] buffer = run(Map.of("CONNMON_EVENTS_RECEIVE_BUFFER", "100"), "serve");
        assertEquals("2", buffer[0]);
        assertEquals("connmon: CONNMON_EVENTS_RECEIVE_BUFFER=100: expected bytes, 4096 or more", buffer[1].strip());
        String[] interval = run(Map.of(), "serve", "--tcp-info-interval", "often");
        assertEquals("2", interval[0]);
        assertTrue(interval[1].contains("--tcp-info-interval"), interval[1]);
    }

    /** Exit code and the last line of stderr. */
    private static synchronized String[] run(Map<String, String> env, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(env, args);
            String[] lines = err.toString(StandardCharsets.UTF_8).strip().split("\n");
            return new String[] {Integer.toString(code), lines[lines.length - 1]};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
