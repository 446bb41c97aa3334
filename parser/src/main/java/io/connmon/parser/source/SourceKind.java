package io.connmon.parser.source;

import java.util.Locale;

/** Which {@link SocketSource} to use. */
public enum SourceKind {
    /** netlink when a sock_diag dump works (and the proc root is {@code /proc}), else procfs, else OSHI. */
    AUTO,
    /** The kernel's NETLINK_SOCK_DIAG dumps, as {@code ss} reads them. */
    NETLINK,
    /** The {@code /proc/net} text tables. */
    PROCFS,
    /** OSHI's {@code InternetProtocolStats.getConnections()}. */
    OSHI;

    /** The lower-case name: {@code auto}, {@code netlink}, {@code procfs}, {@code oshi}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a name in any case; {@code null} for anything else. */
    public static SourceKind fromLabel(String text) {
        for (SourceKind k : values()) {
            if (k.name().equalsIgnoreCase(text)) {
                return k;
            }
        }
        return null;
    }
}
