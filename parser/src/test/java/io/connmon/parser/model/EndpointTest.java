package io.connmon.parser.model;

import io.connmon.parser.Fixtures;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EndpointTest {

    /** The 16 address bytes as hex, the port, and what {@code ss} prints (from glibc's inet_ntop). */
    static Stream<Arguments> ipv6Cases() {
        return Stream.of(
                Arguments.of("wildcard address, wildcard port", "00000000000000000000000000000000", 0, "[::]:*"),
                Arguments.of("wildcard address, a port", "00000000000000000000000000000000", 8443, "[::]:8443"),
                Arguments.of("loopback", "00000000000000000000000000000001", 631, "[::1]:631"),
                Arguments.of("trailing zeros", "00010000000000000000000000000000", 1, "[1::]:1"),
                Arguments.of("no zeros: asymmetric fixture address", "20010db8123456789abcdef013572468", 22,
                        "[2001:db8:1234:5678:9abc:def0:1357:2468]:22"),
                Arguments.of("zero run in the middle", "20010db8000000000000000000000001", 53, "[2001:db8::1]:53"),
                Arguments.of("a single zero word is not compressed", "20010db8000000010001000100010001", 53,
                        "[2001:db8:0:1:1:1:1:1]:53"),
                Arguments.of("single zero at the end is not compressed", "00010002000300040005000600070000", 7,
                        "[1:2:3:4:5:6:7:0]:7"),
                Arguments.of("single zero at the start is not compressed", "00000001000200030004000500060007", 7,
                        "[0:1:2:3:4:5:6:7]:7"),
                Arguments.of("the longer of two runs", "20010000000000010000000000000001", 80, "[2001:0:0:1::1]:80"),
                Arguments.of("the first of two equal runs", "20010db8000000000001000000000001", 80,
                        "[2001:db8::1:0:0:1]:80"),
                Arguments.of("run after a non-zero prefix", "00000000000100000000000000000000", 80, "[0:0:1::]:80"),
                Arguments.of("v4-mapped", "00000000000000000000ffff0afede25", 8080, "[::ffff:10.254.222.37]:8080"),
                Arguments.of("v4-mapped 0.0.0.0", "00000000000000000000ffff00000000", 1, "[::ffff:0.0.0.0]:1"),
                Arguments.of("v4-mapped 0.0.0.1", "00000000000000000000ffff00000001", 1, "[::ffff:0.0.0.1]:1"),
                Arguments.of("v4-compatible", "00000000000000000000000001020304", 1, "[::1.2.3.4]:1"),
                Arguments.of("v4-compatible with a zero third byte", "00000000000000000000000000010002", 1,
                        "[::0.1.0.2]:1"),
                Arguments.of("::2 is not v4-compatible", "00000000000000000000000000000002", 1, "[::2]:1"),
                Arguments.of("ffff elsewhere is not v4-mapped", "0000000000000000ffff000100000000", 1,
                        "[::ffff:1:0:0]:1"),
                Arguments.of("fffe is not v4-mapped", "00000000000000000000fffe01020304", 1, "[::fffe:102:304]:1"),
                Arguments.of("NAT64 prefix prints as hex", "0064ff9b000000000000000001020304", 1,
                        "[64:ff9b::102:304]:1"),
                Arguments.of("link-local", "fe8000000000000001fffe234567890a", 65535,
                        "[fe80::1ff:fe23:4567:890a]:65535"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ipv6Cases")
    void formatsIpv6LikeSs(String name, String hex, int port, String expected) {
        Endpoint e = Endpoint.of(HexFormat.of().parseHex(hex), port);
        assertEquals(Family.IPV6, e.family());
        assertEquals(expected, e.toString());
        assertArrayEquals(HexFormat.of().parseHex(hex), e.addressBytes());
    }

    static Stream<Arguments> ipv4Cases() {
        return Stream.of(
                Arguments.of("wildcard", 0, 0, "0.0.0.0:*"),
                Arguments.of("wildcard address, a port", 0, 68, "0.0.0.0:68"),
                Arguments.of("fixture address", 0x0AFEDE25, 58596, "10.254.222.37:58596"),
                Arguments.of("high bit set", 0xFFFFFFFF, 65535, "255.255.255.255:65535"),
                Arguments.of("loopback", 0x7F000001, 6379, "127.0.0.1:6379"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ipv4Cases")
    void formatsIpv4LikeSs(String name, int address, int port, String expected) {
        Endpoint e = Endpoint.ipv4(address, port);
        assertEquals(expected, e.toString());
        assertEquals(e, Endpoint.of(e.addressBytes(), port));
    }

    @Test
    void wildcardsAreTheConstants() {
        assertSame(Endpoint.IPV4_ANY, Endpoint.ipv4(0, 0));
        assertSame(Endpoint.IPV6_ANY, Endpoint.ipv6(0, 0, 0));
        assertEquals("0.0.0.0:*", Endpoint.IPV4_ANY.toString());
        assertEquals("[::]:*", Endpoint.IPV6_ANY.toString());
        assertTrue(Endpoint.IPV6_ANY.isWildcardAddress());
        assertFalse(Endpoint.ipv4(0x7F000001, 0).isWildcardAddress());
    }

    @Test
    void knowsV4Mapped() {
        byte[] mapped = HexFormat.of().parseHex("00000000000000000000ffff7f000001");
        assertTrue(Endpoint.of(mapped, 1).isV4Mapped());
        assertFalse(Endpoint.of(HexFormat.of().parseHex("00000000000000000000000000000001"), 1).isV4Mapped());
        assertFalse(Endpoint.ipv4(0x7F000001, 1).isV4Mapped());
    }

    @Test
    void convertsToInetAddress() throws Exception {
        assertEquals(InetAddress.getByName("10.254.222.37"), Endpoint.ipv4(0x0AFEDE25, 1).inetAddress());
        Endpoint v6 = Endpoint.of(HexFormat.of().parseHex("20010db8123456789abcdef013572468"), 22);
        assertEquals(InetAddress.getByName(Fixtures.A6), v6.inetAddress());
        // A v4-mapped address stays IPv6: the JDK would turn it into 127.0.0.1 if asked by name.
        Endpoint mapped = Endpoint.of(HexFormat.of().parseHex("00000000000000000000ffff7f000001"), 1);
        assertEquals(16, mapped.inetAddress().getAddress().length);
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("port below 0", (Runnable) () -> Endpoint.ipv4(1, -1)),
                Arguments.of("port above 65535", (Runnable) () -> Endpoint.ipv6(0, 1, 65536)),
                Arguments.of("no family", (Runnable) () -> new Endpoint(null, 0, 0, 0)),
                Arguments.of("IPv4 wider than 32 bits", (Runnable) () -> new Endpoint(Family.IPV4, 0, 1L << 32, 0)),
                Arguments.of("IPv4 with high bits", (Runnable) () -> new Endpoint(Family.IPV4, 1, 0, 0)),
                Arguments.of("5 address bytes", (Runnable) () -> Endpoint.of(new byte[5], 0)));
    }

    @ParameterizedTest(name = "error case - {0}")
    @MethodSource("invalid")
    void rejects(String name, Runnable construct) {
        assertThrows(IllegalArgumentException.class, construct::run);
    }

    /** glibc's own inet_ntop, which ss uses. */
    interface LibC extends Library {
        Pointer inet_ntop(int af, byte[] src, byte[] dst, int size);
    }

    @Test
    void agreesWithGlibcInetNtopOnRandomAddresses() {
        LibC libc = Native.load("c", LibC.class);
        Random rnd = new Random(5952);
        byte[] dst = new byte[64];
        for (int n = 0; n < 20_000; n++) {
            byte[] a = new byte[16];
            // Mostly zero words, so that runs, ties and the IPv4 forms all come up often.
            for (int w = 0; w < 8; w++) {
                int kind = rnd.nextInt(8);
                int v = kind < 4 ? 0 : kind == 4 ? 0xFFFF : kind == 5 ? rnd.nextInt(4) : rnd.nextInt(0x10000);
                a[2 * w] = (byte) (v >>> 8);
                a[2 * w + 1] = (byte) v;
            }
            assertNotNull(libc.inet_ntop(10 /* AF_INET6 */, a, dst, dst.length));
            String expected = Native.toString(dst, "US-ASCII");
            assertEquals(expected, Endpoint.of(a, 0).address(), () -> HexFormat.of().formatHex(a));
        }
    }
}
