package dev.writ.core.evidence;

import dev.writ.core.log.Checkpoint;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What {@link EvidenceBundleVerifier#inspect} found in a bundle: the trust domain, the subject, the checkpoint every
 * inclusion proof was checked against, and every node (envelope or denial) of the chain of custody with the result of
 * each check. Immutable. {@link #ok()} holds only when every check of every node passed.
 */
public final class EvidenceReport {
    /** Check status: passed, failed, or not run because an earlier check it depends on failed. */
    public enum Status {
        OK,
        FAILED,
        NOT_CHECKED
    }

    /**
     * One check of one node: {@code signature}, {@code chain}, {@code ocsp}, {@code scope}, {@code binding}, {@code parents},
     * {@code inclusion}, {@code policy} (envelopes); {@code signature}, {@code detail}, {@code inclusion},
     * {@code policy} (denials). A failure carries a stable code and a message naming what is wrong.
     */
    public record Check(String name, Status status, String code, String message) {
        static Check ok(String name) {
            return new Check(name, Status.OK, null, null);
        }

        static Check failed(String name, String code, String message) {
            return new Check(name, Status.FAILED, code, message);
        }

        static Check notChecked(String name) {
            return new Check(name, Status.NOT_CHECKED, null, null);
        }
    }

    /** The policy bundle a decision evaluated: its hash and, when its signed statement verified, its name and label. */
    public record Policy(String hash, String name, String version) {}

    /**
     * A node of the chain of custody.
     *
     * @param kind {@code sae} or {@code denial}
     * @param hash {@code sha256:} + hex of the compact record (what {@code ctx.parent_chain} names)
     * @param parents the parent hashes the envelope names (empty for denials)
     * @param approval {@code ctx.approval}, or null
     * @param reasons a denial's reasons: the detailed ones when the commitment was opened, else the released ones
     */
    public record Node(
            String jti,
            String kind,
            long index,
            String hash,
            String agentId,
            String action,
            Instant issuedAt,
            List<String> parents,
            String approval,
            Policy policy,
            List<String> reasons,
            List<Check> checks) {
        public Node {
            parents = List.copyOf(parents);
            reasons = List.copyOf(reasons);
            checks = List.copyOf(checks);
        }

        /** Whether every check of this node passed. */
        public boolean ok() {
            return checks.stream().allMatch(c -> c.status() == Status.OK);
        }

        /** The first failed check, if any. */
        public Optional<Check> firstFailure() {
            return checks.stream().filter(c -> c.status() == Status.FAILED).findFirst();
        }
    }

    private final String trustDomain;
    private final String subject;
    private final Checkpoint checkpoint;
    private final List<Node> nodes;

    EvidenceReport(String trustDomain, String subject, Checkpoint checkpoint, List<Node> nodes) {
        this.trustDomain = trustDomain;
        this.subject = subject;
        this.checkpoint = checkpoint;
        this.nodes = List.copyOf(nodes);
    }

    public String trustDomain() {
        return trustDomain;
    }

    /** The {@code jti} the bundle was exported for. */
    public String subject() {
        return subject;
    }

    /** The signed checkpoint (verified) that every inclusion proof was checked against. */
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /** Every node, the subject first, then its ancestors breadth first, then related denials. */
    public List<Node> nodes() {
        return nodes;
    }

    public Optional<Node> node(String jti) {
        return nodes.stream().filter(n -> n.jti().equals(jti)).findFirst();
    }

    /** Whether every check of every node passed. */
    public boolean ok() {
        return nodes.stream().allMatch(Node::ok);
    }
}
