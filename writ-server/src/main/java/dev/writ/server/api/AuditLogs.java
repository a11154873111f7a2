package dev.writ.server.api;

import dev.writ.server.ca.TrustDomain;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.log.AuditLog;
import dev.writ.server.log.CustodyCheckpointSigner;
import dev.writ.server.log.LogException;
import java.nio.file.Path;

/**
 * Opens a trust domain's audit log: {@code <data>/log}, checkpoints signed with the audit-signing key in custody,
 * origin {@code <trust-domain>/log}. One process at a time holds the log (it is locked while open).
 */
public final class AuditLogs {
    private AuditLogs() {}

    /** The log's origin line and verifier key name for a trust domain. */
    public static String origin(TrustDomain domain) {
        return domain.name() + "/log";
    }

    /**
     * The checkpoint signer of a trust domain's log: the audit-signing key in custody, origin {@link #origin}. Every
     * node of a multi-node deployment signs the shared log with it ({@code PostgresLog.open(location, signer)}).
     *
     * @throws LogException when the key is not usable as an Ed25519 checkpoint key
     */
    public static CustodyCheckpointSigner signer(TrustDomain domain, KeyCustody custody) throws LogException {
        return new CustodyCheckpointSigner(custody, domain.auditSigning().key(), origin(domain));
    }

    /**
     * Opens (creating when needed) the audit log of a trust domain.
     *
     * @throws LogException when the log is locked by another process, damaged, or the key is unusable
     */
    public static AuditLog open(Path dataDir, TrustDomain domain, KeyCustody custody) throws LogException {
        CustodyCheckpointSigner signer =
                new CustodyCheckpointSigner(custody, domain.auditSigning().key(), origin(domain));
        return AuditLog.open(dataDir.resolve("log"), signer);
    }
}
