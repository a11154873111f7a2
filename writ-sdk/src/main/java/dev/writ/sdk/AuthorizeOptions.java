package dev.writ.sdk;

import java.util.List;
import java.util.Objects;

/**
 * Context sent with a proposed action ({@code context} and {@code approval_id} of {@code POST /v1/authorize}).
 *
 * @param session the agent's session identifier, or {@code null}
 * @param parentChain {@code sha256:<hex>} hashes of the parent envelopes this action follows from (may be empty)
 * @param risk a risk score the agent's runtime computed (0 when unknown)
 * @param approvalId the id of a granted approval to redeem, or {@code null}
 */
public record AuthorizeOptions(String session, List<String> parentChain, int risk, String approvalId) {
    public AuthorizeOptions {
        parentChain = List.copyOf(Objects.requireNonNull(parentChain, "parentChain"));
        for (String h : parentChain) {
            if (!h.matches("sha256:[0-9a-f]{64}")) {
                throw new IllegalArgumentException("parent chain entries must be sha256: and 64 lower-case hex digits");
            }
        }
        if (risk < 0 || risk > 100) {
            throw new IllegalArgumentException("risk must be between 0 and 100");
        }
    }

    /** No session, no parents, risk 0, no approval. */
    public static AuthorizeOptions defaults() {
        return new AuthorizeOptions(null, List.of(), 0, null);
    }

    public AuthorizeOptions withSession(String session) {
        return new AuthorizeOptions(session, parentChain, risk, approvalId);
    }

    public AuthorizeOptions withParentChain(List<String> parents) {
        return new AuthorizeOptions(session, parents, risk, approvalId);
    }

    public AuthorizeOptions withRisk(int risk) {
        return new AuthorizeOptions(session, parentChain, risk, approvalId);
    }

    public AuthorizeOptions withApproval(String approvalId) {
        return new AuthorizeOptions(session, parentChain, risk, approvalId);
    }
}
