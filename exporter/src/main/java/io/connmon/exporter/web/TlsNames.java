package io.connmon.exporter.web;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** exporter-toolkit's (Go's) names for TLS versions, cipher suites and curves, and the JDK's names for them. */
final class TlsNames {

    private TlsNames() {
    }

    /** min_version/max_version values, lowest first, to JDK protocol names. */
    static final Map<String, String> VERSIONS = versions();

    private static Map<String, String> versions() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("TLS10", "TLSv1");
        v.put("TLS11", "TLSv1.1");
        v.put("TLS12", "TLSv1.2");
        v.put("TLS13", "TLSv1.3");
        return Collections.unmodifiableMap(v);
    }

    /**
     * The names Go's {@code tls.CipherSuites()} lists (what exporter-toolkit accepts). Go spells them as IANA does,
     * and so does the JDK, so a name maps to itself; the map exists to refuse what Go refuses (e.g. RC4, 3DES and
     * the CBC-SHA256 suites, which Go calls insecure).
     */
    static final Set<String> TLS12_CIPHERS = Set.of(
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /**
     * TLS 1.3 suites: Go lists and accepts them but cannot restrict them (cipher_suites applies to TLS 1.2 and
     * lower); connmon does the same and keeps every TLS 1.3 suite enabled.
     */
    static final List<String> TLS13_CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

    /** curve_preferences values to JDK named groups. */
    static final Map<String, String> CURVES = Map.of(
            "CurveP256", "secp256r1",
            "CurveP384", "secp384r1",
            "CurveP521", "secp521r1",
            "X25519", "x25519");
}
