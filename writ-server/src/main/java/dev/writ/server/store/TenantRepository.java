package dev.writ.server.store;

import java.time.Instant;
import java.util.List;

/** Tenants: the organisations agents belong to. */
public interface TenantRepository {
    /** Creates a tenant; false if it already existed. */
    boolean create(String name, Instant at) throws StoreException;

    boolean exists(String name) throws StoreException;

    List<String> list() throws StoreException;
}
