package io.connmon.agent;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The {@code connmon} command run in this JVM, its exit code and what it printed on stdout and stderr. */
final class CommandRun {
    final int code;
    final String out;
    final String err;

    private CommandRun(int code, String out, String err) {
        this.code = code;
        this.out = out;
        this.err = err;
    }

    /** With the process's own environment, as {@code Main.run(args)}. */
    static CommandRun run(String... args) {
        return run(System.getenv(), args);
    }

    /**
     * With the {@code CONNMON_*} settings of {@code env}. One at a time in this JVM: it swaps {@link System#out}
     * and {@link System#err}.
     */
    static synchronized CommandRun run(Map<String, String> env, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(env, args);
            return new CommandRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
