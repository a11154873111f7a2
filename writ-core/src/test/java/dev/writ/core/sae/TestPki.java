package dev.writ.core.sae;

import dev.writ.core.cert.WritOids;
import dev.writ.core.scope.Scope;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * An independent test PKI, built with Bouncy Castle: root → agents intermediate → agent certificates with the Writ
 * profile, a delegated OCSP responder, and OCSP responses (good, revoked, unknown, stale, badly signed). Test code
 * only: keys live in memory.
 */
public final class TestPki {
    static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A certificate with its private key (test only). */
    public record Issued(X509Certificate certificate, PrivateKey privateKey) {
        public PublicKey publicKey() {
            return certificate.getPublicKey();
        }

        public byte[] der() {
            try {
                return certificate.getEncoded();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Agent key kinds. */
    public enum KeyKind {
        ED25519,
        P256
    }

    public final Instant created;
    public final Issued root;
    public final Issued intermediate;
    public final Issued responder;

    /** A PKI whose certificates are valid from {@code now − 1 day} for 10 years (root), 2 years (intermediate). */
    public TestPki(Instant now) {
        this.created = now;
        try {
            KeyPair rk = keyPair(KeyKind.ED25519);
            X500Name rootName = new X500Name("CN=Test Root CA,O=Writ Test");
            root = sign(
                    rootName,
                    rk.getPublic(),
                    rootName,
                    rk.getPrivate(),
                    now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(3650)),
                    b -> {
                        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                    },
                    rk.getPrivate());
            KeyPair ik = keyPair(KeyKind.ED25519);
            intermediate = sign(
                    new X500Name("CN=Test Agents CA,O=Writ Test"),
                    ik.getPublic(),
                    rootName,
                    rk.getPrivate(),
                    now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(730)),
                    b -> {
                        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                    },
                    ik.getPrivate());
            KeyPair ok = keyPair(KeyKind.ED25519);
            responder = sign(
                    new X500Name("CN=Test Agents OCSP,O=Writ Test"),
                    ok.getPublic(),
                    name(intermediate),
                    intermediate.privateKey(),
                    now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(90)),
                    b -> {
                        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                        b.addExtension(
                                Extension.extendedKeyUsage,
                                false,
                                new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning));
                    },
                    ok.getPrivate());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Scope extension DER for a JSON scope. */
    public static byte[] scopeDer(String json) {
        try {
            return Scope.parseJson(json).toDer();
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A scope permitting everything, for tests about other checks. */
    public static final String SCOPE_ANY = "{\"actions\":[\"*\"],\"limits\":{\"EUR\":100000000,\"USD\":100000000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"restricted\","
            + "\"delegation\":2}";

    /** Options of an agent certificate; defaults follow the Writ profile. */
    public final class AgentSpec {
        KeyKind kind = KeyKind.ED25519;
        String name = "payments-bot";
        String tenant = "acme";
        String spiffe = "spiffe://writ.test/tenant/acme/agent/a-1";
        Instant notBefore = created.minus(Duration.ofHours(1));
        Instant notAfter = created.plus(Duration.ofHours(24));
        byte[] scopeDer = TestPki.scopeDer(SCOPE_ANY);
        boolean scopeCritical = true;
        KeyPurposeId eku = KeyPurposeId.getInstance(WritOids.KP_AGENT_ACTION);
        int keyUsage = KeyUsage.digitalSignature;
        Issued issuer = intermediate;
        PublicKey publicKey;

        /** Certify a key held elsewhere (for example in custody); the result has no private key. */
        public AgentSpec publicKey(PublicKey key) {
            this.publicKey = key;
            return this;
        }

        public AgentSpec kind(KeyKind k) {
            this.kind = k;
            return this;
        }

        public AgentSpec scope(String json) {
            this.scopeDer = TestPki.scopeDer(json);
            return this;
        }

        public AgentSpec scopeDer(byte[] der) {
            this.scopeDer = der;
            return this;
        }

        public AgentSpec validity(Instant nb, Instant na) {
            this.notBefore = nb;
            this.notAfter = na;
            return this;
        }

        public AgentSpec eku(KeyPurposeId eku) {
            this.eku = eku;
            return this;
        }

        public AgentSpec keyUsage(int ku) {
            this.keyUsage = ku;
            return this;
        }

        public AgentSpec issuer(Issued issuer) {
            this.issuer = issuer;
            return this;
        }

        public Issued issue() {
            try {
                KeyPair kp = publicKey != null ? new KeyPair(publicKey, null) : keyPair(kind);
                return sign(
                        dev.writ.core.cert.AgentExtensions.subject(name, tenant),
                        kp.getPublic(),
                        name(issuer),
                        issuer.privateKey(),
                        notBefore,
                        notAfter,
                        b -> {
                            b.addExtension(Extension.basicConstraints, false, new BasicConstraints(false));
                            b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
                            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
                            b.addExtension(
                                    Extension.subjectAlternativeName,
                                    false,
                                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffe)));
                            if (scopeDer != null) {
                                b.addExtension(WritOids.SCOPE, scopeCritical, scopeDer);
                            }
                        },
                        kp.getPrivate());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public AgentSpec agent() {
        return new AgentSpec();
    }

    /** Who signs an OCSP response. */
    public enum OcspSigner {
        RESPONDER,
        CA,
        /** A key the CA never delegated: must be refused. */
        STRANGER
    }

    /** An OCSP response about {@code agent}. */
    public byte[] ocsp(Issued agent, CertificateStatus status, Instant thisUpdate, Instant nextUpdate, OcspSigner by) {
        try {
            X509CertificateHolder issuerHolder = new JcaX509CertificateHolder(intermediate.certificate());
            CertificateID id = new CertificateID(
                    new JcaDigestCalculatorProviderBuilder()
                            .setProvider(BC)
                            .build()
                            .get(CertificateID.HASH_SHA1),
                    issuerHolder,
                    agent.certificate().getSerialNumber());
            Issued signer =
                    switch (by) {
                        case RESPONDER -> responder;
                        case CA -> intermediate;
                        case STRANGER -> {
                            KeyPair kp = keyPair(KeyKind.ED25519);
                            yield sign(
                                    new X500Name("CN=Stranger"),
                                    kp.getPublic(),
                                    new X500Name("CN=Stranger"),
                                    kp.getPrivate(),
                                    created.minus(Duration.ofDays(1)),
                                    created.plus(Duration.ofDays(10)),
                                    b -> {
                                        b.addExtension(
                                                Extension.extendedKeyUsage,
                                                false,
                                                new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning));
                                    },
                                    kp.getPrivate());
                        }
                    };
            BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(
                    new RespID(new JcaX509CertificateHolder(signer.certificate()).getSubject()));
            b.addResponse(id, status, Date.from(thisUpdate), nextUpdate == null ? null : Date.from(nextUpdate));
            ContentSigner cs =
                    new JcaContentSignerBuilder("Ed25519").setProvider(BC).build(signer.privateKey());
            X509CertificateHolder[] chain = by == OcspSigner.CA
                    ? new X509CertificateHolder[0]
                    : new X509CertificateHolder[] {new JcaX509CertificateHolder(signer.certificate())};
            return new OCSPRespBuilder()
                    .build(OCSPRespBuilder.SUCCESSFUL, b.build(cs, chain, Date.from(thisUpdate)))
                    .getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A good response from the delegated responder, fresh at {@code at} (valid one hour). */
    public byte[] ocspGood(Issued agent, Instant at) {
        return ocsp(
                agent, CertificateStatus.GOOD, at.minusSeconds(60), at.plus(Duration.ofHours(1)), OcspSigner.RESPONDER);
    }

    public byte[] ocspRevoked(Issued agent, Instant at) {
        return ocsp(
                agent,
                new RevokedStatus(Date.from(at.minusSeconds(120)), CRLReason.keyCompromise),
                at.minusSeconds(60),
                at.plus(Duration.ofHours(1)),
                OcspSigner.RESPONDER);
    }

    public byte[] ocspUnknown(Issued agent, Instant at) {
        return ocsp(
                agent, new UnknownStatus(), at.minusSeconds(60), at.plus(Duration.ofHours(1)), OcspSigner.RESPONDER);
    }

    /** Another root with its own intermediate: for "chains to an untrusted root". */
    public static TestPki other(Instant now) {
        return new TestPki(now);
    }

    // ---- internals ----

    static KeyPair keyPair(KeyKind kind) throws Exception {
        if (kind == KeyKind.ED25519) {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static X500Name name(Issued i) {
        return X500Name.getInstance(i.certificate().getSubjectX500Principal().getEncoded());
    }

    private interface Exts {
        void add(X509v3CertificateBuilder b) throws Exception;
    }

    private static Issued sign(
            X500Name subject,
            PublicKey key,
            X500Name issuer,
            PrivateKey issuerKey,
            Instant nb,
            Instant na,
            Exts exts,
            PrivateKey ownKey)
            throws Exception {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                issuer, new BigInteger(128, RANDOM).setBit(127), Date.from(nb), Date.from(na), subject, key);
        JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
        b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(key));
        exts.add(b);
        String alg = issuerKey.getAlgorithm().startsWith("Ed") ? "Ed25519" : "SHA256withECDSA";
        ContentSigner cs = new JcaContentSignerBuilder(alg).setProvider(BC).build(issuerKey);
        X509Certificate cert = new JcaX509CertificateConverter().setProvider(BC).getCertificate(b.build(cs));
        // Re-read through the JDK factory, as a verifier would.
        cert = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(cert.getEncoded()));
        return new Issued(cert, ownKey);
    }
}
