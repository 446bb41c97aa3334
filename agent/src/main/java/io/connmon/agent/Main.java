package io.connmon.agent;

import io.connmon.exporter.BuildInfo;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;

/** The {@code connmon} command. */
@Command(name = "connmon", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A netstat-style connection monitor: socket pairs and states as Prometheus metrics, "
                + "JSON and a table.",
        subcommands = {ServeCommand.class, ListCommand.class, VersionCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(System.getenv(), args));
    }

    /** Runs the command line in this process's environment and returns the exit code. */
    static int run(String... args) {
        return run(System.getenv(), args);
    }

    /** Runs the command line with the {@code CONNMON_*} settings of {@code env} and returns the exit code. */
    static int run(Map<String, String> env, String... args) {
        Environment environment = new Environment(env);
        CommandLine cl = new CommandLine(new Main());
        cl.setDefaultValueProvider(environment);
        List<String> unknown = environment.unknown(cl);
        if (!unknown.isEmpty()) {
            cl.getErr().println("connmon: warning: unknown environment variable" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + " ignored (connmon serve --help lists the CONNMON_* variables)");
        }
        cl.setParameterExceptionHandler((ex, argv) -> {
            CommandLine c = ex.getCommandLine();
            String message = ex.getMessage();
            // A bad value from the environment is named as the operator wrote it: CONNMON_MAX_AGE=banana.
            if (ex.getArgSpec() instanceof OptionSpec && ex.getCause() != null) {
                OptionSpec o = (OptionSpec) ex.getArgSpec();
                if (environment.cameFromEnvironment(o, ex.getValue(), argv)) {
                    message = environment.describe(o, null, false) + ": " + ex.getCause().getMessage();
                }
            }
            c.getErr().println("connmon: " + message + " (see '" + c.getCommandSpec().qualifiedName()
                    + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("connmon: " + (ex instanceof UserError ? ex.getMessage() : ex.toString()));
            return ex instanceof UserError ? ((UserError) ex).exitCode : 1;
        });
        return cl.execute(args);
    }

    /** Without a command: the usage on stderr, exit code 2, as for any other usage error. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("connmon: a command is needed: serve, list or version");
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
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
