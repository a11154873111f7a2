package dev.writ.core.cert;

import dev.writ.core.scope.Scope;
import dev.writ.core.scope.ScopeException;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v1CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v1CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway agent-identity CA for tests: Ed25519, certificates built with Bouncy Castle, parsed by the JDK. */
final class TestCa {
    static final BouncyCastleProvider BC = new BouncyCastleProvider();
    static final Instant NOW = Instant.parse("2026-11-24T07:00:00Z");
    static final SecureRandom RANDOM = new SecureRandom();

    static final String SCOPE_JSON =
            """
            {"actions":["payments.*"],"limits":{"EUR":100000},"counterparties":["*"],"regions":["eu-west-1"],
             "hours":"*","classification":"internal","delegation":1}
            """;

    final KeyPair caKey = generate("Ed25519", null);
    final X500Name caName = new X500Name("CN=Writ Test Agents CA, O=Writ Test");
    final X509Certificate caCert;

    TestCa() {
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    caName,
                    BigInteger.ONE,
                    Date.from(NOW.minus(Duration.ofDays(1))),
                    Date.from(NOW.plus(Duration.ofDays(365))),
                    caName,
                    caKey.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            caCert = toJdk(b.build(signer()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair generate(String alg, String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(curve == null ? alg : "EC", BC);
            if (curve != null) {
                g.initialize(new ECGenParameterSpec(curve), RANDOM);
            }
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Scope scope() {
        try {
            return Scope.parseJson(SCOPE_JSON);
        } catch (ScopeException e) {
            throw new IllegalStateException(e);
        }
    }

    static ModelInfo model() {
        return new ModelInfo(
                HexFormat.of().parseHex("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
                "llama-guard",
                "3.1",
                Optional.of("https://models.example/llama-guard/3.1/sbom.cdx.json"));
    }

    /** A mutable description of an agent certificate; valid by default. */
    static final class Spec {
        BigInteger serial = new BigInteger(128, RANDOM).setBit(127);
        X500Name subject = AgentExtensions.subject("Invoice bot", "acme");
        PublicKey key = generate("Ed25519", null).getPublic();
        Instant notBefore = NOW;
        Instant notAfter = NOW.plus(Duration.ofHours(24));
        final LinkedHashMap<ASN1ObjectIdentifier, Extension> extensions = new LinkedHashMap<>();

        Spec() {
            for (Extension e : AgentExtensions.forAgent(
                    new SpiffeId("acme.example", "acme", "agent-42"), scope(), Optional.of(model()))) {
                put(e);
            }
        }

        Spec put(Extension e) {
            extensions.put(e.getExtnId(), e);
            return this;
        }

        Spec remove(ASN1ObjectIdentifier oid) {
            extensions.remove(oid);
            return this;
        }
    }

    X509Certificate issue(Spec spec) {
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    caName, spec.serial, Date.from(spec.notBefore), Date.from(spec.notAfter), spec.subject, spec.key);
            for (Extension e : spec.extensions.values()) {
                b.addExtension(e);
            }
            return toJdk(b.build(signer()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    X509Certificate issueV1(Spec spec) {
        try {
            X509v1CertificateBuilder b = new JcaX509v1CertificateBuilder(
                    caName, spec.serial, Date.from(spec.notBefore), Date.from(spec.notAfter), spec.subject, spec.key);
            return toJdk(b.build(signer()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private ContentSigner signer() throws Exception {
        return new JcaContentSignerBuilder("Ed25519").setProvider(BC).build(caKey.getPrivate());
    }

    static X509Certificate toJdk(X509CertificateHolder holder) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
    }
}
