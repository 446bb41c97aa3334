package io.connmon.parser.model;

/** Address family of a socket. {@link #label()} is the lower-case name used in metrics, JSON and the CLI. */
public enum Family {
    IPV4("ipv4"),
    IPV6("ipv6");

    private final String label;

    Family(String label) {
        this.label = label;
    }

    /** The lower-case name: {@code ipv4} or {@code ipv6}. */
    public String label() {
        return label;
    }

    /** Parses {@code ipv4}/{@code ipv6} (also {@code 4}/{@code 6}) in any case; {@code null} for anything else. */
    public static Family fromLabel(String text) {
        if ("4".equals(text)) {
            return IPV4;
        }
        if ("6".equals(text)) {
            return IPV6;
        }
        for (Family f : values()) {
            if (f.label.equalsIgnoreCase(text)) {
                return f;
            }
        }
        return null;
    }
}
