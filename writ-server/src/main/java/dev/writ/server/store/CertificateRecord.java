package dev.writ.server.store;

import java.time.Instant;
import java.util.Objects;

/**
 * An issued certificate and its status.
 *
 * @param serial lowercase hex serial without leading zeros
 * @param ca the issuing CA ({@code root}, {@code agents}, {@code policy}, {@code audit})
 * @param kind what it is ({@code agent}, {@code intermediate}, {@code ocsp}, {@code policy-signing}, ...)
 * @param agentId the agent it belongs to, or null
 * @param parentSerial the certificate of the delegating agent at issuance, or null
 * @param subject RFC 4514 subject
 * @param der the DER encoding (copied in and out)
 * @param status {@code good} or {@code revoked}
 * @param revokedAt when revoked, or null
 * @param revocationReason the RFC 5280 CRLReason code, or null
 */
public record CertificateRecord(
        String serial,
        String ca,
        String kind,
        String agentId,
        String parentSerial,
        String subject,
        Instant notBefore,
        Instant notAfter,
        byte[] der,
        String status,
        Instant revokedAt,
        Integer revocationReason,
        Instant issuedAt) {
    public static final String GOOD = "good";
    public static final String REVOKED = "revoked";

    public CertificateRecord {
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(notAfter, "notAfter");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(issuedAt, "issuedAt");
        der = der.clone();
    }

    @Override
    public byte[] der() {
        return der.clone();
    }

    public boolean revoked() {
        return REVOKED.equals(status);
    }
}
