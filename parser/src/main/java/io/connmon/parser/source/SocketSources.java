package io.connmon.parser.source;

import io.connmon.parser.source.netlink.NetlinkSocketSource;
import io.connmon.parser.source.oshi.OshiSocketSource;
import io.connmon.parser.source.procfs.ProcfsSocketSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Chooses a {@link SocketSource}.
 *
 * <pre>{@code
 * SocketSources.Choice choice = SocketSources.choose(SourceKind.AUTO, Path.of("/proc"));
 * log.info(choice.reason());   // "source netlink: a sock_diag dump works (auto)"
 * }</pre>
 */
public final class SocketSources {

    /** The proc root of this process's own network namespace, the only one the netlink source sees. */
    public static final Path DEFAULT_PROC_ROOT = Path.of("/proc");

    private SocketSources() {
    }

    /** The chosen source and one line saying why. */
    public record Choice(SocketSource source, String reason) {
    }

    /**
     * {@code AUTO} picks netlink when a sock_diag dump works, else procfs when {@code <procRoot>/net/tcp} is
     * readable, else OSHI. The netlink source reads this process's own network namespace only, so with a proc
     * root other than {@code /proc} auto picks procfs, and keeps it even when its tables cannot be read (the
     * collection then fails, naming them) rather than fall back to this host's sockets. {@code NETLINK},
     * {@code PROCFS} and {@code OSHI} are taken as asked.
     */
    public static Choice choose(SourceKind kind, Path procRoot) {
        return choose(kind, procRoot, NetlinkSocketSource::probe, Files::isReadable);
    }

    /**
     * As {@link #choose(SourceKind, Path)}, with the netlink check ({@code null}: it works; else why not) and the
     * readability check given.
     */
    static Choice choose(SourceKind kind, Path procRoot, Supplier<String> netlinkProbe, Predicate<Path> readable) {
        Path probe = procRoot.resolve("net/tcp");
        switch (kind) {
            case NETLINK:
                return choice(new NetlinkSocketSource(), "source netlink: as configured");
            case PROCFS:
                return choice(new ProcfsSocketSource(procRoot), "source procfs: as configured, under " + procRoot);
            case OSHI:
                return choice(new OshiSocketSource(), "source oshi: as configured");
            case AUTO:
            default:
                if (!isDefault(procRoot)) {
                    return choice(new ProcfsSocketSource(procRoot), "source procfs: --proc-root " + procRoot
                            + " is not " + DEFAULT_PROC_ROOT + " and netlink sees only this process's own network"
                            + " namespace (auto)");
                }
                String why = netlinkProbe.get();
                if (why == null) {
                    return choice(new NetlinkSocketSource(), "source netlink: a sock_diag dump works (auto)");
                }
                if (readable.test(probe)) {
                    return choice(new ProcfsSocketSource(procRoot), "source procfs: netlink cannot be used ("
                            + why + "); " + probe + " is readable (auto fallback)");
                }
                return choice(new OshiSocketSource(), "source oshi: netlink cannot be used (" + why + ") and "
                        + probe + " is not readable (auto fallback)");
        }
    }

    /** Every source is asked for heap room before it reads (see {@link HeapCheckedSource}). */
    private static Choice choice(SocketSource source, String reason) {
        return new Choice(guarded(source), reason);
    }

    /**
     * {@code source}, refusing a collection (with a {@link SourceException} that says so) when the heap has no
     * room for a table of the last one's size beside those still alive, rather than running out of memory.
     */
    public static SocketSource guarded(SocketSource source) {
        return source instanceof HeapCheckedSource ? source : new HeapCheckedSource(source, new HeapRoom());
    }

    /** Whether {@code procRoot} is {@code /proc} itself. */
    public static boolean isDefault(Path procRoot) {
        return procRoot.toAbsolutePath().normalize().equals(DEFAULT_PROC_ROOT);
    }
}
