package io.connmon.exporter.web;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM as openssl and cert-manager write it: certificate chains and private keys in PKCS#8
 * ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}).
 *
 * <p>The JDK reads PKCS#8 only, so a PKCS#1 or SEC1 key is wrapped into a PKCS#8 PrivateKeyInfo first (RFC 5208):
 * {@code SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING { the key as it was } }}. Everything else (the
 * key's own numbers, the curve) is checked by the JDK's key factories.
 */
final class Pem {

    /** One {@code -----BEGIN type----- ... -----END type-----} block. */
    record Block(String type, boolean encryptedHeaders, byte[] der) {
    }

    private Pem() {
    }

    /** Every block of the text, in order; text outside blocks is ignored (as Go's pem.Decode does). */
    static List<Block> blocks(byte[] text, String what) throws WebConfigException {
        List<Block> out = new ArrayList<>();
        String[] lines = new String(text, StandardCharsets.US_ASCII).split("\r?\n");
        int i = 0;
        while (i < lines.length) {
            String line = lines[i].strip();
            if (!line.startsWith("-----BEGIN ") || !line.endsWith("-----")) {
                i++;
                continue;
            }
            String type = line.substring(11, line.length() - 5);
            String end = "-----END " + type + "-----";
            StringBuilder b64 = new StringBuilder();
            boolean encrypted = false;
            int j = i + 1;
            for (; j < lines.length && !lines[j].strip().equals(end); j++) {
                String l = lines[j].strip();
                if (l.contains(":")) { // RFC 1421 headers, e.g. Proc-Type: 4,ENCRYPTED
                    encrypted |= l.startsWith("Proc-Type:") && l.contains("ENCRYPTED");
                    continue;
                }
                b64.append(l);
            }
            if (j == lines.length) {
                throw new WebConfigException(what + ": PEM block " + type + " has no END line");
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(b64.toString());
            } catch (IllegalArgumentException e) {
                throw new WebConfigException(what + ": PEM block " + type + " is not valid base64");
            }
            out.add(new Block(type, encrypted, der));
            i = j + 1;
        }
        return out;
    }

    /** The certificates of a PEM file, in order (leaf first for a chain). */
    static List<X509Certificate> certificates(byte[] text, String what) throws WebConfigException {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory cf;
        try {
            cf = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
        for (Block b : blocks(text, what)) {
            if (!b.type().equals("CERTIFICATE")) {
                continue;
            }
            try {
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
            } catch (CertificateException e) {
                throw new WebConfigException(what + ": certificate " + (out.size() + 1) + " cannot be read: "
                        + oneLine(e.getMessage()));
            }
        }
        if (out.isEmpty()) {
            throw new WebConfigException(what + ": no PEM certificate (BEGIN CERTIFICATE) found");
        }
        return out;
    }

    /**
     * The private key of a PEM file, for the public key of {@code certificate}; fails unless they are a pair.
     */
    static PrivateKey privateKey(byte[] text, String what, PublicKey certificate) throws WebConfigException {
        Block key = null;
        for (Block b : blocks(text, what)) {
            if (b.type().equals("ENCRYPTED PRIVATE KEY") || (b.type().endsWith("PRIVATE KEY") && b.encryptedHeaders())) {
                throw new WebConfigException(what + ": the private key is encrypted; connmon (like exporter-toolkit) "
                        + "needs it unencrypted (openssl pkey -in KEY -out KEY.plain)");
            }
            if (b.type().endsWith("PRIVATE KEY")) {
                key = b;
                break;
            }
        }
        if (key == null) {
            throw new WebConfigException(what + ": no PEM private key (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY "
                    + "or BEGIN EC PRIVATE KEY) found");
        }
        byte[] pkcs8 = switch (key.type()) {
            case "PRIVATE KEY" -> key.der();
            case "RSA PRIVATE KEY" -> pkcs1ToPkcs8(key.der(), what);
            case "EC PRIVATE KEY" -> sec1ToPkcs8(key.der(), what);
            default -> throw new WebConfigException(what + ": unsupported key type " + key.type());
        };
        String algorithm = certificate.getAlgorithm();
        PrivateKey k;
        try {
            k = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new WebConfigException(what + ": not a valid " + algorithm
                    + " private key (the certificate's key type): " + oneLine(e.getMessage()));
        }
        if (!matches(k, certificate)) {
            throw new WebConfigException(what + ": the private key does not belong to the certificate");
        }
        return k;
    }

    // rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
        (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    // id-ecPublicKey (1.2.840.10045.2.1), as a complete OID TLV
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02,
        0x01};

    /** PKCS#1 RSAPrivateKey {@code SEQUENCE { INTEGER version(0), INTEGER n, ... }} into PKCS#8. */
    static byte[] pkcs1ToPkcs8(byte[] pkcs1, String what) throws WebConfigException {
        Der.Reader outer = new Der.Reader(pkcs1, what + ": RSA PRIVATE KEY");
        Der.Reader seq = outer.sequence();
        outer.end();
        if (!seq.integer().equals(BigInteger.ZERO)) {
            throw new WebConfigException(what + ": RSA PRIVATE KEY: only version 0 (two-prime) keys are supported");
        }
        return Der.sequence(Der.integerZero(), RSA_ALGORITHM, Der.octetString(pkcs1));
    }

    /**
     * SEC1 ECPrivateKey {@code SEQUENCE { INTEGER 1, OCTET STRING key, [0] OID curve OPTIONAL, [1] BIT STRING
     * OPTIONAL }} into PKCS#8, whose AlgorithmIdentifier carries the curve taken from [0].
     */
    static byte[] sec1ToPkcs8(byte[] sec1, String what) throws WebConfigException {
        String name = what + ": EC PRIVATE KEY";
        Der.Reader outer = new Der.Reader(sec1, name);
        Der.Reader seq = outer.sequence();
        outer.end();
        if (!seq.integer().equals(BigInteger.ONE)) {
            throw new WebConfigException(name + ": version must be 1");
        }
        seq.octetString();
        byte[] curve = null;
        while (seq.more()) {
            Der.Tlv t = seq.any();
            if (t.tag() == (byte) 0xa0) {
                Der.Reader params = new Der.Reader(t.value(), name + " parameters");
                Der.Tlv oid = params.any();
                if (oid.tag() != 0x06) {
                    throw new WebConfigException(name + ": only named curves are supported (explicit parameters "
                            + "found)");
                }
                curve = oid.encoded();
            }
        }
        if (curve == null) {
            throw new WebConfigException(name + ": the key names no curve (write it with openssl ec -param_enc "
                    + "named_curve)");
        }
        return Der.sequence(Der.integerZero(), Der.sequence(EC_PUBLIC_KEY_OID, curve), Der.octetString(sec1));
    }

    private static boolean matches(PrivateKey k, PublicKey pub) throws WebConfigException {
        if (k instanceof RSAPrivateCrtKey r && pub instanceof RSAPublicKey p
                && !(r.getModulus().equals(p.getModulus()) && r.getPublicExponent().equals(p.getPublicExponent()))) {
            return false;
        }
        // A signature proves the whole key works, not only the numbers compared above: a damaged CRT parameter
        // would otherwise pass here and break every handshake.
        String alg = switch (pub.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> pub.getAlgorithm();
            case "DSA" -> "SHA256withDSA";
            default -> null;
        };
        if (alg == null) {
            return true; // no cheap test for this key type; the handshake will tell
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature s = Signature.getInstance(alg);
            s.initSign(k);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    static String oneLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    /** Just enough DER to walk a key's outer structure and to write a PKCS#8 wrapper. */
    static final class Der {
        record Tlv(byte tag, byte[] value, byte[] encoded) {
        }

        private Der() {
        }

        static final class Reader {
            private final byte[] b;
            private final String what;
            private int pos;

            Reader(byte[] b, String what) {
                this.b = b;
                this.what = what;
            }

            boolean more() {
                return pos < b.length;
            }

            void end() throws WebConfigException {
                if (more()) {
                    throw new WebConfigException(what + ": trailing bytes after the DER structure");
                }
            }

            Tlv any() throws WebConfigException {
                int start = pos;
                if (pos + 2 > b.length) {
                    throw bad("truncated");
                }
                byte tag = b[pos++];
                if ((tag & 0x1f) == 0x1f) {
                    throw bad("multi-byte tags are not expected here");
                }
                int first = b[pos++] & 0xff;
                long len;
                if (first < 0x80) {
                    len = first;
                } else {
                    int n = first & 0x7f;
                    if (n == 0 || n > 4) {
                        throw bad("bad length");
                    }
                    if (pos + n > b.length) {
                        throw bad("truncated");
                    }
                    len = 0;
                    for (int i = 0; i < n; i++) {
                        len = (len << 8) | (b[pos++] & 0xff);
                    }
                }
                if (len > b.length - pos) {
                    throw bad("truncated");
                }
                byte[] value = java.util.Arrays.copyOfRange(b, pos, pos + (int) len);
                pos += (int) len;
                return new Tlv(tag, value, java.util.Arrays.copyOfRange(b, start, pos));
            }

            Reader sequence() throws WebConfigException {
                Tlv t = any();
                if (t.tag() != 0x30) {
                    throw bad("expected a SEQUENCE");
                }
                return new Reader(t.value(), what);
            }

            BigInteger integer() throws WebConfigException {
                Tlv t = any();
                if (t.tag() != 0x02 || t.value().length == 0) {
                    throw bad("expected an INTEGER");
                }
                return new BigInteger(t.value());
            }

            byte[] octetString() throws WebConfigException {
                Tlv t = any();
                if (t.tag() != 0x04) {
                    throw bad("expected an OCTET STRING");
                }
                return t.value();
            }

            private WebConfigException bad(String why) {
                return new WebConfigException(what + ": not valid DER (" + why + ")");
            }
        }

        static byte[] integerZero() {
            return new byte[] {0x02, 0x01, 0x00};
        }

        static byte[] octetString(byte[] content) {
            return tlv(0x04, content);
        }

        static byte[] sequence(byte[]... parts) {
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            for (byte[] p : parts) {
                content.writeBytes(p);
            }
            return tlv(0x30, content.toByteArray());
        }

        static byte[] tlv(int tag, byte[] content) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
            out.write(tag);
            int n = content.length;
            if (n < 0x80) {
                out.write(n);
            } else {
                int bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
                out.write(0x80 | bytes);
                for (int i = bytes - 1; i >= 0; i--) {
                    out.write(n >>> (8 * i));
                }
            }
            out.writeBytes(content);
            return out.toByteArray();
        }
    }
}
