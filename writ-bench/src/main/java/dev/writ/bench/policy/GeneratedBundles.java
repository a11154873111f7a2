package dev.writ.bench.policy;

import dev.writ.server.custody.MasterKey;
import dev.writ.server.custody.SoftwareCustody;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.BundleSigner;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.CompiledBundle;
import dev.writ.server.policy.PolicySigningIdentity;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Generated policy bundles of a given size, signed under a throw-away policy CA, for benchmarks. */
final class GeneratedBundles {
    static final Instant NOW = Instant.parse("2026-03-02T09:00:00Z");

    private GeneratedBundles() {}

    static final String SCHEMA =
            """
            namespace Writ {
              entity Agent = { tenant: String, name: String, modelDigest?: String, delegationDepth: Long,
                               parent?: String };
              entity Target;
              type Time = { epochSeconds: Long, weekday: String, minuteOfDay: Long };
              type Request = { amount?: Long, currency?: String, counterparty?: String, region?: String,
                               classification: String, classificationLevel: Long, riskScore: Long,
                               attestation: String, approvals: Set<String>, time: Time };
              action "erp.purchase_order.create", "budget.lookup", "approval.route"
                appliesTo { principal: [Agent], resource: [Target], context: Request };
            }
            """;

    /**
     * A bundle of {@code n} policies: a quarter each of counterparty-bound purchase-order permits, tenant-bound
     * budget permits, risk forbids and approval-gated amount forbids.
     */
    static BundleFiles bundle(int n) throws Exception {
        return bundle(n, false);
    }

    /** The number of actions policies are spread over in a {@code spread} bundle. */
    static final int SPREAD_ACTIONS = 20;

    /**
     * As {@link #bundle(int)}; when {@code spread}, every policy is scoped to one of {@value #SPREAD_ACTIONS} actions
     * (round robin), as in a bundle that governs many tools, so a request meets about one policy in twenty. Otherwise
     * ("dense") three quarters of the policies apply to a purchase-order request.
     */
    static BundleFiles bundle(int n, boolean spread) throws Exception {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (spread) {
                String action = spreadAction(i % SPREAD_ACTIONS);
                String head = (i % 2 == 0 ? "permit" : "forbid") + " (principal, action == Writ::Action::\"" + action
                        + "\", resource)";
                p.append("@id(\"s-").append(i).append("\")\n").append(head);
                if (i % 2 == 0) {
                    p.append(" when { context has amount && context.amount <= ")
                            .append(100_000L * (i + 1))
                            .append(" && context has counterparty && context.counterparty == \"vendor-")
                            .append(i % 40)
                            .append("\" };\n");
                } else {
                    p.append(" when { context.riskScore > ")
                            .append(50 + i % 50)
                            .append(" && context.attestation != \"verified\" };\n");
                }
                continue;
            }
            switch (i % 4) {
                case 0 ->
                    p.append("@id(\"po-")
                            .append(i)
                            .append("\")\n")
                            .append(
                                    "permit (principal, action == Writ::Action::\"erp.purchase_order.create\", resource)")
                            .append(" when { context has amount && context.amount <= ")
                            .append(100_000L * (i + 1))
                            .append(" && context has counterparty && context.counterparty == \"vendor-")
                            .append(i)
                            .append("\" };\n");
                case 1 ->
                    p.append("@id(\"budget-")
                            .append(i)
                            .append("\")\n")
                            .append("permit (principal, action == Writ::Action::\"budget.lookup\", resource)")
                            .append(" when { principal.tenant == \"tenant-")
                            .append(i)
                            .append("\" };\n");
                case 2 ->
                    p.append("@id(\"risk-")
                            .append(i)
                            .append("\")\n")
                            .append("forbid (principal, action, resource) when { context.riskScore > ")
                            .append(50 + i % 50)
                            .append(" && context.attestation != \"verified\" };\n");
                default ->
                    p.append("@id(\"human-")
                            .append(i)
                            .append("\")\n@approval(\"human\")\n")
                            .append(
                                    "forbid (principal, action == Writ::Action::\"erp.purchase_order.create\", resource)")
                            .append(" when { context has amount && context.amount > ")
                            .append(10_000_000L + i)
                            .append(" } unless { context.approvals.contains(\"human\") };\n");
            }
        }
        Map<String, byte[]> files = new HashMap<>();
        files.put(
                "manifest.json",
                ("{\"name\":\"generated-" + n + "\",\"version\":\"1\",\"description\":\"benchmark\"}")
                        .getBytes(StandardCharsets.UTF_8));
        StringBuilder actions = new StringBuilder();
        for (int k = 1; k < SPREAD_ACTIONS; k++) {
            actions.append(", \"").append(spreadAction(k)).append('"');
        }
        files.put(
                "schema.cedarschema",
                SCHEMA.replace("\"approval.route\"", "\"approval.route\"" + actions)
                        .getBytes(StandardCharsets.UTF_8));
        files.put("policies.cedar", p.toString().getBytes(StandardCharsets.UTF_8));
        return BundleFiles.of(files);
    }

    static String spreadAction(int k) {
        return k == 0 ? "erp.purchase_order.create" : "tool.op_" + k;
    }

    /** A policy CA, a signing identity in software custody, and a verifier trusting the CA. */
    record Trust(BundleVerifier verifier, PolicySigningIdentity identity) {
        String sign(BundleFiles files) throws Exception {
            return BundleSigner.sign(CompiledBundle.compile(files), identity, NOW);
        }
    }

    static Trust trust() throws Exception {
        KeyPair ca = KeyPairGenerator.getInstance("Ed25519", new org.bouncycastle.jce.provider.BouncyCastleProvider())
                .generateKeyPair();
        X500Name caName = new X500Name("CN=bench policy CA");
        X509v3CertificateBuilder cb = new JcaX509v3CertificateBuilder(
                caName,
                BigInteger.ONE,
                Date.from(NOW.minus(Duration.ofDays(1))),
                Date.from(NOW.plus(Duration.ofDays(365))),
                caName,
                ca.getPublic());
        cb.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        cb.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
        X509Certificate caCert = cert(cb, ca);

        SecureRandom random = new SecureRandom();
        Path dir = Files.createTempDirectory("writ-bench-custody");
        SoftwareCustody custody = SoftwareCustody.create(dir.resolve("custody"), MasterKey.generate(random), random);
        var handle = custody.generate(custody.defaultSpec(), "bench policy signing");
        X509v3CertificateBuilder lb = new JcaX509v3CertificateBuilder(
                caName,
                BigInteger.TWO,
                Date.from(NOW.minus(Duration.ofDays(1))),
                Date.from(NOW.plus(Duration.ofDays(90))),
                new X500Name("CN=bench policy signing"),
                custody.publicKey(handle));
        lb.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        lb.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        X509Certificate leaf = cert(lb, ca);
        return new Trust(
                new BundleVerifier(caCert, InstantSource.fixed(NOW)),
                PolicySigningIdentity.of(custody, handle, List.of(leaf, caCert)));
    }

    private static X509Certificate cert(X509v3CertificateBuilder b, KeyPair issuer) throws Exception {
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("Ed25519").build(issuer.getPrivate())));
    }
}
