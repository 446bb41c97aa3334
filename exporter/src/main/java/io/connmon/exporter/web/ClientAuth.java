package io.connmon.exporter.web;

/**
 * exporter-toolkit's {@code client_auth_type}, with Go's crypto/tls meaning: whether the server asks for a client
 * certificate, whether one is required, and whether it must chain to {@code client_ca_file}.
 */
public enum ClientAuth {
    /** No certificate is asked for. */
    NO_CLIENT_CERT("NoClientCert", false, false, false),
    /** A certificate is asked for; any certificate, or none, is accepted. */
    REQUEST_CLIENT_CERT("RequestClientCert", true, false, false),
    /** A certificate is required; it is not verified. */
    REQUIRE_ANY_CLIENT_CERT("RequireAnyClientCert", true, true, false),
    /** A certificate is asked for; if one is sent it must verify. */
    VERIFY_CLIENT_CERT_IF_GIVEN("VerifyClientCertIfGiven", true, false, true),
    /** A verified certificate is required: the only value that authenticates clients. */
    REQUIRE_AND_VERIFY_CLIENT_CERT("RequireAndVerifyClientCert", true, true, true);

    private final String yamlName;
    final boolean asks;
    final boolean requires;
    final boolean verifies;

    ClientAuth(String yamlName, boolean asks, boolean requires, boolean verifies) {
        this.yamlName = yamlName;
        this.asks = asks;
        this.requires = requires;
        this.verifies = verifies;
    }

    /** The name in the YAML file. */
    public String yamlName() {
        return yamlName;
    }

    static ClientAuth parse(String s) throws WebConfigException {
        if (s == null || s.isEmpty()) {
            return NO_CLIENT_CERT;
        }
        if (s.equals("RequireClientCert")) { // exporter-toolkit keeps this old spelling of RequireAnyClientCert
            return REQUIRE_ANY_CLIENT_CERT;
        }
        for (ClientAuth a : values()) {
            if (a.yamlName.equals(s)) {
                return a;
            }
        }
        throw new WebConfigException("tls_server_config.client_auth_type: unknown value \"" + s + "\" (expected "
                + "NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
                + "RequireAndVerifyClientCert)");
    }
}
