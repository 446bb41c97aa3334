package io.connmon.exporter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Strict parsing of exporter-toolkit's web configuration file: every mistake is one line naming file and key. */
class WebConfigTest {

    @TempDir
    Path dir;

    private static final String TLS = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

    @BeforeEach
    void fixtures() {
        Fixtures.copy("server-rsa-pkcs1.crt", dir, "server.crt");
        Fixtures.copy("server-rsa-pkcs1.key", dir, "server.key");
        Fixtures.copy("ca.crt", dir, "ca.crt");
    }

    private WebConfig load(String yaml) throws WebConfigException {
        return WebConfig.load(Fixtures.write(dir, "web.yml", yaml));
    }

    private String error(String yaml) {
        Path f = Fixtures.write(dir, "web.yml", yaml);
        String m = assertThrows(WebConfigException.class, () -> WebConfig.load(f)).getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        String prefix = "web config " + f + ": ";
        assertTrue(m.startsWith(prefix), m);
        return m.substring(prefix.length());
    }

    @Test
    void anEmptyFileIsPlainHttpWithoutAuthentication() throws Exception {
        WebConfig c = load("# nothing yet\n");
        assertNull(c.tls());
        assertEquals(Map.of(), c.users());
        assertEquals(Map.of(), c.headers());
    }

    @Test
    void unknownKeysAreErrorsNamingKeyPlaceAndLine() {
        assertEquals("unknown key \"tls_config\" (line 1)", error("tls_config:\n  cert_file: a\n"));
        assertEquals("unknown key \"certfile\" in tls_server_config (line 3)",
                error("tls_server_config:\n  key_file: server.key\n  certfile: server.crt\n"));
        assertEquals("unknown key \"header\" in http_server_config (line 2)",
                error("http_server_config:\n  header:\n    X-Frame-Options: deny\n"));
    }

    @Test
    void malformedYamlIsOneLine() {
        String m = error("basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n bob: [\n");
        assertTrue(m.startsWith("not valid YAML: "), m);
        assertTrue(m.contains("(line "), m);
        assertFalse(m.contains(Fixtures.ALICE), "no hash in the message: " + m);
    }

    @Test
    void duplicateKeysAreErrors() {
        String m = error("basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n  alice: " + Fixtures.BOB + "\n");
        assertTrue(m.contains("Duplicate field 'alice'"), m);
    }

    @Test
    void wrongShapesAreErrors() {
        String m = error("basic_auth_users:\n  - alice\n");
        assertTrue(m.startsWith("basic_auth_users: "), m);
        m = error("tls_server_config:\n  cipher_suites: TLS_AES_128_GCM_SHA256\n");
        assertTrue(m.startsWith("tls_server_config.cipher_suites: "), m);
    }

    @Test
    void aMissingFileSaysSo() {
        Path f = dir.resolve("absent.yml");
        assertEquals("web config " + f + ": no such file",
                assertThrows(WebConfigException.class, () -> WebConfig.load(f)).getMessage());
    }

