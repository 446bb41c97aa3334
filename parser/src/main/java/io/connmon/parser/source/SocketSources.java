package io.connmon.parser.source;

import io.connmon.parser.source.oshi.OshiSocketSource;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Chooses a {@link SocketSource}.
 *
 * <pre>{@code
 * SocketSources.Choice choice = SocketSources.choose(SourceKind.AUTO, Path.of("/proc"));
 * log.info(choice.reason());   // "source procfs: /proc/net/tcp is readable"
 * }</pre>
 */
public final class SocketSources {

    private SocketSources() {
    }

    /** The chosen source and one line saying why. */
    public record Choice(SocketSource source, String reason) {
    }

    /**
     * {@code AUTO} picks procfs when {@code <procRoot>/net/tcp} is readable and OSHI otherwise; {@code PROCFS} and
     * {@code OSHI} are taken as asked.
     */
    public static Choice choose(SourceKind kind, Path procRoot) {
        Path probe = procRoot.resolve("net/tcp");
        switch (kind) {
            case PROCFS:
                return new Choice(new ProcfsSocketSource(procRoot), "source procfs: as configured, under " + procRoot);
            case OSHI:
                return new Choice(new OshiSocketSource(), "source oshi: as configured");
            case AUTO:
            default:
                if (Files.isReadable(probe)) {
                    return new Choice(new ProcfsSocketSource(procRoot),
                            "source procfs: " + probe + " is readable (auto)");
                }
                return new Choice(new OshiSocketSource(),
                        "source oshi: " + probe + " is not readable (auto fallback)");
        }
    }
}
