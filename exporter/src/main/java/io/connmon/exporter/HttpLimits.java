package io.connmon.exporter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The limits of the JDK's HTTP server, which reads them from system properties once, when the first server is
 * created ({@code sun.net.httpserver.ServerConfig}, JDK 17). connmon sets each one the user has not set, before it
 * creates its server:
 *
 * <ul>
 *   <li>{@code sun.net.httpserver.maxReqTime} {@value #MAX_REQ_TIME_SECONDS} s: a client has that long to send its
 *       request line and headers, then the connection is closed (a client that sends one byte and then nothing
 *       holds a thread no longer than that);
 *   <li>{@code sun.net.httpserver.maxRspTime} {@value #MAX_RSP_TIME_SECONDS} s: a client has that long to read its
 *       answer (a 48 MB {@code /snapshot} at 400 kB/s), then the connection is closed and the thread writing it
 *       freed;
 *   <li>{@code sun.net.httpserver.idleInterval} {@value #IDLE_INTERVAL_SECONDS} s: an idle keep-alive connection is
 *       closed after that (checked every {@code sun.net.httpserver.clockTick}, 10 s);
 *   <li>{@code jdk.httpserver.maxConnections}: beyond this many open connections a new one is closed as soon as it
 *       is accepted. Half the descriptors the process may open, at most {@value #MAX_CONNECTIONS}: the server never
 *       runs the process out of descriptors (on EMFILE the JDK's accept loop spins at full speed and logs nothing).
 *   <li>{@code sun.net.httpserver.nodelay} true: the JDK writes an answer's headers and body separately, and with
 *       Nagle's algorithm against the client's delayed ACK each answer on a kept-alive connection waited ~40 ms.
 * </ul>
 *
 * Client_java's HTTPServer sets the first two the same way (60 s and 600 s).
 */
final class HttpLimits {

    static final String MAX_REQ_TIME = "sun.net.httpserver.maxReqTime";
    static final String MAX_RSP_TIME = "sun.net.httpserver.maxRspTime";
    static final String IDLE_INTERVAL = "sun.net.httpserver.idleInterval";
    static final String MAX_CONNECTIONS_PROPERTY = "jdk.httpserver.maxConnections";
    static final String NODELAY = "sun.net.httpserver.nodelay";

    static final long MAX_REQ_TIME_SECONDS = 10;
    static final long MAX_RSP_TIME_SECONDS = 120;
    static final long IDLE_INTERVAL_SECONDS = 30;
    static final int MAX_CONNECTIONS = 400;

    private HttpLimits() {
    }

    /** Sets every limit not already set in {@code p}. */
    static void applyDefaults(Properties p, long openFilesLimit) {
        p.putIfAbsent(MAX_REQ_TIME, Long.toString(MAX_REQ_TIME_SECONDS));
        p.putIfAbsent(MAX_RSP_TIME, Long.toString(MAX_RSP_TIME_SECONDS));
        p.putIfAbsent(IDLE_INTERVAL, Long.toString(IDLE_INTERVAL_SECONDS));
        p.putIfAbsent(MAX_CONNECTIONS_PROPERTY, Integer.toString(defaultMaxConnections(openFilesLimit)));
        p.putIfAbsent(NODELAY, "true");
    }

    /** Half the descriptors left after a reserve for the tables and the JVM, within 16 and {@link #MAX_CONNECTIONS}. */
    static int defaultMaxConnections(long openFilesLimit) {
        if (openFilesLimit <= 0) {
            return MAX_CONNECTIONS;
        }
        return (int) Math.max(16, Math.min(MAX_CONNECTIONS, (openFilesLimit - 128) / 2));
    }

    /** The connection limit in force ({@code jdk.httpserver.maxConnections}), or {@link #MAX_CONNECTIONS}. */
    static int maxConnections() {
        try {
            int n = Integer.parseInt(System.getProperty(MAX_CONNECTIONS_PROPERTY, "").trim());
            return n > 0 ? n : MAX_CONNECTIONS;
        } catch (NumberFormatException e) {
            return MAX_CONNECTIONS;
        }
    }

    /** The soft limit on open files of this process, from {@code /proc/self/limits}; -1 if unknown. */
    static long openFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no /proc: the fixed default
        }
        return -1;
    }
}
