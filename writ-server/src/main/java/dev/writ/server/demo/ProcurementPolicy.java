package dev.writ.server.demo;

import dev.writ.server.api.AuditLogs;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.SigningLeaf;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.log.AuditLogEventSink;
import dev.writ.server.log.LogException;
import dev.writ.server.log.TransparencyLog;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicySigningIdentity;
import dev.writ.server.policy.PolicyStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The default procurement policy bundle (resources {@code bundles/procurement/}) and its publication on a data
 * directory: signed with the domain's policy-signing key in custody, stored, activated, and both events written to the
 * audit log. Opens the audit log and closes it again before returning, so no server may hold it meanwhile.
 */
public final class ProcurementPolicy {
    /** The bundle's files, relative to {@code bundles/procurement/}. */
    public static final List<String> FILES = List.of(
            "manifest.json", "schema.cedarschema", "procurement.cedar", "guardrails.cedar", "tests/procurement.json");

    /** The version stored and activated, and the bundle hash. */
    public record Published(long version, String hash) {}

    private ProcurementPolicy() {}

    /** The bundle, read from the classpath. */
    public static BundleFiles bundle() throws PolicyException, IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : FILES) {
            try (InputStream in = ProcurementPolicy.class.getResourceAsStream("/bundles/procurement/" + name)) {
                if (in == null) {
                    throw new IOException("the procurement policy bundle is missing " + name);
                }
                files.put(name, in.readAllBytes());
            }
        }
        return BundleFiles.of(files);
    }

    /**
     * Pushes and activates the bundle on the trust domain in {@code data}.
     *
     * @throws PolicyException when the bundle is refused or cannot be signed, stored or activated
     * @throws LogException when the audit log cannot be opened (a server holds it)
     * @throws CaException when the domain or its custody cannot be opened
     * @throws CustodyException when custody cannot be closed cleanly
     */
    public static Published pushAndActivate(Path data, InstantSource clock, SecureRandom random)
            throws PolicyException, LogException, CaException, CustodyException, IOException, CertificateException {
        TrustDomain domain = TrustDomain.load(data);
        try (KeyCustody custody = CustodyConfig.open(data, domain.custody(), System.getenv(), random)) {
            // Policy publication is trust-critical: its events go to the audit log before the change is committed.
            TransparencyLog log = AuditLogs.open(data, domain, custody);
            try {
                SigningLeaf leaf = domain.policySigning();
                X509Certificate policyCa =
                        Pem.x509(domain.ca(CaName.POLICY).certificate().getEncoded());
                PolicySigningIdentity identity = PolicySigningIdentity.of(
                        custody, leaf.key(), List.of(Pem.x509(leaf.certificate().getEncoded()), policyCa));
                PolicyService policies = new PolicyService(
                        new JdbcPolicyStore(PolicyDatabase.openSqlite(data)),
                        new BundleVerifier(policyCa, clock),
                        identity,
                        new AuditLogEventSink(log),
                        clock);
                PolicyStore.StoredBundle stored = policies.push(bundle());
                PolicyService.Activated activated = policies.activate(stored.version());
                return new Published(activated.activation().version(), stored.hash());
            } finally {
                log.close();
            }
        }
    }
}
