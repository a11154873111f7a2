package dev.writ.core.sae;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.cert.AgentIdentity;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;

/**
 * An envelope that passed every check of {@link SaeVerifier} (chain, revocation, signature, time, scope, request
 * binding, replay). Only the verifier creates one: holding a {@code VerifiedAction} is proof that verification ran.
 * Immutable; the claims are copied out.
 */
public final class VerifiedAction {
    private final String compact;
    private volatile String envelopeHash;
    private final AgentIdentity agent;
    private final String agentDn;
    private final String kid;
    private final ActionRequest action;
    private final ObjectNode claims;
    private final String policyHash;
    private final String jti;
    private final Instant issuedAt;
    private final Instant notBefore;
    private final Instant expiresAt;

    VerifiedAction(
            String compact,
            AgentIdentity agent,
            String agentDn,
            String kid,
            ActionRequest action,
            ObjectNode claims,
            String policyHash,
            String jti,
            Instant issuedAt,
            Instant notBefore,
            Instant expiresAt) {
        this.compact = compact;
        this.agent = agent;
        this.agentDn = agentDn;
        this.kid = kid;
        this.action = action;
        this.claims = claims;
        this.policyHash = policyHash;
        this.jti = jti;
        this.issuedAt = issuedAt;
        this.notBefore = notBefore;
        this.expiresAt = expiresAt;
    }

    /** {@code sha256:} + hex of the compact envelope (see {@link Envelopes#hash}). */
    public String envelopeHash() {
        String h = envelopeHash;
        if (h == null) {
            h = Envelopes.hash(compact); // computed on demand: most PEPs never need it
            envelopeHash = h;
        }
        return h;
    }

    /** The verified envelope itself, in compact form. */
    public String compact() {
        return compact;
    }

    /** The agent: identity, scope and model from the certificate the envelope was signed under. */
    public AgentIdentity agent() {
        return agent;
    }

    /** The agent certificate the envelope was signed under. */
    public X509Certificate agentCertificate() {
        return agent.certificate();
    }

    /** The agent certificate's subject DN as carried in {@code iss} (RFC 4514). */
    public String agentDn() {
        return agentDn;
    }

    /** The agent's SPIFFE ID from its certificate's URI SAN. */
    public String agentId() {
        return agent.spiffeId().toString();
    }

    /** The {@code kid}: base64url SHA-256 of the agent certificate's DER. */
    public String kid() {
        return kid;
    }

    /** The authorised action ({@code act}, with {@code sub} as its target). */
    public ActionRequest action() {
        return action;
    }

    /** All claims, as a copy. */
    public ObjectNode claims() {
        return claims.deepCopy();
    }

    /** {@code pol}: {@code sha256:} + hex of the policy bundle that allowed the action. */
    public String policyHash() {
        return policyHash;
    }

    /** {@code jti}: the replay nonce, now recorded. */
    public String jti() {
        return jti;
    }

    public Instant issuedAt() {
        return issuedAt;
    }

    public Instant notBefore() {
        return notBefore;
    }

    public Instant expiresAt() {
        return expiresAt;
    }

    /** {@code ctx.session}, when present. */
    public Optional<String> session() {
        var ctx = claims.get("ctx");
        var s = ctx == null ? null : ctx.get("session");
        return s != null && s.isTextual() ? Optional.of(s.textValue()) : Optional.empty();
    }

    /** {@code mod.digest}, when present. */
    public Optional<String> modelDigest() {
        var mod = claims.get("mod");
        var d = mod == null ? null : mod.get("digest");
        return d != null && d.isTextual() ? Optional.of(d.textValue()) : Optional.empty();
    }

    @Override
    public String toString() {
        return "VerifiedAction[" + action.name() + " by " + agentId() + ", jti=" + jti + "]";
    }
}
