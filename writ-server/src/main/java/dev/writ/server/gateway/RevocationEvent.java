package dev.writ.server.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;

/**
 * One revocation as pushed to PEPs over {@code GET /v1/revocations/stream}: the certificate's issuer and serial, the
 * reason, when it was revoked, and the event's position in the server's revocation sequence (the stream cursor).
 *
 * <p>Wire form (the SSE {@code data} of an {@code event: revocation}, whose {@code id} is {@code seq}):
 * {@code {"seq":42,"serial":"<lower-case hex>","issuer":"<RFC 4514 DN>","reason":"keyCompromise","revoked_at":<epoch s>}}.
 *
 * @param seq position in the server's revocation sequence, starting at 1, strictly increasing
 * @param issuer the revoked certificate's issuer DN
 * @param serial the revoked certificate's serial number
 * @param reason an RFC 5280 reason name (free text is accepted; it is informational)
 * @param revokedAt when the certificate was revoked
 */
public record RevocationEvent(long seq, X500Principal issuer, BigInteger serial, String reason, Instant revokedAt) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public RevocationEvent {
        if (seq < 1) {
            throw new IllegalArgumentException("seq must be positive");
        }
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(revokedAt, "revokedAt");
        if (serial.signum() <= 0) {
            throw new IllegalArgumentException("serial must be positive");
        }
    }

    /** An event for {@code certificate}. */
    public static RevocationEvent of(long seq, X509Certificate certificate, String reason, Instant revokedAt) {
        return new RevocationEvent(
                seq, certificate.getIssuerX500Principal(), certificate.getSerialNumber(), reason, revokedAt);
    }

    /** The serial as lower-case hex (the certificate id of the HTTP API). */
    public String serialHex() {
        return serial.toString(16).toLowerCase(Locale.ROOT);
    }

    /** The JSON wire form. */
    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("seq", seq);
        n.put("serial", serialHex());
        n.put("issuer", issuer.getName(X500Principal.RFC2253));
        n.put("reason", reason);
        n.put("revoked_at", revokedAt.getEpochSecond());
        return n.toString();
    }

    /**
     * Parses the JSON wire form strictly.
     *
     * @throws IOException when a field is missing or malformed (the subscriber then drops the connection and resumes
     *     from its cursor, so a revocation is never silently skipped)
     */
    public static RevocationEvent fromJson(String json) throws IOException {
        JsonNode n = JSON.readTree(json);
        if (n == null || !n.isObject()) {
            throw new IOException("a revocation event is a JSON object");
        }
        JsonNode seq = n.get("seq");
        JsonNode serial = n.get("serial");
        JsonNode issuer = n.get("issuer");
        JsonNode reason = n.get("reason");
        JsonNode at = n.get("revoked_at");
        if (seq == null || !seq.canConvertToLong() || !seq.isIntegralNumber()) {
            throw new IOException("seq must be an integer");
        }
        if (serial == null || !serial.isTextual() || !serial.textValue().matches("[0-9a-fA-F]{1,64}")) {
            throw new IOException("serial must be hex");
        }
        if (issuer == null || !issuer.isTextual()) {
            throw new IOException("issuer must be a DN");
        }
        if (at == null || !at.isIntegralNumber() || !at.canConvertToLong()) {
            throw new IOException("revoked_at must be an integer");
        }
        try {
            return new RevocationEvent(
                    seq.longValue(),
                    new X500Principal(issuer.textValue()),
                    new BigInteger(serial.textValue(), 16),
                    reason != null && reason.isTextual() ? reason.textValue() : "unspecified",
                    Instant.ofEpochSecond(at.longValue()));
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed revocation event", e);
        }
    }
}
