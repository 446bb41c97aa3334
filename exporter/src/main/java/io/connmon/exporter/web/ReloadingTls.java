package io.connmon.exporter.web;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * One SSLContext for the life of the server whose key and trust managers delegate to the configuration in force,
 * and an {@link HttpsConfigurator} that sets versions, suites and client authentication per connection: a new
 * certificate, key, client CA or policy takes effect at the next connection, without a restart (exporter-toolkit
 * rebuilds its tls.Config per connection the same way).
 */
final class ReloadingTls {

    private final ReloadingWebConfig config;
    private final SSLContext context;
    private final HttpsConfigurator configurator;
    private State state;
    private State previous;
    private long builtFrom = -1;

    /** What one configuration means for the JSSE. */
    private record State(String alias, X509ExtendedKeyManager keys, X509ExtendedTrustManager trust,
            WebConfig.TlsSettings settings) {
    }

    ReloadingTls(ReloadingWebConfig config) throws WebConfigException {
        this.config = config;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[] {new CurrentKeys()},
                    new TrustManager[] {new CurrentTrust()}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the Java runtime offers no TLS", e);
        }
        state(); // fail now, at start, if the JSSE cannot use the material
        configurator = new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                params.setSSLParameters(parameters(state().settings()));
            }
        };
    }

    HttpsConfigurator configurator() {
        return configurator;
    }

    SSLContext context() {
        return context;
    }

    /** The state for the configuration in force, rebuilt when the configuration changed. */
    private synchronized State state() {
        WebConfig c = config.current();
        long g = config.generation();
        if (g != builtFrom) {
            try {
                State next = build(c.tls(), "connmon-" + g);
                previous = state;
                state = next;
            } catch (GeneralSecurityException e) {
                // the material passed WebConfig's checks, so this is unexpected; keep what works
                if (state == null) {
                    throw new IllegalStateException("TLS setup failed: " + e.getMessage(), e);
                }
            }
            builtFrom = g;
        }
        return state;
    }

    private synchronized State byAlias(String alias) {
        if (state != null && state.alias().equals(alias)) {
            return state;
        }
        return previous != null && previous.alias().equals(alias) ? previous : state;
    }

    private static State build(WebConfig.TlsSettings s, String alias) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        char[] none = new char[0];
        ks.setKeyEntry(alias, s.key(), none, s.chain().toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, none);
        X509ExtendedKeyManager keys = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
        return new State(alias, keys, trust(s), s);
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
    private SSLParameters parameters(WebConfig.TlsSettings s) {
        SSLParameters p = context.getDefaultSSLParameters();
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

    /** Chooses the certificate of the configuration in force; looks a chosen alias up where it came from. */
    private final class CurrentKeys extends X509ExtendedKeyManager {
        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return state().keys().chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return state().keys().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return state().keys().getServerAliases(keyType, issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return byAlias(alias).keys().getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return byAlias(alias).keys().getPrivateKey(alias);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    /** Verifies client certificates with the configuration in force. */
    private final class CurrentTrust extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            state().trust().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            state().trust().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            state().trust().checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return state().trust().getAcceptedIssuers();
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a server does not check server certificates");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a server does not check server certificates");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a server does not check server certificates");
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
