package dev.writ.server.policy;

import java.util.Objects;

/**
 * The agent on whose behalf an action is proposed, as the policy sees it: the Cedar principal
 * {@code Writ::Agent::"<agentId>"} with these attributes. The authorize path fills it from the verified agent
 * certificate (subject, SPIFFE id, model extension) and the agent registry.
 *
 * @param agentId the agent id (the last segment of its SPIFFE id)
 * @param tenant the tenant (certificate {@code O})
 * @param name the agent name (certificate {@code CN})
 * @param modelDigest {@code sha256:<hex>} of the model artifact, or {@code null} when the certificate names none
 * @param delegationDepth how many delegations separate this agent from a root agent (0 for a root agent)
 * @param parent the parent agent's id, or {@code null} for a root agent
 */
public record AgentPrincipal(
        String agentId, String tenant, String name, String modelDigest, int delegationDepth, String parent) {
    public AgentPrincipal {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(name, "name");
        if (agentId.isEmpty()) {
            throw new IllegalArgumentException("agentId must not be empty");
        }
        if (delegationDepth < 0) {
            throw new IllegalArgumentException("delegationDepth must not be negative");
        }
    }
}
