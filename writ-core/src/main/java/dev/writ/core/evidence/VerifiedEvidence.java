package dev.writ.core.evidence;

/**
 * An evidence bundle that passed every check of {@link EvidenceBundleVerifier#verify}: every file matches the
 * manifest, every record chains to the trust anchor, every entry is included under the signed checkpoint, every
 * parent link and approval binding holds, every policy bundle is the signed one. Only the verifier creates one.
 */
public final class VerifiedEvidence {
    private final EvidenceReport report;

    VerifiedEvidence(EvidenceReport report) {
        this.report = report;
    }

    /** The report, every check of which passed. */
    public EvidenceReport report() {
        return report;
    }
}
