package io.connmon.exporter.web;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * A checked web configuration: exporter-toolkit's file ({@code --web.config.file}) with its certificates and keys
 * read and every value validated.
 *
 * <pre>{@code
 * WebConfig c = WebConfig.load(Path.of("/etc/connmon/web.yml"));
 * c.tls();          // null: plain HTTP
 * c.users();        // user -> bcrypt hash; empty: no basic auth
 * }</pre>
 *
 * @param tls     the TLS settings, or null for plain HTTP
 * @param users   user name to bcrypt hash ({@code basic_auth_users}); empty when authentication is off
 * @param headers headers added to every response ({@code http_server_config.headers})
 */
public record WebConfig(TlsSettings tls, Map<String, String> users, Map<String, String> headers) {

    public WebConfig {
        users = Collections.unmodifiableMap(new LinkedHashMap<>(users));
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** Names what is set, never a hash or a key. */
    @Override
    public String toString() {
        return "WebConfig[tls=" + (tls == null ? "off" : tls.clientAuth().yamlName() + " " + tls.protocols())
                + ", users=" + users.keySet() + ", headers=" + headers.keySet() + "]";
    }

    /** No TLS, no authentication, no extra headers: connmon without a web configuration file. */
    public static final WebConfig NONE = new WebConfig(null, Map.of(), Map.of());

    /**
     * TLS as the file sets it; certificates and key already read and checked to be a pair.
     *
     * @param chain             the server's certificate chain, leaf first
     * @param key               the leaf's private key
     * @param clientAuth        client_auth_type
     * @param clientCas         client_ca_file's certificates; null when none is set (verification then uses the
     *                          Java runtime's trusted roots, as Go uses the system's)
     * @param protocols         the JDK protocol names from min_version to max_version
     * @param cipherSuites      the enabled suites when cipher_suites is set (with every TLS 1.3 suite), else null
     * @param preferServerOrder prefer_server_cipher_suites
     * @param namedGroups       JDK names of curve_preferences, or null
     * @param allowedSans       client_allowed_sans, or null
     */
    public record TlsSettings(List<X509Certificate> chain, PrivateKey key, ClientAuth clientAuth,
            List<X509Certificate> clientCas, List<String> protocols, List<String> cipherSuites,
            boolean preferServerOrder, List<String> namedGroups, List<String> allowedSans) {
    }

    /** The files one load read, with their bytes (null: could not be read), so a reload can tell what changed. */
    static final class Reads {
        final Map<Path, byte[]> files = new LinkedHashMap<>();

        byte[] read(Path p) throws IOException {
            try {
                byte[] b = Files.readAllBytes(p);
                files.put(p, b);
                return b;
            } catch (IOException e) {
                files.put(p, null);
                throw e;
            }
        }
    }

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** bcrypt as htpasswd -B, Go's bcrypt and Spring's BCrypt write it: $2a$, $2b$ or $2y$, two-digit cost. */
    static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");

    /** The headers exporter-toolkit lets a file set, with their allowed values (empty: any value). */
    static final Map<String, List<String>> ALLOWED_HEADERS = Map.of(
            "Strict-Transport-Security", List.of(),
            "X-Content-Type-Options", List.of("nosniff"),
            "X-Frame-Options", List.of("deny", "sameorigin"),
            "X-XSS-Protection", List.of(),
            "Content-Security-Policy", List.of());

    /**
     * Reads and checks the file and everything it names.
     *
     * @throws WebConfigException with one line naming the file and the problem
     */
    public static WebConfig load(Path file) throws WebConfigException {
        return load(file, new Reads());
    }

    static WebConfig load(Path file, Reads reads) throws WebConfigException {
        try {
            byte[] text;
            try {
                text = reads.read(file);
            } catch (NoSuchFileException e) {
                throw new WebConfigException("no such file");
            } catch (IOException e) {
                throw new WebConfigException("cannot read: " + e);
            }
            Path dir = file.toAbsolutePath().getParent();
            try {
                return check(parse(text), dir, reads);
            } catch (RuntimeException e) { // a library choking on odd input: still one line, never a crash
                throw new WebConfigException("cannot use it: " + e.getClass().getSimpleName() + ": "
                        + Pem.oneLine(e.getMessage()));
            }
        } catch (WebConfigException e) {
            throw new WebConfigException("web config " + file + ": " + e.getMessage());
        }
    }

    static WebConfigYaml parse(byte[] text) throws WebConfigException {
        try (JsonParser p = YAML.createParser(text)) {
            if (p.nextToken() == null) {
                return new WebConfigYaml(null, null, null, null); // empty file: as exporter-toolkit, no TLS, no auth
            }
            return YAML.readValue(p, WebConfigYaml.class);
        } catch (UnrecognizedPropertyException e) {
            String where = path(e);
            return fail("unknown key \"" + e.getPropertyName() + "\"" + (where.isEmpty() ? "" : " in " + where)
                    + lineOf(text, e.getPropertyName()));
        } catch (JsonMappingException e) {
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof StreamReadException syntax) { // a YAML syntax error met while binding
                    return fail("not valid YAML: " + yamlProblem(syntax.getOriginalMessage())
                            + line(syntax.getLocation()));
                }
            }
            String where = path(e);
            return fail((where.isEmpty() ? "" : where + ": ") + Pem.oneLine(e.getOriginalMessage())
                    + line(e.getLocation()));
        } catch (JsonProcessingException e) {
            return fail("not valid YAML: " + yamlProblem(e.getOriginalMessage()) + line(e.getLocation()));
        } catch (IOException e) {
            return fail("cannot read: " + e);
        }
    }

    private static WebConfigYaml fail(String message) throws WebConfigException {
        throw new WebConfigException(message);
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream().filter(r -> r.getFieldName() != null)
                .map(JsonMappingException.Reference::getFieldName)
                .limit(Math.max(0, e.getPath().size() - (e instanceof UnrecognizedPropertyException ? 1 : 0)))
                .collect(Collectors.joining("."));
    }

    /** Where a key first appears (Jackson reports an unknown key of a record at the end of its object). */
    private static String lineOf(byte[] text, String key) {
        String[] lines = new String(text, StandardCharsets.UTF_8).split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.startsWith("- ")) {
                l = l.substring(2).strip();
            }
            if (l.startsWith(key + ":") || l.startsWith("\"" + key + "\":") || l.startsWith("'" + key + "':")) {
                return " (line " + (i + 1) + ")";
            }
        }
        return "";
    }

    /**
     * SnakeYAML's explanation without its quotes of the file (indented lines), which could show a secret: e.g.
     * "while scanning a simple key; could not find expected ':'".
     */
    static String yamlProblem(String message) {
        if (message == null) {
            return "unknown error";
        }
        List<String> parts = new ArrayList<>();
        for (String l : message.split("\r?\n")) {
            if (!l.isBlank() && !Character.isWhitespace(l.charAt(0))) {
                parts.add(l.strip());
            }
        }
        return parts.isEmpty() ? "unknown error" : String.join("; ", parts);
    }

    private static String line(JsonLocation l) {
        return l == null || l.getLineNr() <= 0 ? "" : " (line " + l.getLineNr() + ")";
    }

    static WebConfig check(WebConfigYaml y, Path dir, Reads reads) throws WebConfigException {
        if (y.rateLimit() != null) {
            throw new WebConfigException("rate_limit is not supported by connmon (its HTTP server bounds "
                    + "concurrent requests itself); remove the key");
        }
        Map<String, String> users = new LinkedHashMap<>();
        if (y.basicAuthUsers() != null) {
            for (Map.Entry<String, String> u : y.basicAuthUsers().entrySet()) {
                String hash = u.getValue();
                if (hash == null || !BCRYPT.matcher(hash).matches()) {
                    // never print the value: it might be a plain-text password written by mistake
                    throw new WebConfigException("basic_auth_users: the password of user \"" + u.getKey()
                            + "\" is not a bcrypt hash ($2a$, $2b$ or $2y$, e.g. from htpasswd -nbBC 10 USER PASS)");
                }
                int cost = Integer.parseInt(hash.substring(4, 6));
                if (cost < 4 || cost > 31) {
                    throw new WebConfigException("basic_auth_users: the bcrypt cost of user \"" + u.getKey()
                            + "\" must be 4 to 31, not " + cost);
                }
                users.put(u.getKey(), hash);
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        if (y.http() != null && y.http().headers() != null) {
            for (Map.Entry<String, String> h : y.http().headers().entrySet()) {
                List<String> allowed = ALLOWED_HEADERS.get(h.getKey());
                if (allowed == null) {
                    throw new WebConfigException("http_server_config.headers: HTTP header \"" + h.getKey()
                            + "\" can not be configured (allowed: " + String.join(", ",
                                    new java.util.TreeSet<>(ALLOWED_HEADERS.keySet())) + ")");
                }
                String v = h.getValue() == null ? "" : h.getValue();
                if (!allowed.isEmpty() && !allowed.contains(v)) {
                    throw new WebConfigException("http_server_config.headers: invalid value for " + h.getKey()
                            + ": \"" + v + "\" (expected one of " + String.join(", ", allowed) + ")");
                }
                if (!v.isEmpty()) {
                    headers.put(h.getKey(), v);
                }
            }
        }
        return new WebConfig(tls(y.tls(), dir, reads), users, headers);
    }

    private static boolean set(String s) {
        return s != null && !s.isEmpty();
    }

    private static TlsSettings tls(WebConfigYaml.Tls t, Path dir, Reads reads) throws WebConfigException {
        if (t == null || !(set(t.certFile()) || set(t.cert()) || set(t.keyFile()) || set(t.key())
                || set(t.clientCaFile()) || set(t.clientCa()) || set(t.clientAuthType()))) {
            return null; // exporter-toolkit: no certificate, key, CA or client_auth_type means plain HTTP
        }
        String p = "tls_server_config.";
        byte[] certPem = material(t.cert(), t.certFile(), "cert", dir, reads, true);
        byte[] keyPem = material(t.key(), t.keyFile(), "key", dir, reads, true);
        List<X509Certificate> chain = Pem.certificates(certPem, p + (set(t.certFile()) ? "cert_file" : "cert"));
        PrivateKey key = Pem.privateKey(keyPem, p + (set(t.keyFile()) ? "key_file" : "key"),
                chain.get(0).getPublicKey());

        ClientAuth auth = ClientAuth.parse(t.clientAuthType());
        byte[] caPem = material(t.clientCa(), t.clientCaFile(), "client_ca", dir, reads, false);
        List<X509Certificate> cas = caPem == null ? null
                : Pem.certificates(caPem, p + (set(t.clientCaFile()) ? "client_ca_file" : "client_ca"));
        if (cas != null && auth == ClientAuth.NO_CLIENT_CERT) {
            throw new WebConfigException(p + "client_ca_file is set but client_auth_type is NoClientCert: set "
                    + "client_auth_type (RequireAndVerifyClientCert to authenticate clients)");
        }
        if (t.clientAllowedSans() != null && !auth.requires) {
            throw new WebConfigException(p + "client_allowed_sans requires client_auth_type to be one of "
                    + "RequireAnyClientCert or RequireAndVerifyClientCert");
        }

        List<String> names = new ArrayList<>(TlsNames.VERSIONS.keySet());
        String min = t.minVersion() == null ? "TLS12" : t.minVersion();
        String max = t.maxVersion() == null ? "TLS13" : t.maxVersion();
        for (String[] v : new String[][] {{"min_version", min}, {"max_version", max}}) {
            if (!TlsNames.VERSIONS.containsKey(v[1])) {
                throw new WebConfigException(p + v[0] + ": unknown TLS version \"" + v[1] + "\" (expected TLS10, "
                        + "TLS11, TLS12 or TLS13)");
            }
        }
        if (names.indexOf(min) > names.indexOf(max)) {
            throw new WebConfigException(p + "min_version " + min + " is above max_version " + max);
        }
        List<String> protocols = new ArrayList<>();
        for (String n : names.subList(names.indexOf(min), names.indexOf(max) + 1)) {
            protocols.add(TlsNames.VERSIONS.get(n));
        }

        List<String> suites = null;
        if (t.cipherSuites() != null && !t.cipherSuites().isEmpty()) {
            Set<String> supported = Set.of(defaultContext().getSupportedSSLParameters().getCipherSuites());
            suites = new ArrayList<>();
            for (String c : t.cipherSuites()) {
                if (TlsNames.TLS13_CIPHERS.contains(c)) {
                    continue; // TLS 1.3 suites cannot be restricted, in Go as here
                }
                if (!TlsNames.TLS12_CIPHERS.contains(c)) {
                    throw new WebConfigException(p + "cipher_suites: unknown cipher \"" + c + "\" (Go's names, "
                            + "e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
                }
                if (!supported.contains(c)) {
                    throw new WebConfigException(p + "cipher_suites: " + c + " is not supported by this Java "
                            + "runtime");
                }
                suites.add(c);
            }
            suites.addAll(TlsNames.TLS13_CIPHERS.stream().filter(supported::contains).toList());
        }
        List<String> groups = null;
        if (t.curvePreferences() != null && !t.curvePreferences().isEmpty()) {
            groups = new ArrayList<>();
            for (String c : t.curvePreferences()) {
                String g = TlsNames.CURVES.get(c);
                if (g == null) {
                    throw new WebConfigException(p + "curve_preferences: unknown curve \"" + c + "\" (expected "
                            + "CurveP256, CurveP384, CurveP521 or X25519)");
                }
                groups.add(g);
            }
            if (ReloadingTls.SET_NAMED_GROUPS == null) {
                throw new WebConfigException(p + "curve_preferences needs Java 20 or newer (this is Java "
                        + Runtime.version().feature() + "); remove it, or choose the curves for the whole runtime "
                        + "with JAVA_OPTS=-Djdk.tls.namedGroups=" + String.join(",", groups));
            }
        }
        boolean prefer = t.preferServerCipherSuites() == null || t.preferServerCipherSuites();
        return new TlsSettings(List.copyOf(chain), key, auth, cas == null ? null : List.copyOf(cas),
                List.copyOf(protocols), suites == null ? null : List.copyOf(suites), prefer,
                groups == null ? null : List.copyOf(groups),
                t.clientAllowedSans() == null ? null : List.copyOf(t.clientAllowedSans()));
    }

    private static byte[] material(String inline, String file, String key, Path dir, Reads reads, boolean required)
            throws WebConfigException {
        String p = "tls_server_config.";
        if (set(inline) && set(file)) {
            throw new WebConfigException(p + key + " and " + p + key + "_file are both set: use one");
        }
        if (set(inline)) {
            return inline.getBytes(StandardCharsets.US_ASCII);
        }
        if (!set(file)) {
            if (required) {
                throw new WebConfigException("tls_server_config: missing one of " + key + " or " + key + "_file");
            }
            return null;
        }
        Path path = dir.resolve(file); // relative to the configuration file's folder; absolute stays absolute
        try {
            return reads.read(path);
        } catch (NoSuchFileException e) {
            throw new WebConfigException(p + key + "_file " + path + ": no such file");
        } catch (IOException e) {
            throw new WebConfigException(p + key + "_file " + path + ": cannot read (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ")");
        }
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
