package io.connmon.parser.model;

/** Transport protocol of a socket. {@link #label()} is the lower-case name used in metrics, JSON and the CLI. */
public enum Protocol {
    TCP("tcp"),
    UDP("udp");

    private final String label;

    Protocol(String label) {
        this.label = label;
    }

    /** The lower-case name: {@code tcp} or {@code udp}. */
    public String label() {
        return label;
    }

    /** Parses {@code tcp} or {@code udp} in any case; {@code null} for anything else. */
    public static Protocol fromLabel(String text) {
        for (Protocol p : values()) {
            if (p.label.equalsIgnoreCase(text)) {
                return p;
            }
        }
        return null;
    }
}
