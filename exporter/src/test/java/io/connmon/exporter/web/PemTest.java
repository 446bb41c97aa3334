package io.connmon.exporter.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Keys as openssl writes them: PKCS#1 (genrsa -traditional), SEC1 (ecparam -genkey), PKCS#8 (genpkey). */
class PemTest {

    private static PublicKey publicKeyOf(String cert) throws Exception {
        return Pem.certificates(Fixtures.bytes(cert), cert).get(0).getPublicKey();
    }

    @ParameterizedTest
    @CsvSource({
        "server-rsa-pkcs1, RSA", // BEGIN RSA PRIVATE KEY
        "server-ec-sec1, EC", // BEGIN EC PARAMETERS + BEGIN EC PRIVATE KEY
        "server-ec-pkcs8, EC", // BEGIN PRIVATE KEY, P-384
        "server-rsa-pkcs8, RSA",
        "server-ed25519, EdDSA"})
    void readsEveryKeyFormatOpensslWrites(String name, String algorithm) throws Exception {
        PrivateKey k = Pem.privateKey(Fixtures.bytes(name + ".key"), name, publicKeyOf(name + ".crt"));
        assertEquals(algorithm, k.getAlgorithm());
    }

    @Test
    void wrapsPkcs1ExactlyAsOpensslConvertsIt() throws Exception {
        byte[] pkcs1 = Pem.blocks(Fixtures.bytes("server-rsa-pkcs1.key"), "k").get(0).der();
        byte[] opensslPkcs8 = Pem.blocks(Fixtures.bytes("server-rsa-pkcs1.pk8"), "k").get(0).der();
        assertArrayEquals(opensslPkcs8, Pem.pkcs1ToPkcs8(pkcs1, "k"));
    }

    @Test
    void wrapsSec1IntoTheSameKeyAsOpensslsConversion() throws Exception {
        List<Pem.Block> blocks = Pem.blocks(Fixtures.bytes("server-ec-sec1.key"), "k");
        assertEquals(List.of("EC PARAMETERS", "EC PRIVATE KEY"), blocks.stream().map(Pem.Block::type).toList());
        byte[] ours = Pem.sec1ToPkcs8(blocks.get(1).der(), "k");
        byte[] opensslPkcs8 = Pem.blocks(Fixtures.bytes("server-ec-sec1.pk8"), "k").get(0).der();
        KeyFactory ec = KeyFactory.getInstance("EC");
        ECPrivateKey a = (ECPrivateKey) ec.generatePrivate(new PKCS8EncodedKeySpec(ours));
        ECPrivateKey b = (ECPrivateKey) ec.generatePrivate(new PKCS8EncodedKeySpec(opensslPkcs8));
        assertEquals(b.getS(), a.getS());
        assertEquals(b.getParams().getCurve(), a.getParams().getCurve());
        // the same AlgorithmIdentifier as openssl's: id-ecPublicKey with the named curve P-256
        assertArrayEquals(algorithmIdentifier(opensslPkcs8), algorithmIdentifier(ours));
        assertTrue(java.util.Arrays.equals(new byte[] {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03,
            0x01, 0x07}, java.util.Arrays.copyOfRange(algorithmIdentifier(ours), 11, 21)));
    }

    private static byte[] algorithmIdentifier(byte[] pkcs8) throws WebConfigException {
        Pem.Der.Reader seq = new Pem.Der.Reader(pkcs8, "pkcs8").sequence();
        seq.integer();
        return seq.any().encoded();
    }

