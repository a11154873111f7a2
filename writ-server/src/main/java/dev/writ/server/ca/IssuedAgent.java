package dev.writ.server.ca;

import java.time.Instant;

/**
 * The result of registering, delegating or rotating an agent.
 *
 * @param credential the agent credential, shown once (null after a rotation, which keeps the credential)
 * @param certificatePem the agent certificate
 * @param chainPem the agent certificate followed by the issuing intermediate
 */
public record IssuedAgent(
        String agentId,
        String tenant,
        String name,
        String spiffeId,
        String serial,
        Instant notBefore,
        Instant notAfter,
        String certificatePem,
        String chainPem,
        String credential) {
    @Override
    public String toString() {
        // Never print the credential.
        return "IssuedAgent[" + agentId + ", serial=" + serial + "]";
    }
}
