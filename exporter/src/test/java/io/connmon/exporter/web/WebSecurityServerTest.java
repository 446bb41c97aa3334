package io.connmon.exporter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A real JDK HttpServer/HttpsServer on 127.0.0.1 and an ephemeral port, made by WebSecurity from a file, and real
 * JDK clients: client_auth_type, versions, suites, basic auth, headers and reloads as a scraper sees them.
 */
class WebSecurityServerTest {

    @TempDir
    Path dir;

    private final List<String> log = new ArrayList<>();
    private HttpServer server;
    private Path file;

    private static final String TLS = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

    @BeforeEach
    void fixtures() {
        Fixtures.copy("server-rsa-pkcs1.crt", dir, "server.crt");
        Fixtures.copy("server-rsa-pkcs1.key", dir, "server.key");
        Fixtures.copy("ca.crt", dir, "ca.crt");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** Starts a server for {@code yaml}: "/" answers 200 with the client certificate's subject, or "none". */
    private WebSecurity start(String yaml) throws Exception {
        file = Fixtures.write(dir, "web.yml", yaml);
        WebSecurity web = WebSecurity.load(file, (level, line) -> log.add(line));
        server = web.createServer(new InetSocketAddress("127.0.0.1", 0), 16);
        web.guard(server.createContext("/", exchange -> {
            String peer = "none";
            if (exchange instanceof HttpsExchange https) {
                try {
                    peer = https.getSSLSession().getPeerPrincipal().getName();
                } catch (SSLPeerUnverifiedException e) {
                    peer = "none";
                }
            }
            byte[] body = peer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }));
        server.start();
        return web;
    }

    private URI uri(String scheme) {
        return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private static HttpResponse<String> get(HttpClient client, URI uri, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** What a client gets: the peer the server saw, or "refused" when the handshake or the exchange failed. */
    private String answer(String clientCert) throws Exception {
        try {
            HttpResponse<String> r = get(TlsClients.client(clientCert), uri("https"));
            return r.statusCode() + " " + r.body();
        } catch (IOException e) {
            return "refused";
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // client_auth_type          | no certificate | certificate from client_ca_file | certificate from another CA
        "NoClientCert                | 200 none       | 200 none                        | 200 none",
        "RequestClientCert           | 200 none       | 200 CN=scraper                  | 200 CN=stranger",
        "RequireAnyClientCert        | refused        | 200 CN=scraper                  | 200 CN=stranger",
        "VerifyClientCertIfGiven     | 200 none       | 200 CN=scraper                  | refused",
        "RequireAndVerifyClientCert  | refused        | 200 CN=scraper                  | refused"})
    void clientAuthTypesBehaveAsGos(String type, String none, String trusted, String stranger) throws Exception {
        start(TLS + "  client_auth_type: " + type + "\n"
                + (type.equals("NoClientCert") ? "" : "  client_ca_file: ca.crt\n"));
        assertEquals(none, answer(null), "without a certificate");
        assertEquals(trusted, answer("client"), "with a certificate the CA signed");
        assertEquals(stranger, answer("stranger"), "with a certificate of another CA");
    }

    @Test
    void clientAllowedSansMatchDnsAndIpExactly() throws Exception {
        String base = TLS + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n";
        start(base + "  client_allowed_sans: [scraper.example]\n");
        assertEquals("200 CN=scraper", answer("client"));
        server.stop(0);
        start(base + "  client_allowed_sans: [10.0.0.7]\n");
        assertEquals("200 CN=scraper", answer("client"));
        server.stop(0);
        start(base + "  client_allowed_sans: [other.example, scraper]\n");
        assertEquals("refused", answer("client"), "the CN is not a SAN");
    }

    @Test
    void minAndMaxVersionAreEnforced() throws Exception {
        start(TLS + "  min_version: TLS13\n");
        assertThrows(IOException.class, () -> get(TlsClients.client(null, "TLSv1.2"), uri("https")));
        HttpResponse<String> r = get(TlsClients.client(null), uri("https"));
        assertEquals("TLSv1.3", r.sslSession().orElseThrow().getProtocol());
        server.stop(0);
        start(TLS + "  max_version: TLS12\n");
        assertThrows(IOException.class, () -> get(TlsClients.client(null, "TLSv1.3"), uri("https")));
        assertEquals("TLSv1.2", get(TlsClients.client(null), uri("https")).sslSession().orElseThrow().getProtocol());
    }

    @Test
    void tls11IsRefusedByDefault() throws Exception {
        start(TLS);
        assertThrows(IOException.class, () -> get(TlsClients.client(null, "TLSv1.1"), uri("https")));
    }

    @Test
    void cipherSuitesLimitTls12() throws Exception {
        start(TLS + "  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n");
        HttpResponse<String> r = get(TlsClients.client(null), uri("https"));
        assertEquals("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", r.sslSession().orElseThrow().getCipherSuite());
        assertThrows(IOException.class, () -> get(
                TlsClients.clientWithSuites("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), uri("https")));
    }

    @ParameterizedTest
    @CsvSource({"server-rsa-pkcs1", "server-ec-sec1", "server-ec-pkcs8", "server-rsa-pkcs8", "server-ed25519"})
    void servesEveryKeyFormat(String pair) throws Exception {
        Fixtures.copy(pair + ".crt", dir, "server.crt");
        Fixtures.copy(pair + ".key", dir, "server.key");
        start(TLS);
        HttpResponse<String> r = get(TlsClients.client(null), uri("https"));
        assertEquals(200, r.statusCode());
        X509Certificate seen = (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
        assertEquals(Pem.certificates(Fixtures.bytes(pair + ".crt"), pair).get(0), seen);
    }

    @Test
    void basicAuthAnswers401WithWwwAuthenticateAnd200WithTheRightPassword() throws Exception {
        start(TLS + "basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n");
        HttpClient c = TlsClients.client(null);
        HttpResponse<String> r = get(c, uri("https"));
        assertEquals(401, r.statusCode());
        assertEquals("Basic", r.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals("Unauthorized\n", r.body());
        r = get(c, uri("https"), "Authorization", basic("alice", "wrong"));
        assertEquals(401, r.statusCode());
        assertEquals("Basic", r.headers().firstValue("WWW-Authenticate").orElse(null));
        r = get(c, uri("https"), "Authorization", basic("mallory", "correct horse"));
        assertEquals(401, r.statusCode());
        r = get(c, uri("https"), "Authorization", basic("alice", "correct horse"));
        assertEquals(200, r.statusCode());
        assertFalse(r.headers().firstValue("WWW-Authenticate").isPresent());
        HttpResponse<Void> head = c.send(HttpRequest.newBuilder(uri("https"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(401, head.statusCode());
        assertTrue(log.isEmpty(), "nothing logged, and never a credential: " + log);
    }

    @Test
    void basicAuthWorksOverPlainHttpToo() throws Exception {
        WebSecurity web = start("basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n");
        assertFalse(web.tls());
        HttpClient c = HttpClient.newHttpClient();
        assertEquals(401, get(c, uri("http")).statusCode());
        assertEquals(200, get(c, uri("http"), "Authorization", basic("alice", "correct horse")).statusCode());
    }

    @Test
    void headersGoOnEveryAnswer() throws Exception {
        start("http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
                + "    Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  alice: " + Fixtures.ALICE
                + "\n");
        HttpClient c = HttpClient.newHttpClient();
        for (HttpResponse<String> r : List.of(get(c, uri("http")),
                get(c, uri("http"), "Authorization", basic("alice", "correct horse")))) {
            assertEquals("deny", r.headers().firstValue("X-Frame-Options").orElse(null), "status " + r.statusCode());
            assertEquals("max-age=31536000", r.headers().firstValue("Strict-Transport-Security").orElse(null));
        }
    }

    @Test
    void aNewPasswordTakesEffectWithoutRestartAndABadFileKeepsTheLastGood() throws Exception {
        start("basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n");
        HttpClient c = HttpClient.newHttpClient();
        assertEquals(200, get(c, uri("http"), "Authorization", basic("alice", "correct horse")).statusCode());

        Fixtures.write(dir, "web.yml", "basic_auth_users:\n  alice: " + Fixtures.BOB + "\n");
        assertEquals(401, get(c, uri("http"), "Authorization", basic("alice", "correct horse")).statusCode());
        assertEquals(200, get(c, uri("http"), "Authorization", basic("alice", "s3cret:with colon")).statusCode());
        assertEquals(List.of("web config " + file + " reloaded"), log);

        Fixtures.write(dir, "web.yml", "basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n  typo_key\n");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, get(c, uri("http"), "Authorization", basic("alice", "s3cret:with colon")).statusCode());
        }
        assertEquals(2, log.size(), "the bad file is reported once: " + log);
        assertTrue(log.get(1).startsWith("web config " + file + ": not valid YAML: "), log.get(1));
        assertTrue(log.get(1).endsWith("; keeping the previous configuration"), log.get(1));
        assertFalse(String.join("\n", log).contains("$2y$"), "no hash in the log");

        Fixtures.write(dir, "web.yml", "basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n");
        assertEquals(200, get(c, uri("http"), "Authorization", basic("alice", "correct horse")).statusCode());
        assertEquals(3, log.size());
    }

    @Test
    void aNewCertificateIsServedWithoutRestart() throws Exception {
        start(TLS);
        X509Certificate first = (X509Certificate) get(TlsClients.client(null), uri("https")).sslSession()
                .orElseThrow().getPeerCertificates()[0];
        assertEquals(Pem.certificates(Fixtures.bytes("server-rsa-pkcs1.crt"), "c").get(0), first);

        Fixtures.copy("server-ec-sec1.crt", dir, "server.crt");
        Fixtures.copy("server-ec-sec1.key", dir, "server.key");
        X509Certificate second = (X509Certificate) get(TlsClients.client(null), uri("https")).sslSession()
                .orElseThrow().getPeerCertificates()[0];
        assertEquals(Pem.certificates(Fixtures.bytes("server-ec-sec1.crt"), "c").get(0), second);
        assertEquals(List.of("web config " + file + " reloaded"), log);

        // a certificate whose key is not there yet (half-way through a copy) keeps the last good pair
        Fixtures.copy("server-ec-pkcs8.crt", dir, "server.crt");
        X509Certificate third = (X509Certificate) get(TlsClients.client(null), uri("https")).sslSession()
                .orElseThrow().getPeerCertificates()[0];
        assertEquals(second, third);
        assertTrue(log.get(1).contains("the private key does not belong to the certificate"), log.get(1));
    }

    @Test
    void aClientCaRemovedFromTheFileIsRefusedAtTheNextConnectionEvenWithASession() throws Exception {
        start(TLS + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n");
        javax.net.ssl.SSLContext client = TlsClients.context("client"); // one context: its sessions could resume
        HttpClient first = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(client).build();
        assertEquals(200, get(first, uri("https")).statusCode());
        HttpClient again = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(client).build();
        assertEquals(200, get(again, uri("https")).statusCode());

        Fixtures.copy("other-ca.crt", dir, "ca.crt"); // the scraper's CA is no longer trusted
        HttpClient after = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(client).build();
        assertThrows(IOException.class, () -> get(after, uri("https")));
        assertEquals(List.of("web config " + file + " reloaded"), log);
    }

    @Test
    void tlsCannotBeSwitchedOffByAReload() throws Exception {
        start(TLS);
        Fixtures.write(dir, "web.yml", "basic_auth_users: {}\n");
        assertEquals(200, get(TlsClients.client(null), uri("https")).statusCode());
        assertEquals(1, log.size());
        assertTrue(log.get(0).contains("tls_server_config cannot be switched off without a restart"), log.get(0));
    }

    @Test
    void plainHttpToTheTlsPortGets400AsFromGo() throws Exception {
        start(TLS + "basic_auth_users:\n  alice: " + Fixtures.ALICE + "\n");
        for (String request : List.of("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD / HTTP/1.0\r\n\r\n",
                "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n")) {
            try (Socket s = new Socket("127.0.0.1", server.getAddress().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertEquals("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n",
                        answer, request);
            }
        }
        // TLS on the same port still works afterwards
        assertEquals(401, get(TlsClients.client(null), uri("https")).statusCode());
    }

    @Test
    void somethingElseThanHttpOrTlsIsJustClosed() throws Exception {
        start(TLS);
        try (Socket s = new Socket("127.0.0.1", server.getAddress().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] b = s.getInputStream().readNBytes(5);
            assertFalse(new String(b, StandardCharsets.US_ASCII).startsWith("HTTP/"));
        }
    }

    @Test
    void withoutAFileNothingIsGuarded() throws Exception {
        WebSecurity none = WebSecurity.none();
        assertFalse(none.tls());
        assertEquals("http", none.scheme());
        server = none.createServer(new InetSocketAddress("127.0.0.1", 0), 4);
        server.createContext("/", e -> {
            e.sendResponseHeaders(204, -1);
            e.close();
        });
        server.start();
        HttpResponse<String> r = get(HttpClient.newHttpClient(), uri("http"));
        assertEquals(204, r.statusCode());
        assertNull(r.headers().firstValue("WWW-Authenticate").orElse(null));
    }
}
