package io.connmon.exporter.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** The file as written: exporter-toolkit's keys, bound strictly by Jackson (an unknown key is an error). */
record WebConfigYaml(
        @JsonProperty("tls_server_config") Tls tls,
        @JsonProperty("http_server_config") Http http,
        @JsonProperty("basic_auth_users") Map<String, String> basicAuthUsers,
        @JsonProperty("rate_limit") JsonNode rateLimit) {

    record Tls(
            @JsonProperty("cert") String cert,
            @JsonProperty("key") String key,
            @JsonProperty("client_ca") String clientCa,
            @JsonProperty("cert_file") String certFile,
            @JsonProperty("key_file") String keyFile,
            @JsonProperty("client_auth_type") String clientAuthType,
            @JsonProperty("client_ca_file") String clientCaFile,
            @JsonProperty("client_allowed_sans") List<String> clientAllowedSans,
            @JsonProperty("min_version") String minVersion,
            @JsonProperty("max_version") String maxVersion,
            @JsonProperty("cipher_suites") List<String> cipherSuites,
            @JsonProperty("prefer_server_cipher_suites") Boolean preferServerCipherSuites,
            @JsonProperty("curve_preferences") List<String> curvePreferences) {
    }

    record Http(
            @JsonProperty("http2") Boolean http2,
            @JsonProperty("headers") Map<String, String> headers) {
    }
}
