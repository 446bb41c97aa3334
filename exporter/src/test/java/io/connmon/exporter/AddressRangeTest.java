package io.connmon.exporter;

import io.connmon.parser.model.Family;

import static io.connmon.exporter.Sockets.ep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressRangeTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        // IPv4 blocks
        "10.0.0.0/8,       10.0.0.0,          true",
        "10.0.0.0/8,       10.255.255.255,    true",
        "10.0.0.0/8,       11.0.0.0,          false",
        "10.0.0.0/8,       9.255.255.255,     false",
        "10.1.2.3/8,       10.200.0.1,        true",   // host bits in the block are ignored
        "192.168.1.0/24,   192.168.1.77,      true",
        "192.168.1.0/24,   192.168.2.77,      false",
        "172.16.0.0/12,    172.31.255.255,    true",
        "172.16.0.0/12,    172.32.0.0,        false",
        // prefix 32 and a bare address
        "127.0.0.1/32,     127.0.0.1,         true",
        "127.0.0.1/32,     127.0.0.2,         false",
        "127.0.0.1,        127.0.0.1,         true",
        "127.0.0.1,        127.0.0.2,         false",
        // prefix 0 holds every IPv4 address, and only those
        "0.0.0.0/0,        0.0.0.0,           true",
        "0.0.0.0/0,        255.255.255.255,   true",
        "0.0.0.0/0,        2001:db8::1,       false",
        // an IPv4 range matches v4-mapped IPv6 addresses as dual-stack sockets show them
        "127.0.0.0/8,      ::ffff:127.0.0.1,  true",
        "10.0.0.0/8,       ::ffff:10.9.8.7,   true",
        "10.0.0.0/8,       ::ffff:11.9.8.7,   false",
        "127.0.0.1,        ::ffff:127.0.0.1,  true",
        "0.0.0.0/0,        ::ffff:1.2.3.4,    true",
        // but not IPv4-compatible or other IPv6 addresses whose low bits look alike
        "127.0.0.1,        ::127.0.0.1,       false",
        "127.0.0.1,        64:ff9b::127.0.0.1, false",
        "1.0.0.0/8,        ::1,               false",
        // IPv6 blocks, at and around the 64-bit boundary of the representation
        "2001:db8::/32,    2001:db8::1,       true",
        "2001:db8::/32,    2001:db8:ffff:ffff:ffff:ffff:ffff:ffff, true",
        "2001:db8::/32,    2001:db9::,        false",
        "2001:db8:0:1::/64, 2001:db8:0:1:ffff:ffff:ffff:ffff, true",
        "2001:db8:0:1::/64, 2001:db8:0:2::,   false",
        "2001:db8:0:1::/65, 2001:db8:0:1:7fff::1, true",
        "2001:db8:0:1::/65, 2001:db8:0:1:8000::, false",
        "2001:db8::/63,    2001:db8:0:1::,    true",
        "2001:db8::/63,    2001:db8:0:2::,    false",
        "fe80::/10,        febf::1,           true",
        "fe80::/10,        fec0::1,           false",
        // prefix 128 and a bare IPv6 address
        "2001:db8::1/128,  2001:db8::1,       true",
        "2001:db8::1/128,  2001:db8::2,       false",
        "2001:db8::1/127,  2001:db8::,        true",
        "2001:db8::1/127,  2001:db8::2,       false",
        "::1,              ::1,               true",
        "::1,              ::2,               false",
        "::1,              127.0.0.1,         false",
        // prefix 0 holds every IPv6 address, v4-mapped ones included, and no IPv4 one
        "::/0,             ffff:ffff::ffff,   true",
        "::/0,             ::ffff:10.0.0.1,   true",
        "::/0,             10.0.0.1,          false",
        // a v4-mapped block written as IPv6
        "::ffff:10.0.0.0/104, ::ffff:10.1.2.3, true",
        "::ffff:10.0.0.0/104, ::ffff:11.1.2.3, false",
    })
    void contains(String range, String address, boolean expected) {
        assertEquals(expected, AddressRange.parse(range).contains(ep(address, 443)));
    }

    @Test
    void parsesFamilyAndPrefix() {
        AddressRange v4 = AddressRange.parse("10.0.0.0/8");
        assertEquals(Family.IPV4, v4.family());
        assertEquals(8, v4.prefix());
        assertEquals(0x0A000000L, v4.low());
        assertEquals(32, AddressRange.parse("10.1.2.3").prefix());
        AddressRange v6 = AddressRange.parse("2001:db8::/32");
        assertEquals(Family.IPV6, v6.family());
        assertEquals(32, v6.prefix());
        assertEquals(0x20010db800000000L, v6.high());
        assertEquals(0L, v6.low());
        assertEquals(128, AddressRange.parse("::1").prefix());
        assertEquals(1L, AddressRange.parse("::1").low());
        AddressRange mapped = AddressRange.parse("::ffff:10.0.0.1");
        assertEquals(Family.IPV6, mapped.family(), "a v4-mapped literal stays IPv6");
        assertEquals(0x0000ffff0a000001L, mapped.low());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "::/129", "10.0.0.0/", "10.0.0.0/x", "/8",
        "10.0.0/8", "10.0.0.0.0", "256.0.0.1", "1.2.3.-4", "1.2.3.1234", "a.b.c.d", "localhost", "example.com",
        "2001:db8::g", "1::2::3", "example.com:80", "10.0.0.1 ", " 10.0.0.1"})
    void refusesWhatIsNotAnAddressOrBlock(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AddressRange.parse(text));
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void theErrorNamesTheCulprit() {
        assertTrue(AddressRange.parse("10.0.0.0/8") != null);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AddressRange.parse("10.0.0.0/33"))
                .getMessage().contains("0 to 32"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AddressRange.parse("::/129"))
                .getMessage().contains("0 to 128"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AddressRange.parse("web1"))
                .getMessage().contains("'web1'"));
    }
}
