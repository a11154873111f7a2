package dev.writ.server.store;

import java.util.List;
import java.util.Optional;

/** Agents and their delegation tree. */
public interface AgentRepository {
    void insert(AgentRecord agent) throws StoreException;

    Optional<AgentRecord> find(String id) throws StoreException;

    /** All agents, optionally of one tenant (null for all), ordered by creation. */
    List<AgentRecord> list(String tenant) throws StoreException;

    /** Direct children of an agent. */
    List<AgentRecord> children(String parentId) throws StoreException;

    /** Points the agent at a new key and certificate. */
    void updateKeyAndCertificate(String id, String keyId, String keySpec, String serial) throws StoreException;

    void updateStatus(String id, String status) throws StoreException;

    long count() throws StoreException;
}
