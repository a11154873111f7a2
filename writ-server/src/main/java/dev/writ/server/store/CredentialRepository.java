package dev.writ.server.store;

import java.time.Instant;
import java.util.Optional;

/** Agent credentials, stored only as hashes. */
public interface CredentialRepository {
    void insert(String hash, String agentId, Instant at) throws StoreException;

    /** The agent id of an enabled credential with this hash. */
    Optional<String> findActive(String hash) throws StoreException;

    /** Disables every credential of an agent; returns how many were enabled. */
    int disableAll(String agentId, Instant at) throws StoreException;

    long count() throws StoreException;
}
