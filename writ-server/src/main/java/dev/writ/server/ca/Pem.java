package dev.writ.server.ca;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/** PEM encoding and decoding of certificates (RFC 7468). */
public final class Pem {
    private Pem() {}

    /** One PEM block of the given type. */
    public static String encode(String type, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
    }

    public static String certificate(byte[] der) {
        return encode("CERTIFICATE", der);
    }

    public static String certificate(X509CertificateHolder holder) {
        try {
            return certificate(holder.getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode certificate", e);
        }
    }

    /** Every CERTIFICATE block's DER bytes, in order. */
    public static List<byte[]> decodeCertificates(String pem) throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (PemReader reader = new PemReader(new StringReader(pem))) {
            PemObject o;
            while ((o = reader.readPemObject()) != null) {
                if ("CERTIFICATE".equals(o.getType())) {
                    out.add(o.getContent());
                }
            }
        }
        return out;
    }

    /** The content of the first PEM block of {@code type}. */
    public static byte[] decodeBlock(String pem, String type) throws IOException {
        try (PemReader reader = new PemReader(new StringReader(pem))) {
            PemObject o;
            while ((o = reader.readPemObject()) != null) {
                if (type.equals(o.getType())) {
                    return o.getContent();
                }
            }
        }
        throw new IOException("no " + type + " block");
    }

    /** Parses DER into a JCA certificate. */
    public static X509Certificate x509(byte[] der) throws CertificateException {
        return (X509Certificate)
                CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    /** Bytes of a string in UTF-8. */
    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