    @Test
    void pathsAreRelativeToTheFilesFolder() throws Exception {
        Path sub = dir.resolve("etc");
        Fixtures.copy("server-ec-sec1.crt", sub, "tls/server.crt");
        Fixtures.copy("server-ec-sec1.key", sub, "tls/server.key");
        WebConfig c = WebConfig.load(Fixtures.write(java.nio.file.Files.createDirectories(sub), "web.yml",
                "tls_server_config:\n  cert_file: tls/server.crt\n  key_file: " + sub.resolve("tls/server.key")
                        + "\n"));
        assertEquals("EC", c.tls().key().getAlgorithm());
        assertEquals(ClientAuth.NO_CLIENT_CERT, c.tls().clientAuth());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), c.tls().protocols(), "default: TLS12 to TLS13");
        assertNull(c.tls().cipherSuites());
        assertTrue(c.tls().preferServerOrder());
    }

    @Test
    void aMissingCertificateFileNamesItsPath() {
        assertEquals("tls_server_config.cert_file " + dir.resolve("nope.crt") + ": no such file",
                error("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n"));
        assertEquals("tls_server_config: missing one of key or key_file",
                error("tls_server_config:\n  cert_file: server.crt\n"));
        assertEquals("tls_server_config.client_ca_file " + dir.resolve("x.pem") + ": no such file",
                error(TLS + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: x.pem\n"));
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsAnError() {
        Fixtures.copy("server-ec-pkcs8.key", dir, "server.key");
        String m = error(TLS);
        assertTrue(m.startsWith("tls_server_config.key_file: not a valid RSA private key (the certificate's key "
                + "type): "), m);
    }

    @ParameterizedTest
    @CsvSource({
        "TLS10, TLS13, TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
        "TLS12, TLS12, TLSv1.2",
        "TLS13, TLS13, TLSv1.3",
        "TLS11, TLS12, TLSv1.1 TLSv1.2"})
    void versionsSpanMinToMax(String min, String max, String protocols) throws Exception {
        WebConfig c = load(TLS + "  min_version: " + min + "\n  max_version: " + max + "\n");
        assertEquals(List.of(protocols.split(" ")), c.tls().protocols());
    }

    @Test
    void badVersionsAreErrors() {
        assertEquals("tls_server_config.min_version: unknown TLS version \"TLS1.2\" (expected TLS10, TLS11, TLS12 "
                + "or TLS13)", error(TLS + "  min_version: TLS1.2\n"));
        assertEquals("tls_server_config.min_version TLS13 is above max_version TLS12",
                error(TLS + "  min_version: TLS13\n  max_version: TLS12\n"));
    }

    @Test
    void cipherSuitesTakeGosNamesAndKeepTls13() throws Exception {
        WebConfig c = load(TLS + "  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
                + "    - TLS_AES_128_GCM_SHA256\n    - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n");
        assertEquals(List.of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"),
                c.tls().cipherSuites());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256", "tls_ecdhe_rsa_with_aes_128_gcm_sha256"})
    void unknownOrInsecureCiphersAreErrors(String name) {
        assertEquals("tls_server_config.cipher_suites: unknown cipher \"" + name + "\" (Go's names, e.g. "
                + "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)", error(TLS + "  cipher_suites: [" + name + "]\n"));
    }

    @Test
    void clientAuthTypesAndTheirCaRules() throws Exception {
        for (ClientAuth a : ClientAuth.values()) {
            WebConfig c = load(TLS + "  client_auth_type: " + a.yamlName() + "\n"
                    + (a == ClientAuth.NO_CLIENT_CERT ? "" : "  client_ca_file: ca.crt\n"));
            assertEquals(a, c.tls().clientAuth());
        }
        assertEquals(ClientAuth.REQUIRE_ANY_CLIENT_CERT,
                load(TLS + "  client_auth_type: RequireClientCert\n").tls().clientAuth(), "the old spelling");
        assertTrue(error(TLS + "  client_auth_type: RequireAndVerify\n")
                .startsWith("tls_server_config.client_auth_type: unknown value \"RequireAndVerify\""));
        assertEquals("tls_server_config.client_ca_file is set but client_auth_type is NoClientCert: set "
                + "client_auth_type (RequireAndVerifyClientCert to authenticate clients)",
                error(TLS + "  client_ca_file: ca.crt\n"));
        assertEquals("tls_server_config.client_allowed_sans requires client_auth_type to be one of "
                + "RequireAnyClientCert or RequireAndVerifyClientCert", error(TLS
                        + "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n"
                        + "  client_allowed_sans: [scraper.example]\n"));
        WebConfig c = load(TLS + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
                + "  client_allowed_sans: [scraper.example]\n");
        assertEquals(List.of("scraper.example"), c.tls().allowedSans());
        assertEquals("CN=connmon test CA", c.tls().clientCas().get(0).getSubjectX500Principal().getName());
    }

    @Test
    void curvePreferencesAreCheckedAndNeedJava20() {
        assertTrue(error(TLS + "  curve_preferences: [CurveP256, P-999]\n")
                .startsWith("tls_server_config.curve_preferences: unknown curve \"P-999\""));
        String yaml = TLS + "  curve_preferences: [X25519, CurveP256]\n";
        if (ReloadingTls.SET_NAMED_GROUPS == null) {
            assertEquals("tls_server_config.curve_preferences needs Java 20 or newer (this is Java "
                    + Runtime.version().feature() + "); remove it, or choose the curves for the whole runtime with "
                    + "JAVA_OPTS=-Djdk.tls.namedGroups=x25519,secp256r1", error(yaml));
        } else {
            assertEquals(List.of("x25519", "secp256r1"),
                    assertDoesNotThrowLoad(yaml).tls().namedGroups());
        }
    }

    private WebConfig assertDoesNotThrowLoad(String yaml) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> load(yaml));
    }

    @Test
    void otherToolkitKeysAreAcceptedOrRefusedClearly() throws Exception {
        WebConfig c = load(TLS + "  prefer_server_cipher_suites: false\nhttp_server_config:\n  http2: false\n");
        assertFalse(c.tls().preferServerOrder());
        assertEquals("rate_limit is not supported by connmon (its HTTP server bounds concurrent requests itself); "
                + "remove the key", error("rate_limit:\n  interval: 1s\n  burst: 10\n"));
    }

    @Test
    void tlsIsOffUnlessCertificateKeyCaOrClientAuthIsSet() throws Exception {
        assertNull(load("tls_server_config:\n  min_version: TLS13\n").tls(), "as exporter-toolkit");
    }

    @Test
    void inlineCertificateAndKeyWork() throws Exception {
        String cert = new String(Fixtures.bytes("server-ec-sec1.crt")).replace("\n", "\n    ");
        String key = new String(Fixtures.bytes("server-ec-sec1.key")).replace("\n", "\n    ");
        WebConfig c = load("tls_server_config:\n  cert: |\n    " + cert + "\n  key: |\n    " + key + "\n");
        assertEquals("EC", c.tls().key().getAlgorithm());
        assertEquals("tls_server_config.cert and tls_server_config.cert_file are both set: use one",
                error("tls_server_config:\n  cert: |\n    " + cert + "\n  cert_file: server.crt\n"
                        + "  key_file: server.key\n"));
    }

    @Test
    void bcryptHashesAsHtpasswdAndOthersWriteThem() throws Exception {
        String b2a = org.springframework.security.crypto.bcrypt.BCrypt.hashpw("pw",
                org.springframework.security.crypto.bcrypt.BCrypt.gensalt("$2a", 4));
        String b2b = org.springframework.security.crypto.bcrypt.BCrypt.hashpw("pw",
                org.springframework.security.crypto.bcrypt.BCrypt.gensalt("$2b", 4));
        WebConfig c = load("basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n  carol: '" + b2a + "'\n  dave: "
                + b2b + "\n");
        assertEquals(Map.of("alice", Fixtures.ALICE, "carol", b2a, "dave", b2b), c.users());
    }

    @Test
    void toStringShowsNoSecret() throws Exception {
        String s = load(TLS + "basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n").toString();
        assertEquals("WebConfig[tls=NoClientCert [TLSv1.2, TLSv1.3], users=[alice], headers=[]]", s);
    }

    @Test
    void aPlainPasswordIsRefusedWithoutBeingRepeated() {
        String m = error("basic_auth_users:\n  alice: hunter2hunter2\n");
        assertEquals("basic_auth_users: the password of user \"alice\" is not a bcrypt hash ($2a$, $2b$ or $2y$, "
                + "e.g. from htpasswd -nbBC 10 USER PASS)", m);
        assertFalse(m.contains("hunter2"));
        assertTrue(error("basic_auth_users:\n  alice:\n").contains("user \"alice\" is not a bcrypt hash"));
        assertTrue(error("basic_auth_users:\n  alice: '" + Fixtures.ALICE.replace("$05$", "$03$") + "'\n")
                .contains("must be 4 to 31, not 3"));
    }

    @Test
    void onlyTheHeadersExporterToolkitAllows() throws Exception {
        WebConfig c = load("http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
                + "    X-Content-Type-Options: nosniff\n    Strict-Transport-Security: max-age=31536000\n"
                + "    Content-Security-Policy: \"default-src 'self'\"\n    X-XSS-Protection: ''\n");
        assertEquals(Map.of("X-Frame-Options", "deny", "X-Content-Type-Options", "nosniff",
                "Strict-Transport-Security", "max-age=31536000", "Content-Security-Policy", "default-src 'self'"),
                c.headers(), "a blank value sets nothing");
        assertEquals("http_server_config.headers: HTTP header \"Server\" can not be configured (allowed: "
                + "Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
                + "X-XSS-Protection)", error("http_server_config:\n  headers:\n    Server: connmon\n"));
        assertEquals("http_server_config.headers: invalid value for X-Frame-Options: \"allow\" (expected one of "
                + "deny, sameorigin)", error("http_server_config:\n  headers:\n    X-Frame-Options: allow\n"));
        assertEquals("http_server_config.headers: invalid value for X-Content-Type-Options: \"sniff\" (expected "
                + "one of nosniff)", error("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n"));
    }
}
