package io.connmon.agent;

import io.connmon.parser.source.SocketSources;
import io.connmon.parser.source.SourceKind;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --source} and {@code --proc-root}, shared by serve and list. */
final class SourceOptions {

    @Option(names = "--source", paramLabel = "KIND", defaultValue = "${env:CONNMON_SOURCE:-auto}",
            converter = SourceKindConverter.class,
            description = "Where sockets come from: auto (netlink, else procfs, else OSHI), netlink, procfs, oshi. "
                    + "Env CONNMON_SOURCE. Default: ${DEFAULT-VALUE}.")
    SourceKind source;

    @Option(names = "--proc-root", paramLabel = "DIR", defaultValue = "${env:CONNMON_PROC_ROOT:-/proc}",
            description = "The proc file system to read (net/tcp etc. below it). Env CONNMON_PROC_ROOT. "
                    + "Default: ${DEFAULT-VALUE}.")
    Path procRoot;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** Chooses the source, refusing an unreadable proc root when procfs was asked for explicitly. */
    SocketSources.Choice choose() {
        if (source == SourceKind.PROCFS && !Files.isReadable(procRoot.resolve("net/tcp"))) {
            throw new Main.UserError("cannot read " + procRoot.resolve("net/tcp")
                    + " (" + Environment.setting(spec, "--proc-root", procRoot) + ", "
                    + Environment.setting(spec, "--source", "procfs") + ")", 2);
        }
        if (source == SourceKind.NETLINK && !SocketSources.isDefault(procRoot)) {
            throw new Main.UserError("--source netlink reads connmon's own network namespace, not --proc-root "
                    + procRoot + " (use --source procfs or auto)", 2);
        }
        if (source == SourceKind.AUTO && !Files.isDirectory(procRoot)) {
            throw new Main.UserError(Environment.setting(spec, "--proc-root", procRoot) + ": not a directory", 2);
        }
        if (source == SourceKind.AUTO && !SocketSources.isDefault(procRoot)
                && !Files.isReadable(procRoot.resolve("net/tcp"))) { // named, so never a silent fallback
            throw new Main.UserError("--proc-root " + procRoot + " holds no socket tables (cannot read "
                    + procRoot.resolve("net/tcp") + ")", 2);
        }
        return SocketSources.choose(source, procRoot);
    }

    static final class SourceKindConverter implements picocli.CommandLine.ITypeConverter<SourceKind> {
        @Override
        public SourceKind convert(String value) {
            SourceKind k = SourceKind.fromLabel(value);
            if (k == null) {
                throw new picocli.CommandLine.TypeConversionException(
                        "'" + value + "' is not a source: use auto, netlink, procfs or oshi");
            }
            return k;
        }
    }
}
