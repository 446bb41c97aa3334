package io.connmon.agent;

import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One concise line per event on stderr ({@code INFO connmon: listening on ...}); journald adds the time. */
final class LogSetup {

    private LogSetup() {
    }

    static void configure(String level) {
        Level l = parse(level);
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        ConsoleHandler h = new ConsoleHandler(); // stderr
        h.setLevel(Level.ALL);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String name = r.getLoggerName() == null ? "" : r.getLoggerName();
                String origin = name.startsWith("connmon") || name.isEmpty() ? "connmon"
                        : name.substring(name.lastIndexOf('.') + 1);
                String msg = formatMessage(r).replace('\n', ' ');
                if (r.getThrown() != null) {
                    msg += ": " + r.getThrown();
                }
                return label(r.getLevel()) + " " + origin + ": " + msg + "\n";
            }
        });
        root.addHandler(h);
        root.setLevel(l);
    }

    static Level parse(String level) {
        switch (level.toLowerCase(Locale.ROOT)) {
            case "error":
                return Level.SEVERE;
            case "warn":
            case "warning":
                return Level.WARNING;
            case "info":
                return Level.INFO;
            case "debug":
                return Level.FINE;
            default:
                throw new Main.UserError("--log-level " + level + ": use error, warn, info or debug", 2);
        }
    }

    private static String label(Level l) {
        if (l.intValue() >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (l.intValue() >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (l.intValue() >= Level.INFO.intValue()) {
            return "INFO";
        }
        return "DEBUG";
    }
}
