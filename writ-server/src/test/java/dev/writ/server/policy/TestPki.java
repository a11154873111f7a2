package dev.writ.server.policy;

import dev.writ.server.custody.MasterKey;
import dev.writ.server.custody.SoftwareCustody;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away policy-signing CA and signing certificates, for tests. */
final class TestPki {
    static final Instant NOW = Instant.parse("2026-03-02T09:00:00Z");

    final KeyPair caKeys;
    final X509Certificate ca;
    private long serial = 2;

    private TestPki(String name) throws Exception {
        caKeys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        X500Name dn = new X500Name("CN=" + name + ",O=Writ test");
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                dn,
                BigInteger.ONE,
                Date.from(NOW.minus(Duration.ofDays(1))),
                Date.from(NOW.plus(Duration.ofDays(700))),
                dn,
                caKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        ca = sign(b, caKeys.getPrivate());
    }

    static TestPki create(String name) {
        try {
            return new TestPki(name);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A policy-signing certificate for a public key: end entity, keyUsage digitalSignature, 90 days. */
    X509Certificate issue(PublicKey key) {
        return issue(key, KeyUsage.digitalSignature, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(90)));
    }

    X509Certificate issue(PublicKey key, int keyUsage, Instant from, Instant to) {
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                    BigInteger.valueOf(serial++),
                    Date.from(from),
                    Date.from(to),
                    new X500Name("CN=policy signing,O=Writ test"),
                    key);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
            return sign(b, caKeys.getPrivate());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh software custody in a temporary directory. */
    static SoftwareCustody custody() {
        try {
            SecureRandom random = new SecureRandom();
            Path dir = Files.createTempDirectory("writ-policy-custody");
            dir.toFile().deleteOnExit();
            return SoftwareCustody.create(dir.resolve("custody"), MasterKey.generate(random), random);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A signing identity in a fresh software custody, certified by this CA. */
    PolicySigningIdentity identity() {
        try {
            SoftwareCustody custody = custody();
            var handle = custody.generate(custody.defaultSpec(), "policy signing");
            return PolicySigningIdentity.of(custody, handle, List.of(issue(custody.publicKey(handle)), ca));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws Exception {
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("Ed25519").build(key)));
    }
}
