package dev.writ.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Operator bearer tokens, stored only as hashes. */
public interface OperatorTokenRepository {
    void insert(String id, String hash, String role, String label, Instant at) throws StoreException;

    /** The enabled token with this hash. */
    Optional<OperatorToken> findActive(String hash) throws StoreException;

    List<OperatorToken> list() throws StoreException;

    boolean disable(String id, Instant at) throws StoreException;
}
