package io.connmon.agent;

import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The {@code CONNMON_*} environment variables: each option names its variable in its annotation
 * ({@code defaultValue = "${env:CONNMON_MAX_AGE:-1s}"}); this supplies the values from one environment map (so
 * that tests can pass their own), tells which variable a bad value came from, and finds variables that no
 * option reads.
 */
final class Environment implements CommandLine.IDefaultValueProvider {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)");
    private static final Pattern FALLBACK = Pattern.compile("\\$\\{env:[A-Za-z0-9_]+:-(.*)}");
    /** Variables of the project's end-to-end scripts, which the daemon inherits there; not settings. */
    private static final String SCRIPTS_PREFIX = "CONNMON_E2E_";

    private final Map<String, String> env;

    Environment(Map<String, String> env) {
        this.env = env;
    }

    /** The variable an option reads, or {@code null}. */
    static String variableOf(ArgSpec arg) {
        Object element = arg.userObject();
        if (!(element instanceof AnnotatedElement)) {
            return null;
        }
        Option o = ((AnnotatedElement) element).getAnnotation(Option.class);
        if (o == null) {
            return null;
        }
        Matcher m = VARIABLE.matcher(o.defaultValue());
        return m.find() ? m.group(1) : null;
    }

    /**
     * The value from the environment (an empty value counts as unset), else the fallback written after
     * {@code :-} in the annotation; {@code null} when there is neither.
     */
    @Override
    public String defaultValue(ArgSpec arg) {
        String v = fromEnvironment(arg);
        return v != null ? v : fallbackOf(arg);
    }

    /** The option's value from the environment, or {@code null} when its variable is unset or empty. */
    String fromEnvironment(ArgSpec arg) {
        String name = variableOf(arg);
        if (name == null) {
            return null;
        }
        String v = env.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    private static String fallbackOf(ArgSpec arg) {
        Object element = arg.userObject();
        if (!(element instanceof AnnotatedElement)) {
            return null;
        }
        Option o = ((AnnotatedElement) element).getAnnotation(Option.class);
        if (o == null) {
            return null;
        }
        Matcher m = FALLBACK.matcher(o.defaultValue());
        return m.matches() && !m.group(1).isEmpty() ? m.group(1) : null;
    }

    /**
     * How to name a setting in a message: {@code CONNMON_MAX_AGE=banana} when its value came from the
     * environment, {@code --max-age banana} when from the command line.
     */
    String describe(OptionSpec option, String value, boolean onCommandLine) {
        String name = variableOf(option);
        if (!onCommandLine && name != null && fromEnvironment(option) != null) {
            return name + "=" + env.get(name);
        }
        return option.longestName() + " " + value;
    }

    /**
     * How to name the setting {@code flag} of the command {@code spec} in a message: {@code CONNMON_X=value}
     * when its value came from the environment, {@code --x value} otherwise.
     */
    static String setting(CommandLine.Model.CommandSpec spec, String flag, Object value) {
        if (spec == null) {
            return flag + " " + value;
        }
        OptionSpec o = spec.findOption(flag);
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        boolean onCommandLine = parsed != null && parsed.hasMatchedOption(flag);
        if (o != null && spec.commandLine().getDefaultValueProvider() instanceof Environment) {
            return ((Environment) spec.commandLine().getDefaultValueProvider()).describe(o, String.valueOf(value),
                    onCommandLine);
        }
        return flag + " " + value;
    }

    /**
     * Whether the bad value {@code value} of {@code option} came from its environment variable rather than from
     * {@code args} (where the flag, when given, wins over the variable).
     */
    boolean cameFromEnvironment(OptionSpec option, String value, String[] args) {
        String fromEnv = fromEnvironment(option);
        if (fromEnv == null || !fromEnv.equals(value)) {
            return false;
        }
        for (int i = 0; i < args.length; i++) {
            for (String n : option.names()) {
                if (args[i].equals(n + "=" + value) || args[i].equals(n) && i + 1 < args.length
                        && args[i + 1].equals(value)) {
                    return false; // the command line says the same: name the flag
                }
            }
        }
        return true;
    }

    /** The variables any option of {@code cl} or its subcommands reads. */
    static Set<String> known(CommandLine cl) {
        Set<String> out = new TreeSet<>();
        for (OptionSpec o : cl.getCommandSpec().options()) {
            String v = variableOf(o);
            if (v != null) {
                out.add(v);
            }
        }
        for (CommandLine sub : cl.getSubcommands().values()) {
            out.addAll(known(sub));
        }
        return out;
    }

    /** The {@code CONNMON_*} variables set in the environment that no option reads, sorted. */
    List<String> unknown(CommandLine cl) {
        Set<String> known = known(cl);
        List<String> out = new ArrayList<>();
        for (String name : new TreeSet<>(env.keySet())) {
            if (name.startsWith("CONNMON_") && !name.startsWith(SCRIPTS_PREFIX) && !known.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }
}
