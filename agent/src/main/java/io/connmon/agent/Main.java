package io.connmon.agent;

import io.connmon.exporter.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code connmon} command. */
@Command(name = "connmon", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A netstat-style connection monitor: socket pairs and states as Prometheus metrics, "
                + "JSON and a table.",
        subcommands = {ServeCommand.class, ListCommand.class, VersionCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code. */
    static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, argv) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("connmon: " + ex.getMessage() + " (see '" + c.getCommandSpec().qualifiedName()
                    + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("connmon: " + (ex instanceof UserError ? ex.getMessage() : ex.toString()));
            return ex instanceof UserError ? ((UserError) ex).exitCode : 1;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Supplies {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"connmon " + BuildInfo.version()};
        }
    }

    /** A failure to report in one line, without a stack trace. */
    static final class UserError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        UserError(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }
    }
}
