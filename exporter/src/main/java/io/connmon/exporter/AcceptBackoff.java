package io.connmon.exporter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * When the process runs out of file descriptors, JDK 17's HTTP server fails {@code accept()} with EMFILE, logs it at
 * TRACE and selects again at once: the pending connection keeps the listener ready, so its dispatcher thread spins
 * at a full core and nothing is logged (measured: 9.8 s of CPU in 10 s). The connection limit
 * ({@code jdk.httpserver.maxConnections}, see {@link HttpLimits}) keeps the server's own connections from getting
 * there; this handler covers whatever else exhausts the descriptors. It listens to the JDK server's logger for
 * that failure, says so once a minute at most, and makes the failing thread (the dispatcher) pause 100 ms, so the
 * server backs off instead of spinning. Every other record of that logger goes on to the root handlers as before,
 * at the root's level.
 */
final class AcceptBackoff extends Handler {

    static final String JDK_LOGGER = "com.sun.net.httpserver";
    static final long PAUSE_MILLIS = 100;
    static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private static final Logger JDK = Logger.getLogger(JDK_LOGGER); // held: JUL keeps loggers weakly
    private static AcceptBackoff installed; // guarded by AcceptBackoff.class
    /** Read while descriptors are there to read it with. */
    private static final long LIMIT = HttpLimits.openFilesLimit();

    private final LongConsumer pause;
    private final LongSupplier ticker;
    private final Consumer<String> warn;
    private long lastWarned; // guarded by this
    private boolean warned; // guarded by this
    private volatile long failures;

    AcceptBackoff(LongConsumer pause, LongSupplier ticker, Consumer<String> warn) {
        this.pause = pause;
        this.ticker = ticker;
        this.warn = warn;
    }

    /** Hooks the handler into the JDK server's logger (once; again after a logging reset). */
    static synchronized void install() {
        if (installed != null && java.util.Arrays.asList(JDK.getHandlers()).contains(installed)) {
            return;
        }
        installed = new AcceptBackoff(millis -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, System::nanoTime, message -> Logger.getLogger("connmon.http").warning(message));
        JDK.setUseParentHandlers(false); // records pass through publish(), which forwards what the root would log
        JDK.setLevel(Level.FINER); // the JDK logs the accept failure at TRACE
        JDK.addHandler(installed);
        // The JDK's own logger of that name lives in the system context: it takes the handlers of this one when
        // it is created, and its level and parent handlers from the configuration.
        try {
            java.util.logging.LogManager.getLogManager().updateConfiguration(key -> (o, n) -> key.equals(
                    JDK_LOGGER + ".level") ? "FINER" : key.equals(JDK_LOGGER + ".useParentHandlers") ? "false" : o);
        } catch (IOException | RuntimeException e) {
            Logger.getLogger("connmon.http").fine("cannot watch the HTTP server's accept failures: " + e);
        }
    }

    /** Accept failures seen. */
    long failures() {
        return failures;
    }

    @Override
    public void publish(LogRecord record) {
        if (outOfDescriptors(record.getThrown())) {
            failures++;
            String message = null;
            synchronized (this) {
                long now = ticker.getAsLong();
                if (!warned || now - lastWarned >= WARN_EVERY_NANOS) {
                    warned = true;
                    lastWarned = now;
                    message = "cannot accept connections: the process has no file descriptor left (" + openFiles()
                            + "); pausing the HTTP server " + PAUSE_MILLIS + " ms at each failed accept";
                }
            }
            if (message != null) {
                warn.accept(message);
            }
            pause.accept(PAUSE_MILLIS);
            return;
        }
        Logger root = Logger.getLogger("");
        Level level = root.getLevel() == null ? Level.INFO : root.getLevel();
        if (record.getLevel().intValue() >= level.intValue()) {
            for (Handler h : root.getHandlers()) {
                h.publish(record);
            }
        }
    }

    static boolean outOfDescriptors(Throwable t) {
        for (int depth = 0; t != null && depth < 8; t = t.getCause(), depth++) {
            if (t instanceof IOException && t.getMessage() != null && t.getMessage().contains("Too many open files")) {
                return true;
            }
        }
        return false;
    }

    private static String openFiles() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count() + " open, limit " + LIMIT;
        } catch (IOException | RuntimeException | Error e) { // listing needs a descriptor too
            return "limit " + LIMIT;
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
