#!/usr/bin/env bash
# Regenerates the TLS test fixtures of WebSecurity's tests with openssl, in the formats operators use:
# PKCS#1 RSA (genrsa -traditional), SEC1 EC (ecparam -genkey, with its EC PARAMETERS block), PKCS#8 (genpkey).
# Test keys only: they protect nothing. Valid for 100 years so that the tests never expire.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
ext() { printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" "$@"; }

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -days $days -subj "/CN=connmon test CA" -out ca.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other-ca.key
openssl req -x509 -new -key other-ca.key -days $days -subj "/CN=another CA" -out other-ca.crt

sign() { # sign NAME KEY CA CN EXTENSION...
  local name=$1 key=$2 ca=$3 cn=$4; shift 4
  openssl req -new -key "$key" -subj "/CN=$cn" -out "$name.csr"
  ext "$@" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days $days \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}
openssl genrsa -traditional -out server-rsa-pkcs1.key 2048 2>/dev/null
sign server-rsa-pkcs1 server-rsa-pkcs1.key ca server "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost"
openssl ecparam -name prime256v1 -genkey -out server-ec-sec1.key
sign server-ec-sec1 server-ec-sec1.key ca server "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out server-ec-pkcs8.key
sign server-ec-pkcs8 server-ec-pkcs8.key ca server "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server-rsa-pkcs8.key 2>/dev/null
sign server-rsa-pkcs8 server-rsa-pkcs8.key ca server "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost"
openssl genpkey -algorithm ED25519 -out server-ed25519.key
sign server-ed25519 server-ed25519.key ca server "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client.key
sign client client.key ca scraper "extendedKeyUsage=clientAuth" "subjectAltName=DNS:scraper.example,IP:10.0.0.7"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stranger.key
sign stranger stranger.key other-ca stranger "extendedKeyUsage=clientAuth" "subjectAltName=DNS:stranger.example"
rm -f ./*.srl
# openssl's own PKCS#8 conversion of the PKCS#1 and SEC1 keys, to compare connmon's wrapping with.
openssl pkey -in server-rsa-pkcs1.key -out server-rsa-pkcs1.pk8
openssl pkey -in server-ec-sec1.key -out server-ec-sec1.pk8
