package dev.writ.server.cli;

import dev.writ.server.api.AuditLogs;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.SigningLeaf;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.events.EventSink;
import dev.writ.server.log.AuditLogEventSink;
import dev.writ.server.log.LogException;
import dev.writ.server.log.TransparencyLog;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.policy.PolicySigningIdentity;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Supplies {@code writ policy} with the trust domain of a data directory: the policy-signing key (opened in custody,
 * never exported) and its chain, the policy CA as the trust anchor of bundles, and the store's event outbox.
 */
final class DomainPolicyWiring implements PolicyCommand.Wiring {

    @Override
    public PolicySigningIdentity signingIdentity(Path dataDir) throws PolicyException {
        TrustDomain domain = domain(dataDir);
        SigningLeaf leaf = domain.policySigning();
        KeyCustody custody;
        try {
            custody = CustodyConfig.open(dataDir, domain.custody(), System.getenv(), new SecureRandom());
        } catch (CaException e) {
            throw new PolicyException("policy.no_identity", "cannot open key custody: " + e.getMessage());
        }
        X509Certificate ca = x509(domain.ca(CaName.POLICY).certificate());
        return PolicySigningIdentity.of(custody, leaf.key(), List.of(x509(leaf.certificate()), ca));
    }

    @Override
    public X509Certificate policyCa(Path dataDir) throws PolicyException {
        return x509(domain(dataDir).ca(CaName.POLICY).certificate());
    }

    @Override
    public EventSink events(Path dataDir) throws PolicyException {
        // Policy publication and activation are trust-critical: they go to the audit log, durably, before the change
        // is committed. The log admits one process at a time, so this fails while a server holds it.
        TrustDomain domain = domain(dataDir);
        try {
            KeyCustody custody = CustodyConfig.open(dataDir, domain.custody(), System.getenv(), new SecureRandom());
            TransparencyLog log = AuditLogs.open(dataDir, domain, custody);
            // A command process ends with System.exit: close the log then, so readers see the flushed tree.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    log.close();
                } catch (Exception e) {
                    // entries are already durable in the log's write-ahead file; the next open completes them
                }
            }));
            return new AuditLogEventSink(log);
        } catch (CaException e) {
            throw new PolicyException("policy.no_identity", "cannot open key custody: " + e.getMessage());
        } catch (LogException e) {
            throw new PolicyException(
                    "policy.log_unavailable",
                    "cannot open the audit log (" + e.getMessage() + "); is a server running on this data directory?");
        }
    }

    private static TrustDomain domain(Path dataDir) throws PolicyException {
        if (!TrustDomain.exists(dataDir)) {
            throw new PolicyException("policy.no_identity", "no trust domain in " + dataDir + ": run writ init first");
        }
        try {
            return TrustDomain.load(dataDir);
        } catch (CaException e) {
            throw new PolicyException("policy.no_identity", e.getMessage());
        }
    }

    private static X509Certificate x509(X509CertificateHolder holder) throws PolicyException {
        try {
            return Pem.x509(holder.getEncoded());
        } catch (CertificateException | java.io.IOException e) {
            throw new PolicyException("policy.no_identity", "unreadable certificate in the trust domain");
        }
    }
}