    @Test
    void longFormLengthsAreWrittenInMinimalBytes() {
        assertArrayEquals(new byte[] {0x04, 0x00}, Pem.Der.tlv(0x04, new byte[0]));
        byte[] l127 = Pem.Der.tlv(0x04, new byte[127]);
        assertEquals(0x7f, l127[1]);
        byte[] l128 = Pem.Der.tlv(0x04, new byte[128]);
        assertArrayEquals(new byte[] {0x04, (byte) 0x81, (byte) 0x80}, java.util.Arrays.copyOf(l128, 3));
        byte[] l1217 = Pem.Der.tlv(0x30, new byte[1217]);
        assertArrayEquals(new byte[] {0x30, (byte) 0x82, 0x04, (byte) 0xc1}, java.util.Arrays.copyOf(l1217, 4));
        assertEquals(1221, l1217.length);
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() throws Exception {
        WebConfigException e = assertThrows(WebConfigException.class, () -> Pem.privateKey(
                Fixtures.bytes("server-rsa-pkcs8.key"), "key_file", publicKeyOf("server-rsa-pkcs1.crt")));
        assertEquals("key_file: the private key does not belong to the certificate", e.getMessage());
        e = assertThrows(WebConfigException.class, () -> Pem.privateKey(
                Fixtures.bytes("server-ec-sec1.key"), "key_file", publicKeyOf("server-ec-pkcs8.crt")));
        assertEquals("key_file: the private key does not belong to the certificate", e.getMessage());
    }

    @Test
    void anRsaKeyForAnEcCertificateIsRefusedWithItsType() throws Exception {
        WebConfigException e = assertThrows(WebConfigException.class, () -> Pem.privateKey(
                Fixtures.bytes("server-rsa-pkcs1.key"), "key_file", publicKeyOf("server-ec-sec1.crt")));
        assertTrue(e.getMessage().startsWith("key_file: not a valid EC private key"), e.getMessage());
    }

    @Test
    void encryptedKeysAreRefusedWithAHint() throws Exception {
        String legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"
                + "AAAA\n-----END RSA PRIVATE KEY-----\n";
        String pkcs8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        PublicKey pub = publicKeyOf("server-rsa-pkcs1.crt");
        for (String s : List.of(legacy, pkcs8)) {
            WebConfigException e = assertThrows(WebConfigException.class,
                    () -> Pem.privateKey(s.getBytes(StandardCharsets.US_ASCII), "key_file", pub));
            assertTrue(e.getMessage().contains("is encrypted"), e.getMessage());
        }
    }

    @Test
    void truncatedAndGarbledPemSaySo() throws Exception {
        PublicKey pub = publicKeyOf("server-rsa-pkcs1.crt");
        byte[] key = Fixtures.bytes("server-rsa-pkcs1.key");
        String text = new String(key, StandardCharsets.US_ASCII);
        String noEnd = text.substring(0, text.indexOf("-----END"));
        assertEquals("key_file: PEM block RSA PRIVATE KEY has no END line", assertThrows(WebConfigException.class,
                () -> Pem.privateKey(noEnd.getBytes(StandardCharsets.US_ASCII), "key_file", pub)).getMessage());
        // cut the body in half: the DER length runs past the end
        String[] lines = text.split("\n");
        StringBuilder half = new StringBuilder(lines[0]).append('\n');
        for (int i = 1; i < lines.length / 2; i++) {
            half.append(lines[i]).append('\n');
        }
        half.append(lines[lines.length - 1]).append('\n');
        String msg = assertThrows(WebConfigException.class,
                () -> Pem.privateKey(half.toString().getBytes(StandardCharsets.US_ASCII), "key_file", pub))
                .getMessage();
        assertEquals("key_file: RSA PRIVATE KEY: not valid DER (truncated)", msg);
        assertEquals("cert_file: no PEM certificate (BEGIN CERTIFICATE) found", assertThrows(
                WebConfigException.class, () -> Pem.certificates(key, "cert_file")).getMessage());
    }

    /** Every single-byte corruption of a key is read or refused with a WebConfigException, never anything else. */
    @ParameterizedTest
    @CsvSource({"server-rsa-pkcs1", "server-ec-sec1", "server-ec-pkcs8", "server-ed25519"})
    void corruptedKeysAreRefusedCleanly(String name) throws Exception {
        PublicKey pub = publicKeyOf(name + ".crt");
        List<Pem.Block> blocks = Pem.blocks(Fixtures.bytes(name + ".key"), "k");
        Pem.Block key = blocks.get(blocks.size() - 1);
        java.util.Random random = new java.util.Random(42); // fixed: the same corruptions every run
        int refused = 0;
        for (int i = 0; i < 300; i++) {
            byte[] der = key.der().clone();
            int at = i < der.length ? i : random.nextInt(der.length);
            der[at] ^= (byte) (1 + random.nextInt(255));
            if (i % 7 == 0) {
                der = java.util.Arrays.copyOf(der, random.nextInt(der.length));
            }
            String pem = "-----BEGIN " + key.type() + "-----\n" + java.util.Base64.getMimeEncoder().encodeToString(der)
                    + "\n-----END " + key.type() + "-----\n";
            try {
                PrivateKey k = Pem.privateKey(pem.getBytes(StandardCharsets.US_ASCII), "key_file", pub);
                // accepted only where the change hit a part the key does not depend on (e.g. SEC1's copy of the
                // public key): it still signs for the certificate
                String alg = switch (pub.getAlgorithm()) {
                    case "RSA" -> "SHA256withRSA";
                    case "EC" -> "SHA256withECDSA";
                    default -> pub.getAlgorithm();
                };
                java.security.Signature sign = java.security.Signature.getInstance(alg);
                sign.initSign(k);
                sign.update(new byte[] {1, 2, 3});
                byte[] sig = sign.sign();
                java.security.Signature verify = java.security.Signature.getInstance(alg);
                verify.initVerify(pub);
                verify.update(new byte[] {1, 2, 3});
                assertTrue(verify.verify(sig), "an accepted corrupted key signs for the certificate");
            } catch (WebConfigException e) {
                refused++;
                assertTrue(e.getMessage().startsWith("key_file: "), e.getMessage());
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
            }
        }
        assertTrue(refused > 100, "corruptions are noticed: " + refused);
    }

    @Test
    void aChainKeepsItsOrder() throws Exception {
        byte[] chain = (new String(Fixtures.bytes("server-rsa-pkcs1.crt"), StandardCharsets.US_ASCII)
                + new String(Fixtures.bytes("ca.crt"), StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
        var certs = Pem.certificates(chain, "cert_file");
        assertEquals(2, certs.size());
        assertEquals("CN=server", certs.get(0).getSubjectX500Principal().getName());
        assertEquals("CN=connmon test CA", certs.get(1).getSubjectX500Principal().getName());
        RSAPrivateCrtKey k = (RSAPrivateCrtKey) Pem.privateKey(Fixtures.bytes("server-rsa-pkcs1.key"), "k",
                certs.get(0).getPublicKey());
        assertEquals(2048, k.getModulus().bitLength());
    }
}
