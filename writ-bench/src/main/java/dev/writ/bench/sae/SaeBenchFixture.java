package dev.writ.bench.sae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.cert.AgentExtensions;
import dev.writ.core.cert.SpiffeId;
import dev.writ.core.scope.Scope;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import dev.writ.server.custody.MasterKey;
import dev.writ.server.custody.SoftwareCustody;
import dev.writ.server.sae.EnvelopeRequest;
import dev.writ.server.sae.SigningAgent;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * A self-contained trust domain for the envelope benchmarks: an Ed25519 root, agents intermediate and delegated OCSP
 * responder built with Bouncy Castle, and one agent whose key lives in software custody.
 */
final class SaeBenchFixture implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final BouncyCastleProvider BC = new BouncyCastleProvider();
    static final byte[] BODY = "{\"amount\":12500,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);

    final Path dir;
    final SoftwareCustody custody;
    final X509Certificate root;
    final X509Certificate intermediate;
    final SigningAgent agent;
    final byte[] ocsp;

    SaeBenchFixture() throws Exception {
        SecureRandom random = new SecureRandom();
        dir = Files.createTempDirectory("writ-bench-sae");
        custody = SoftwareCustody.create(dir.resolve("custody"), MasterKey.generate(random), random);
        KeyPair rk = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
        KeyPair ik = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
        KeyPair ok = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
        X500Name rootName = new X500Name("CN=Bench Root");
        X500Name intName = new X500Name("CN=Bench Agents CA");
        root = cert(
                rootName,
                rootName,
                rk.getPublic(),
                rk.getPrivate(),
                List.of(
                        new Extension(Extension.basicConstraints, true, new BasicConstraints(true).getEncoded()),
                        new Extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign).getEncoded())));
        intermediate = cert(
                intName,
                rootName,
                ik.getPublic(),
                rk.getPrivate(),
                List.of(
                        new Extension(Extension.basicConstraints, true, new BasicConstraints(0).getEncoded()),
                        new Extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign).getEncoded())));
        X509Certificate responder = cert(
                new X500Name("CN=Bench OCSP"),
                intName,
                ok.getPublic(),
                ik.getPrivate(),
                List.of(new Extension(
                        Extension.extendedKeyUsage,
                        false,
                        new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning).getEncoded())));
        KeyHandle key = custody.generate(KeySpec.ED25519, "bench agent");
        Scope scope = Scope.parseJson("{\"actions\":[\"payments.*\"],\"limits\":{\"EUR\":100000000},"
                + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"restricted\","
                + "\"delegation\":0}");
        X509Certificate agentCert = cert(
                AgentExtensions.subject("bench-bot", "acme"),
                intName,
                custody.publicKey(key),
                ik.getPrivate(),
                AgentExtensions.forAgent(
                        SpiffeId.parse("spiffe://bench.test/tenant/acme/agent/b-1"), scope, Optional.empty()));
        agent = new SigningAgent(key, agentCert, intermediate);

        CertificateID id = new CertificateID(
                new JcaDigestCalculatorProviderBuilder().setProvider(BC).build().get(CertificateID.HASH_SHA1),
                new JcaX509CertificateHolder(intermediate),
                agentCert.getSerialNumber());
        BasicOCSPRespBuilder b =
                new BasicOCSPRespBuilder(new RespID(new JcaX509CertificateHolder(responder).getSubject()));
        b.addResponse(
                id, CertificateStatus.GOOD, Date.from(T0.minusSeconds(60)), Date.from(T0.plus(Duration.ofHours(1))));
        ocsp = new OCSPRespBuilder()
                .build(
                        OCSPRespBuilder.SUCCESSFUL,
                        b.build(
                                new JcaContentSignerBuilder("Ed25519")
                                        .setProvider(BC)
                                        .build(ok.getPrivate()),
                                new org.bouncycastle.cert.X509CertificateHolder[] {
                                    new JcaX509CertificateHolder(responder)
                                },
                                Date.from(T0.minusSeconds(60))))
                .getEncoded();
    }

    EnvelopeRequest request() {
        ObjectNode params = new ObjectMapper().createObjectNode();
        params.put("amount", 12500);
        params.put("currency", "EUR");
        params.put("counterparty", "vendor-y");
        ActionRequest action = new ActionRequest(
                "payments.transfer",
                "https://api.bank.test/v1/transfers",
                params,
                Classification.INTERNAL,
                new HttpBinding("POST", "https://api.bank.test/v1/transfers", HttpBinding.digestBody(BODY)));
        return EnvelopeRequest.of(action, "sha256:" + "ab".repeat(32), "bench-session", ocsp);
    }

    static HttpBinding binding() {
        return new HttpBinding("POST", "https://api.bank.test/v1/transfers", HttpBinding.digestBody(BODY));
    }

    private static X509Certificate cert(
            X500Name subject, X500Name issuer, PublicKey key, PrivateKey signer, List<Extension> exts)
            throws Exception {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                issuer,
                new BigInteger(128, new SecureRandom()).setBit(127),
                Date.from(T0.minus(Duration.ofHours(1))),
                Date.from(T0.plus(Duration.ofHours(24))),
                subject,
                key);
        for (Extension e : exts) {
            b.addExtension(e);
        }
        byte[] der = b.build(
                        new JcaContentSignerBuilder("Ed25519").setProvider(BC).build(signer))
                .getEncoded();
        return (X509Certificate)
                CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    @Override
    public void close() throws Exception {
        custody.close();
    }
}
