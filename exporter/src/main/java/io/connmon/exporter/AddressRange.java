package io.connmon.exporter;

import io.connmon.parser.model.Endpoint;
import io.connmon.parser.model.Family;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP address or CIDR block, such as {@code 10.0.0.0/8}, {@code 127.0.0.1} or {@code 2001:db8::/32}. An IPv4
 * range also matches v4-mapped IPv6 addresses ({@code ::ffff:10.1.2.3}), as dual-stack sockets show them.
 */
public record AddressRange(Family family, long high, long low, int prefix) {

    /** Parses an address literal with an optional {@code /prefix}; never looks a name up. */
    public static AddressRange parse(String text) {
        String addr = text;
        int prefix = -1; // none given
        int slash = text.indexOf('/');
        if (slash >= 0) {
            addr = text.substring(0, slash);
            String digits = text.substring(slash + 1);
            // Digits only: "/-1" must not read as "no prefix", nor "/+8" as "/8".
            if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            }
            prefix = Integer.parseInt(digits);
        }
        byte[] bytes = addr.indexOf(':') >= 0 ? ipv6(addr) : ipv4(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IP address: '" + addr + "'");
        }
        Endpoint e = Endpoint.of(bytes, 0);
        int bits = e.family() == Family.IPV4 ? 32 : 128;
        if (prefix == -1) {
            prefix = bits;
        }
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix length must be 0 to " + bits + " in '" + text + "'");
        }
        return new AddressRange(e.family(), e.high(), e.low(), prefix);
    }

    private static byte[] ipv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            b[i] = (byte) v;
        }
        return b;
    }

    private static byte[] ipv6(String s) {
        try {
            // A literal containing ':' is parsed as IPv6, never resolved.
            InetAddress a = InetAddress.getByName(s.startsWith("[") ? s : "[" + s + "]");
            if (a instanceof Inet6Address) {
                return a.getAddress();
            }
            byte[] v4 = a.getAddress(); // Java folds ::ffff:a.b.c.d into IPv4; keep it v4-mapped
            byte[] b = new byte[16];
            b[10] = (byte) 0xFF;
            b[11] = (byte) 0xFF;
            System.arraycopy(v4, 0, b, 12, 4);
            return b;
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    /** Whether the endpoint's address lies in this range. */
    public boolean contains(Endpoint e) {
        if (family == Family.IPV4) {
            long v4;
            if (e.family() == Family.IPV4) {
                v4 = e.low();
            } else if (e.isV4Mapped()) {
                v4 = e.low() & 0xFFFFFFFFL;
            } else {
                return false;
            }
            long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
            return (v4 & mask) == (low & mask);
        }
        if (e.family() != Family.IPV6) {
            return false;
        }
        long maskHigh = prefix >= 64 ? -1L : prefix == 0 ? 0 : -1L << (64 - prefix);
        long maskLow = prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
        return (e.high() & maskHigh) == (high & maskHigh) && (e.low() & maskLow) == (low & maskLow);
    }
}
