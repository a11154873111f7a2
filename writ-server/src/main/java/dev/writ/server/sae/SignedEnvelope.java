package dev.writ.server.sae;

import java.time.Instant;
import java.util.Objects;

/**
 * A signed envelope: the compact JWS and the values callers index it by.
 *
 * @param compact the JWS compact serialisation
 * @param hash {@code sha256:} + hex of {@code compact} (for {@code ctx.parent_chain} and lookups)
 * @param jti the replay nonce
 * @param issuedAt {@code iat}
 * @param expiresAt {@code exp}
 */
public record SignedEnvelope(String compact, String hash, String jti, Instant issuedAt, Instant expiresAt) {
    public SignedEnvelope {
        Objects.requireNonNull(compact, "compact");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(jti, "jti");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    @Override
    public String toString() {
        return "SignedEnvelope[jti=" + jti + ", hash=" + hash + "]";
    }
}
