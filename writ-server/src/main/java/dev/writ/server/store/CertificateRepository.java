package dev.writ.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Issued certificates with status, revocation and parent links. */
public interface CertificateRepository {
    void insert(CertificateRecord certificate) throws StoreException;

    Optional<CertificateRecord> find(String serial) throws StoreException;

    /** Certificates, newest first, optionally only of one agent (null for all). */
    List<CertificateRecord> list(String agentId, int limit) throws StoreException;

    /** Marks a good certificate revoked; false when it was not found or already revoked. */
    boolean revoke(String serial, Instant at, int reason) throws StoreException;

    /** Revoked certificates of one CA that have not expired at {@code now}, oldest revocation first. */
    List<CertificateRecord> revoked(String ca, Instant now) throws StoreException;

    long count() throws StoreException;
}
