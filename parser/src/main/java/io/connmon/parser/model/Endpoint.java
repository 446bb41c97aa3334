package io.connmon.parser.model;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * One end of a socket pair: an IP address and a port.
 *
 * <p>The address is held as 128 bits in network order, {@code high} the first 64 and {@code low} the last 64;
 * an IPv4 address lives in the low 32 bits of {@code low}. {@link #toString()} prints the endpoint the way
 * {@code ss -tan} does:
 *
 * <pre>{@code
 * 10.254.222.37:58596      [::1]:22      [::ffff:127.0.0.1]:8080      0.0.0.0:*      [::]:*
 * }</pre>
 *
 * @param family IPv4 or IPv6
 * @param high the first 64 bits of an IPv6 address; 0 for IPv4
 * @param low the last 64 bits of an IPv6 address, or the IPv4 address in the low 32 bits
 * @param port the port, 0 to 65535; 0 prints as {@code *}
 */
public record Endpoint(Family family, long high, long low, int port) {

    /** The IPv4 wildcard {@code 0.0.0.0:*}. */
    public static final Endpoint IPV4_ANY = new Endpoint(Family.IPV4, 0, 0, 0);
    /** The IPv6 wildcard {@code [::]:*}. */
    public static final Endpoint IPV6_ANY = new Endpoint(Family.IPV6, 0, 0, 0);

    public Endpoint {
        if (family == null) {
            throw new IllegalArgumentException("family is null");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (family == Family.IPV4 && (high != 0 || (low >>> 32) != 0)) {
            throw new IllegalArgumentException("IPv4 address wider than 32 bits");
        }
    }

    /** An IPv4 endpoint; {@code address} holds the four bytes in network order, first byte highest. */
    public static Endpoint ipv4(int address, int port) {
        if (address == 0 && port == 0) {
            return IPV4_ANY;
        }
        return new Endpoint(Family.IPV4, 0, address & 0xFFFFFFFFL, port);
    }

    /** An IPv6 endpoint from its 128 bits in network order. */
    public static Endpoint ipv6(long high, long low, int port) {
        if (high == 0 && low == 0 && port == 0) {
            return IPV6_ANY;
        }
        return new Endpoint(Family.IPV6, high, low, port);
    }

    /** An endpoint from the raw address bytes (4 or 16, network order). */
    public static Endpoint of(byte[] address, int port) {
        if (address.length == 4) {
            return ipv4(readInt(address, 0), port);
        }
        if (address.length == 16) {
            return ipv6(((long) readInt(address, 0) << 32) | (readInt(address, 4) & 0xFFFFFFFFL),
                    ((long) readInt(address, 8) << 32) | (readInt(address, 12) & 0xFFFFFFFFL), port);
        }
        throw new IllegalArgumentException("address must have 4 or 16 bytes, not " + address.length);
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    /** The address bytes in network order: 4 for IPv4, 16 for IPv6. */
    public byte[] addressBytes() {
        if (family == Family.IPV4) {
            int v = (int) low;
            return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        return b;
    }

    /** The address as a JDK {@link InetAddress} (an {@code Inet6Address} even for v4-mapped addresses). */
    public InetAddress inetAddress() {
        try {
            byte[] bytes = addressBytes();
            return bytes.length == 16 ? java.net.Inet6Address.getByAddress(null, bytes, -1)
                    : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: the length is 4 or 16
        }
    }

    /** Whether the address is all zeros ({@code 0.0.0.0} or {@code ::}). */
    public boolean isWildcardAddress() {
        return high == 0 && low == 0;
    }

    /** Whether this is an IPv6 address that carries an IPv4 one, {@code ::ffff:a.b.c.d}. */
    public boolean isV4Mapped() {
        return family == Family.IPV6 && high == 0 && (low >>> 32) == 0xFFFFL;
    }

    /** The address as text: dotted quad for IPv4, RFC 5952 style (as glibc's {@code inet_ntop}) for IPv6. */
    public String address() {
        return family == Family.IPV4 ? formatIpv4((int) low) : formatIpv6(high, low);
    }

    /** The endpoint as {@code ss -tan} prints it; port 0 prints as {@code *}. */
    @Override
    public String toString() {
        String p = port == 0 ? "*" : Integer.toString(port);
        return family == Family.IPV4 ? address() + ":" + p : "[" + address() + "]:" + p;
    }

    static String formatIpv4(int v) {
        return (v >>> 24) + "." + ((v >>> 16) & 0xFF) + "." + ((v >>> 8) & 0xFF) + "." + (v & 0xFF);
    }

    static String formatIpv6(long high, long low) {
        int[] words = new int[8];
        for (int i = 0; i < 4; i++) {
            words[i] = (int) (high >>> (48 - 16 * i)) & 0xFFFF;
            words[4 + i] = (int) (low >>> (48 - 16 * i)) & 0xFFFF;
        }
        // The longest run of zero words, of two or more, becomes "::" (the first such run on a tie).
        int bestBase = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (words[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && words[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestBase = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestBase = -1;
        }
        StringBuilder sb = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
                if (i == bestBase) {
                    sb.append(':');
                }
                continue;
            }
            if (i != 0) {
                sb.append(':');
            }
            // IPv4-compatible (::a.b.c.d) and v4-mapped (::ffff:a.b.c.d) addresses end in a dotted quad.
            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF))) {
                sb.append(formatIpv4((int) low));
                return sb.toString();
            }
            sb.append(Integer.toHexString(words[i]));
        }
        if (bestBase >= 0 && bestBase + bestLen == 8) {
            sb.append(':');
        }
        return sb.toString();
    }
}
