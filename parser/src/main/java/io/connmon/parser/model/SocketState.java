package io.connmon.parser.model;

/**
 * Socket state, by the names netstat uses.
 *
 * <p>TCP sockets carry the kernel's TCP states ({@code include/net/tcp_states.h}); the numeric code is the
 * {@code st} column of {@code /proc/net/tcp}. UDP sockets have no real state machine: the kernel reports
 * {@code TCP_ESTABLISHED} (1) for a connected UDP socket and {@code TCP_CLOSE} (7) for an unconnected one,
 * which {@link #ofUdp(int)} maps to {@link #ESTABLISHED} and {@link #UNCONN}, the way {@code ss} shows them.
 */
public enum SocketState {
    ESTABLISHED(1),
    SYN_SENT(2),
    SYN_RECV(3),
    FIN_WAIT1(4),
    FIN_WAIT2(5),
    TIME_WAIT(6),
    CLOSE(7),
    CLOSE_WAIT(8),
    LAST_ACK(9),
    LISTEN(10),
    CLOSING(11),
    NEW_SYN_RECV(12),
    /** An unconnected UDP socket (kernel code 7 in a UDP table). */
    UNCONN(-1),
    /** A code the kernel may add in future; kept rather than dropped. */
    UNKNOWN(-2);

    private static final SocketState[] TCP_BY_CODE = new SocketState[13];
    private static final SocketState[] TCP_STATES;

    static {
        for (SocketState s : values()) {
            if (s.code > 0) {
                TCP_BY_CODE[s.code] = s;
            }
        }
        TCP_STATES = new SocketState[12];
        System.arraycopy(TCP_BY_CODE, 1, TCP_STATES, 0, 12);
    }

    private final int code;
    private final String label;

    SocketState(int code) {
        this.code = code;
        this.label = name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The kernel's numeric code, or a negative number for {@link #UNCONN} and {@link #UNKNOWN}. */
    public int code() {
        return code;
    }

    /** The lower-case name used as a metric label value: {@code time_wait}, {@code unconn}. */
    public String label() {
        return label;
    }

    /** The state of a TCP socket with kernel code {@code code}; {@link #UNKNOWN} for codes outside 1..12. */
    public static SocketState ofTcp(int code) {
        return code > 0 && code < TCP_BY_CODE.length ? TCP_BY_CODE[code] : UNKNOWN;
    }

    /** The state of a UDP socket with kernel code {@code code}: 1 is ESTABLISHED, 7 is UNCONN. */
    public static SocketState ofUdp(int code) {
        if (code == 1) {
            return ESTABLISHED;
        }
        if (code == 7) {
            return UNCONN;
        }
        return UNKNOWN;
    }

    /** The twelve TCP states in kernel order (a fresh copy). */
    public static SocketState[] tcpStates() {
        return TCP_STATES.clone();
    }

    /** Parses a state name as netstat ({@code TIME_WAIT}), ss ({@code time-wait}, {@code estab}) or a label writes it. */
    public static SocketState fromName(String text) {
        if (text == null) {
            return null;
        }
        String n = text.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        switch (n) {
            case "ESTAB":
                return ESTABLISHED;
            case "SYN_RECEIVED":
                return SYN_RECV;
            case "FIN_WAIT_1": // ss prints FIN-WAIT-1, OSHI FIN_WAIT_1
                return FIN_WAIT1;
            case "FIN_WAIT_2":
                return FIN_WAIT2;
            case "CLOSED":
                return CLOSE;
            case "LISTENING":
                return LISTEN;
            case "UNCONNECTED":
                return UNCONN;
            default:
                break;
        }
        for (SocketState s : values()) {
            if (s.name().equals(n) && s != UNKNOWN) {
                return s;
            }
        }
        return null;
    }
}
