package io.connmon.exporter.web;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS of the configuration in force: an SSLContext built for each version of the configuration, behind one
 * facade context that the HttpsServer keeps. Every new connection's engine comes from the context of the
 * configuration in force at that moment, so a new certificate, key, client CA or policy takes effect at the next
 * connection without a restart, and a session made under an older configuration cannot be resumed under a newer
 * one (each context has its own session cache and ticket keys): removing a client CA shuts its clients out at
 * once. (exporter-toolkit likewise builds a new tls.Config for each connection.)
 */
final class ReloadingTls {

    private final ReloadingWebConfig config;
    private final HttpsConfigurator configurator;
    private final ThreadLocal<Built> engineBuiltFrom = new ThreadLocal<>();
    private Built built;
    private long builtFrom = -1;

    /** One configuration's context. */
    private record Built(SSLContext context, WebConfig.TlsSettings settings) {
    }

    ReloadingTls(ReloadingWebConfig config) throws WebConfigException {
        this.config = config;
        Built first;
        try {
            first = current(); // fails now, at start, if the JSSE cannot use the material
        } catch (IllegalStateException e) {
            throw new WebConfigException("web config " + config.file() + ": " + e.getMessage());
        }
        SSLContext context = new SSLContext(new Facade(), first.context().getProvider(), first.context().getProtocol()) {
        };
        configurator = new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                Built b = engineBuiltFrom.get(); // the HttpsServer configures the engine it has just created
                engineBuiltFrom.remove();
                params.setSSLParameters(parameters(b != null ? b : current()));
            }
        };
    }

    HttpsConfigurator configurator() {
        return configurator;
    }

    /** The context of the configuration in force, built anew when the configuration changed. */
    private synchronized Built current() {
        ReloadingWebConfig.Version v = config.version();
        long g = v.generation();
        if (g != builtFrom) {
            try {
                built = build(v.config().tls());
            } catch (GeneralSecurityException e) {
                // the material passed WebConfig's checks, so this is unexpected; keep what works
                if (built == null) {
                    throw new IllegalStateException("TLS setup failed: " + e.getMessage(), e);
                }
            }
            builtFrom = g;
        }
        return built;
    }

    private static Built build(WebConfig.TlsSettings s) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        char[] none = new char[0];
        ks.setKeyEntry("server", s.key(), none, s.chain().toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, none);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf.getKeyManagers(), new TrustManager[] {trust(s)}, null);
        return new Built(c, s);
    }

    /** What the HttpsServer sees as its SSLContext: each call goes to the context in force. */
    private final class Facade extends SSLContextSpi {
        private SSLEngine remember(Built b, SSLEngine e) {
            engineBuiltFrom.set(b);
            return e;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
            throw new UnsupportedOperationException("built from the web configuration file");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return current().context().getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return current().context().getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            Built b = current();
            return remember(b, new PlainHttpRefusal(b.context().createSSLEngine()));
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            Built b = current();
            return remember(b, new PlainHttpRefusal(b.context().createSSLEngine(host, port)));
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return current().context().getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return current().context().getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return current().context().getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return current().context().getSupportedSSLParameters();
        }
    }

    private static X509ExtendedTrustManager trust(WebConfig.TlsSettings s) throws GeneralSecurityException {
        X509Certificate[] issuers = s.clientCas() == null ? new X509Certificate[0]
                : s.clientCas().toArray(new X509Certificate[0]);
        X509TrustManager verifier = null;
        if (s.clientAuth().verifies) {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (s.clientCas() == null) {
                tmf.init((KeyStore) null); // the runtime's roots, as Go falls back to the system's
            } else {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                try {
                    ks.load(null, null);
                } catch (java.io.IOException e) {
                    throw new GeneralSecurityException(e);
                }
                int i = 0;
                for (X509Certificate ca : s.clientCas()) {
                    ks.setCertificateEntry("ca-" + i++, ca);
                }
                tmf.init(ks);
            }
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    verifier = x;
                }
            }
        }
        return new ClientTrust(verifier, issuers, s.allowedSans());
    }

    /**
     * Versions, suites and client authentication for one connection. {@code setNamedGroups} (curve_preferences)
     * exists from Java 20 on; older runtimes take the curves from {@code jdk.tls.namedGroups} (see WebSecurity).
     */
    private static SSLParameters parameters(Built b) {
        WebConfig.TlsSettings s = b.settings();
        SSLParameters p = b.context().getDefaultSSLParameters();
        p.setProtocols(s.protocols().toArray(new String[0]));
        if (s.cipherSuites() != null) {
            p.setCipherSuites(s.cipherSuites().toArray(new String[0]));
        }
        p.setUseCipherSuitesOrder(s.preferServerOrder());
        if (s.clientAuth().requires) {
            p.setNeedClientAuth(true);
        } else if (s.clientAuth().asks) {
            p.setWantClientAuth(true);
        }
        if (s.namedGroups() != null && SET_NAMED_GROUPS != null) {
            try {
                SET_NAMED_GROUPS.invoke(p, (Object) s.namedGroups().toArray(new String[0]));
            } catch (ReflectiveOperationException e) {
                // cannot happen for a public method; the runtime's defaults stay
            }
        }
        return p;
    }

    static final Method SET_NAMED_GROUPS = namedGroupsSetter();

    private static Method namedGroupsSetter() {
        try {
            return SSLParameters.class.getMethod("setNamedGroups", String[].class);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /**
     * client_auth_type's verification: none (RequestClientCert, RequireAnyClientCert accept any certificate, as
     * Go does) or PKIX against the client CAs; then client_allowed_sans, if set.
     */
    static final class ClientTrust extends X509ExtendedTrustManager {
        private final X509TrustManager verifier;
        private final X509Certificate[] issuers;
        private final List<String> allowedSans;

        ClientTrust(X509TrustManager verifier, X509Certificate[] issuers, List<String> allowedSans) {
            this.verifier = verifier;
            this.issuers = issuers;
            this.allowedSans = allowedSans;
        }

        private void check(X509Certificate[] chain, String authType) throws CertificateException {
            if (verifier != null) {
                verifier.checkClientTrusted(chain, authType);
            }
            if (allowedSans != null) {
                checkSans(chain[0]);
            }
        }

        private void checkSans(X509Certificate leaf) throws CertificateException {
            List<String> found = new ArrayList<>();
            try {
                if (leaf.getSubjectAlternativeNames() != null) {
                    for (List<?> san : leaf.getSubjectAlternativeNames()) {
                        int type = (Integer) san.get(0);
                        if (type == 1 || type == 2 || type == 6 || type == 7) { // e-mail, DNS, URI, IP
                            found.add(String.valueOf(san.get(1)));
                        }
                    }
                }
            } catch (CertificateParsingException e) {
                throw new CertificateException("cannot read the client certificate's SANs", e);
            }
            for (String allowed : allowedSans) {
                for (String f : found) {
                    if (f.equals(allowed) || sameAddress(f, allowed)) {
                        return;
                    }
                }
            }
            throw new CertificateException("the client certificate has none of the allowed SANs");
        }

        private static boolean sameAddress(String a, String b) {
            if (!looksLikeAddress(a) || !looksLikeAddress(b)) {
                return false;
            }
            try {
                return InetAddress.getByName(a).equals(InetAddress.getByName(b)); // literals: no DNS lookup
            } catch (UnknownHostException e) {
                return false;
            }
        }

        private static boolean looksLikeAddress(String s) {
            return s.matches("[0-9.]+") || (s.contains(":") && s.matches("[0-9a-fA-F:.]+"));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            if (verifier instanceof X509ExtendedTrustManager x) {
                x.checkClientTrusted(chain, authType, engine);
                if (allowedSans != null) {
                    checkSans(chain[0]);
                }
            } else {
                check(chain, authType);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return issuers.clone();
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("not a client");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("not a client");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a client");
        }
    }
}
