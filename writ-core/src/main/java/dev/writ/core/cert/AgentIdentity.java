package dev.writ.core.cert;

import dev.writ.core.scope.Scope;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;

/**
 * An agent certificate that follows Writ's agent certificate profile, with its parsed identity, scope and model.
 *
 * <p>Only {@link AgentCertificates#parse} creates one, so holding an {@code AgentIdentity} proves the profile was
 * checked. It does <em>not</em> prove the certificate chains to a trust anchor, is within its validity period or is
 * unrevoked: those checks need a trust anchor, a time and revocation data, and belong to the verifier.
 */
public final class AgentIdentity {
    private final SpiffeId spiffeId;
    private final String name;
    private final Scope scope;
    private final Optional<ModelInfo> model;
    private final X509Certificate certificate;

    AgentIdentity(SpiffeId spiffeId, String name, Scope scope, Optional<ModelInfo> model, X509Certificate certificate) {
        this.spiffeId = Objects.requireNonNull(spiffeId);
        this.name = Objects.requireNonNull(name);
        this.scope = Objects.requireNonNull(scope);
        this.model = Objects.requireNonNull(model);
        this.certificate = Objects.requireNonNull(certificate);
    }

    /** The SPIFFE ID from the single URI SAN. */
    public SpiffeId spiffeId() {
        return spiffeId;
    }

    public String trustDomain() {
        return spiffeId.trustDomain();
    }

    /** The tenant; equal to the subject's O. */
    public String tenant() {
        return spiffeId.tenant();
    }

    public String agentId() {
        return spiffeId.agentId();
    }

    /** The agent's name: the subject's CN. */
    public String name() {
        return name;
    }

    /** The scope from the critical {@code id-writ-ce-scope} extension. */
    public Scope scope() {
        return scope;
    }

    /** The model from the {@code id-writ-ce-model} extension, when present. */
    public Optional<ModelInfo> model() {
        return model;
    }

    /** The certificate itself. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The serial number. */
    public BigInteger serial() {
        return certificate.getSerialNumber();
    }

    /** The serial number in lower-case hex: the certificate id of the HTTP API. */
    public String serialHex() {
        return certificate.getSerialNumber().toString(16);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AgentIdentity a && certificate.equals(a.certificate);
    }

    @Override
    public int hashCode() {
        return certificate.hashCode();
    }

    @Override
    public String toString() {
        return "AgentIdentity[" + spiffeId + ", serial " + serialHex() + "]";
    }
}
