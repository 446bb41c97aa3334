package io.connmon.parser.source;

import java.util.Locale;

/** Which {@link SocketSource} to use. */
public enum SourceKind {
    /** procfs when {@code <procRoot>/net} is readable, else OSHI. */
    AUTO,
    /** The {@code /proc/net} text tables. */
    PROCFS,
    /** OSHI's {@code InternetProtocolStats.getConnections()}. */
    OSHI;

    /** The lower-case name: {@code auto}, {@code procfs}, {@code oshi}. */
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
