package io.connmon.exporter.web;

import java.net.Socket;
import java.net.http.HttpClient;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/** Real JDK TLS clients that trust the test CA, optionally with a client certificate. */
final class TlsClients {

    private TlsClients() {
    }

    /**
     * A client context trusting ca.crt; with {@code clientCert} (a fixture name without extension) it presents that
     * certificate whenever asked, even to a server whose CA list does not name its issuer (so that the server's
     * verification, not the client's choice, decides).
     */
    static SSLContext context(String clientCert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", Pem.certificates(Fixtures.bytes("ca.crt"), "ca").get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        KeyManager[] km = null;
        if (clientCert != null) {
            List<X509Certificate> chain = Pem.certificates(Fixtures.bytes(clientCert + ".crt"), clientCert);
            PrivateKey key = Pem.privateKey(Fixtures.bytes(clientCert + ".key"), clientCert,
                    chain.get(0).getPublicKey());
            km = new KeyManager[] {new AlwaysPresent(chain.toArray(new X509Certificate[0]), key)};
        }
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(km, tmf.getTrustManagers(), null);
        return c;
    }

    static HttpClient client(String clientCert, String... protocols) throws Exception {
        SSLContext c = context(clientCert);
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(c)
                .connectTimeout(Duration.ofSeconds(5));
        if (protocols.length > 0) {
            SSLParameters p = c.getDefaultSSLParameters();
            p.setProtocols(protocols);
            b.sslParameters(p);
        }
        return b.build();
    }

    static HttpClient clientWithSuites(String protocol, String... suites) throws Exception {
        SSLContext c = context(null);
        SSLParameters p = c.getDefaultSSLParameters();
        p.setProtocols(new String[] {protocol});
        p.setCipherSuites(suites);
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(c).sslParameters(p)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private final X509Certificate[] chain;
        private final PrivateKey key;

        AlwaysPresent(X509Certificate[] chain, PrivateKey key) {
            this.chain = chain;
            this.key = key;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "client";
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "client";
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"client"};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
