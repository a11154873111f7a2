package dev.writ.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A signed denial record that passed {@link DenialVerifier}: typed, signed by a trust-service certificate chaining to
 * the anchors, well formed. When it was opened ({@link DenialVerifier#open}), {@link #detailedReasons()} holds the
 * detailed reasons whose commitment the record carries. Only the verifier creates one; immutable, JSON is copied out.
 */
public final class VerifiedDenial {
    private final String compact;
    private final ObjectNode claims;
    private final X509Certificate signer;
    private final List<String> reasons;
    private final String commitment;
    private final String detail;
    private final List<String> detailedReasons;

    VerifiedDenial(
            String compact,
            ObjectNode claims,
            X509Certificate signer,
            List<String> reasons,
            String commitment,
            String detail,
            List<String> detailedReasons) {
        this.compact = compact;
        this.claims = claims;
        this.signer = signer;
        this.reasons = List.copyOf(reasons);
        this.commitment = commitment;
        this.detail = detail;
        this.detailedReasons = detailedReasons == null ? null : List.copyOf(detailedReasons);
    }

    public String compact() {
        return compact;
    }

    public String jti() {
        return claims.path("jti").asText();
    }

    /** The requesting agent's SPIFFE ID ({@code agent.id}). */
    public String agentId() {
        return claims.path("agent").path("id").asText();
    }

    /** The requesting agent's certificate hash ({@code agent.kid}). */
    public String agentKid() {
        return claims.path("agent").path("kid").asText();
    }

    /** The target ({@code sub}). */
    public String target() {
        return claims.path("sub").asText();
    }

    /** The requested action ({@code act}), a copy. */
    public JsonNode action() {
        return claims.path("act").deepCopy();
    }

    /** {@code pol}: the evaluated bundle hash, or {@code none} when no policy was active. */
    public String policyHash() {
        return claims.path("pol").asText();
    }

    /** The reasons the record itself names (for a released record: the coarse code only). */
    public List<String> reasons() {
        return reasons;
    }

    /** The commitment to the detailed record ({@code detail} claim), when the record carries one. */
    public Optional<String> detailCommitment() {
        return Optional.ofNullable(commitment);
    }

    /** The detailed record (compact JWS), once opened. */
    public Optional<String> detail() {
        return Optional.ofNullable(detail);
    }

    /** The detailed reason codes (policy ids, {@code scope.*}, ...), once opened. */
    public Optional<List<String>> detailedReasons() {
        return Optional.ofNullable(detailedReasons);
    }

    public Instant issuedAt() {
        return Instant.ofEpochSecond(claims.path("iat").asLong());
    }

    /** {@code ctx.session}, when present. */
    public Optional<String> session() {
        JsonNode s = claims.path("ctx").get("session");
        return s != null && s.isTextual() ? Optional.of(s.textValue()) : Optional.empty();
    }

    /** The decision certificate that signed the record. */
    public X509Certificate signer() {
        return signer;
    }

    /** All claims, as a copy. */
    public ObjectNode claims() {
        return claims.deepCopy();
    }

    @Override
    public String toString() {
        return "VerifiedDenial[" + claims.path("act").path("name").asText() + " by " + agentId() + ", jti=" + jti()
                + "]";
    }
}
