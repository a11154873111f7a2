package dev.writ.server.approval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One human-approval record: bound to one agent and one exact request ({@link #requestHash}), decided at most once by
 * an approver, usable at most once by the agent, and only before {@link #expiresAt}.
 *
 * @param request the canonical action request the approval is for ({@code action} and {@code target}), shown to
 *     approvers
 * @param reasons the approval-gated policies that applied (operators see them; agents never do)
 * @param decidedBy the approver's operator-token id, or null while pending
 * @param decisionHash {@code sha256:} + hex of the signed decision record, or null while pending
 * @param usedAt when an envelope was signed under this approval, or null
 */
public record Approval(
        String id,
        String agentId,
        String spiffeId,
        String tenant,
        String requestHash,
        ObjectNode request,
        String policyHash,
        List<String> reasons,
        Status status,
        Instant createdAt,
        Instant expiresAt,
        Instant decidedAt,
        String decidedBy,
        String decidedByRole,
        String decidedByLabel,
        String decisionHash,
        Instant usedAt) {

    /** The stored status; {@link #effectiveStatus} adds expiry. */
    public enum Status {
        PENDING,
        APPROVED,
        DENIED
    }

    public Approval {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(requestHash, "requestHash");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(expiresAt, "expiresAt");
        request = request.deepCopy();
        reasons = List.copyOf(reasons);
    }

    @Override
    public ObjectNode request() {
        return request.deepCopy();
    }

    /** {@code pending}, {@code approved}, {@code denied} or {@code expired} (pending or approved past expiry). */
    public String effectiveStatus(Instant now) {
        if (status != Status.DENIED && !now.isBefore(expiresAt)) {
            return "expired";
        }
        return status.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** What the requesting agent may see: id, status, expiry. Never the policies involved. */
    public ObjectNode agentView(Instant now) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", id);
        o.put("status", effectiveStatus(now));
        o.put("expires_at", expiresAt.getEpochSecond());
        return o;
    }

    /** What approvers see: the request, the agent, the policies that asked for a human, the decision. */
    public ObjectNode operatorView(Instant now) {
        ObjectNode o = agentView(now);
        o.put("agent_id", agentId);
        o.put("spiffe_id", spiffeId);
        o.put("tenant", tenant);
        o.put("request_hash", requestHash);
        o.set("request", request.deepCopy());
        o.put("policy_hash", policyHash);
        var rs = o.putArray("reasons");
        reasons.forEach(rs::add);
        o.put("created_at", createdAt.getEpochSecond());
        if (decidedAt != null) {
            ObjectNode d = o.putObject("decision");
            d.put("at", decidedAt.getEpochSecond());
            d.put("by", decidedBy);
            d.put("role", decidedByRole);
            if (decidedByLabel != null) {
                d.put("label", decidedByLabel);
            }
            d.put("hash", decisionHash);
        }
        o.put("used", usedAt != null);
        return o;
    }
}
