package dev.writ.server.events;

import java.time.Instant;
import java.util.Objects;

/**
 * A committed certificate revocation.
 *
 * @param serial lowercase hex serial of the revoked certificate
 * @param ca the issuing CA ({@code agents}, ...)
 * @param agentId the agent the certificate belonged to, or null
 * @param reason RFC 5280 reason name ({@code keyCompromise}, {@code superseded}, ...)
 * @param revokedAt revocation time
 */
public record RevocationEvent(String serial, String ca, String agentId, String reason, Instant revokedAt) {
    public RevocationEvent {
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(revokedAt, "revokedAt");
    }
}
