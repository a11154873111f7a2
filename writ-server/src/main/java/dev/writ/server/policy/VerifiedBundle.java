package dev.writ.server.policy;

import java.security.cert.X509Certificate;
import java.time.Instant;

/**
 * A bundle whose statement signature chains to the policy-signing CA, whose hash matches its content, and which
 * validated against its schema. Only {@link BundleVerifier} creates one.
 */
public final class VerifiedBundle {
    private final CompiledBundle bundle;
    private final String statement;
    private final X509Certificate signer;
    private final Instant signedAt;

    VerifiedBundle(CompiledBundle bundle, String statement, X509Certificate signer, Instant signedAt) {
        this.bundle = bundle;
        this.statement = statement;
        this.signer = signer;
        this.signedAt = signedAt;
    }

    /** The compiled, validated bundle. */
    public CompiledBundle bundle() {
        return bundle;
    }

    /** {@code sha256:<hex>} of the bundle. */
    public String hash() {
        return bundle.hash();
    }

    /** The signed statement (compact JWS). */
    public String statement() {
        return statement;
    }

    /** The policy-signing certificate that signed the statement. */
    public X509Certificate signer() {
        return signer;
    }

    /** The signing time the statement claims ({@code iat}). */
    public Instant signedAt() {
        return signedAt;
    }
}
