package dev.writ.server.ca;

import dev.writ.core.scope.Scope;
import dev.writ.server.custody.KeyHandle;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * An agent whose credential was accepted: its identity, its current certificate and chain, its scope (decoded from the
 * certificate's scope extension at issuance) and the custody handle of its signing key. Only {@link AgentService}
 * creates these, and only for an active agent with an enabled credential and a good certificate.
 *
 * @param chain the agent certificate, then the issuing intermediate
 */
public record AuthenticatedAgent(
        String agentId,
        String tenant,
        String name,
        String parentId,
        String spiffeId,
        Scope scope,
        String modelJson,
        KeyHandle key,
        X509Certificate certificate,
        List<X509Certificate> chain) {
    public AuthenticatedAgent {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(certificate, "certificate");
        chain = List.copyOf(chain);
    }

    /** Hex serial of the current certificate. */
    public String serial() {
        return certificate.getSerialNumber().toString(16);
    }
}
