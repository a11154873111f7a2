package dev.writ.server.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A registered agent.
 *
 * @param id the agent id (the last segment of its SPIFFE ID)
 * @param tenant the tenant it belongs to
 * @param name its display name (certificate CN)
 * @param parentId the delegating agent, or null for a top-level agent
 * @param scopeJson its scope in canonical JSON form
 * @param modelJson its model description (JSON) or null
 * @param keyId the custody handle id of its signing key
 * @param keySpec the custody key spec name
 * @param currentSerial hex serial of its current certificate, or null
 * @param status {@code active}, {@code revoked} or {@code quarantined}
 * @param createdAt creation time
 */
public record AgentRecord(
        String id,
        String tenant,
        String name,
        String parentId,
        String scopeJson,
        String modelJson,
        String keyId,
        String keySpec,
        String currentSerial,
        String status,
        Instant createdAt) {
    public static final String ACTIVE = "active";
    public static final String REVOKED = "revoked";

    public AgentRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(scopeJson, "scopeJson");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(keySpec, "keySpec");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
