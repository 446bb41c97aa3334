package io.connmon.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class AcceptBackoffTest {

    private static LogRecord record(Level level, String message, Throwable thrown) {
        LogRecord r = new LogRecord(level, message);
        r.setThrown(thrown);
        r.setLoggerName(AcceptBackoff.JDK_LOGGER);
        return r;
    }

    @Test
    void failedAcceptsPauseTheThreadAndAreLoggedOnceAMinute() {
        List<Long> pauses = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        AtomicLong now = new AtomicLong();
        AcceptBackoff b = new AcceptBackoff(pauses::add, now::get, warnings::add);
        IOException emfile = new IOException("Too many open files");
        for (int i = 0; i < 50; i++) { // what the dispatcher logs at each failed accept: TRACE, "Dispatcher (4)"
            b.publish(record(Level.FINER, "Dispatcher (4)", emfile));
            now.addAndGet(Duration.ofMillis(100).toNanos());
        }
        assertEquals(50, pauses.size());
        assertTrue(pauses.stream().allMatch(p -> p == AcceptBackoff.PAUSE_MILLIS));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("cannot accept connections: the process has no file descriptor left"),
                warnings.get(0));
        now.addAndGet(Duration.ofMinutes(1).toNanos());
        b.publish(record(Level.FINER, "Dispatcher (4)", new IOException("accept failed", emfile)));
        assertEquals(2, warnings.size(), "still failing a minute later: said again");
        assertEquals(51, b.failures());
    }

    @Test
    void otherRecordsGoOnToTheRootHandlersAtTheRootsLevel() {
        List<String> pauses = new ArrayList<>();
        AcceptBackoff b = new AcceptBackoff(p -> pauses.add("pause"), System::nanoTime, pauses::add);
        List<LogRecord> seen = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                seen.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        Level before = root.getLevel();
        root.addHandler(capture);
        root.setLevel(Level.INFO);
        try {
            LogRecord trace = record(Level.FINER, "ServerImpl.Exchange (5)", new IOException("Connection reset"));
            LogRecord warning = record(Level.WARNING, "something the JDK wants said", null);
            b.publish(trace);
            b.publish(warning);
            assertEquals(List.of(warning), seen);
            assertEquals(List.of(), pauses, "nothing but running out of descriptors pauses the server");
        } finally {
            root.removeHandler(capture);
            root.setLevel(before);
        }
    }
}
