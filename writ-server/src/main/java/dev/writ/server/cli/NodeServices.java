package dev.writ.server.cli;

import dev.writ.server.api.TrustRuntime;
import dev.writ.server.cluster.RelayLease;
import dev.writ.server.store.postgres.PostgresStore;
import java.nio.file.Path;
import java.time.InstantSource;
import javax.sql.DataSource;

/**
 * The backends one {@code writ serve} node runs on, opened before the trust runtime: nothing (the embedded default,
 * SQLite and files in the data directory) or PostgreSQL shared with other nodes (and Redis, when configured). Opening
 * fails with a one-line {@link CliError} naming the unreachable backend, so a node never starts half-connected.
 */
final class NodeServices implements AutoCloseable {
    private final NodeConfig config;
    private final PostgresStore postgres;
    private final TrustRuntime.State state;

    private NodeServices(NodeConfig config, PostgresStore postgres, TrustRuntime.State state) {
        this.config = config;
        this.postgres = postgres;
        this.state = state;
    }

    /**
     * Connects to the configured backends and, with PostgreSQL, writes the shared trust-domain files into
     * {@code dataDir}.
     *
     * @throws CliError when a backend is unreachable (exit 1) or misconfigured (exit 2)
     */
    static NodeServices open(NodeConfig config, Path dataDir, InstantSource clock) {
        if (config.db() == null) {
            return new NodeServices(config, null, null);
        }
        PostgresStore store = NodeBackends.openPostgres(config);
        TrustRuntime.State state = NodeBackends.materialize(store, dataDir, clock);
        return new NodeServices(config, store, state);
    }

    NodeConfig config() {
        return config;
    }

    /** The runtime state on PostgreSQL, or null for the embedded default. */
    TrustRuntime.State state() {
        return state;
    }

    /** Whether this node shares its state with others (PostgreSQL). */
    boolean shared() {
        return postgres != null;
    }

    /** The shared database, or null. */
    DataSource database() {
        return postgres == null ? null : postgres.dataSource();
    }

    /** The lease that lets one node at a time relay the outbox, or null when this node is alone. */
    RelayLease relayLease() {
        return postgres == null ? null : new RelayLease(postgres.dataSource(), RelayLease.OUTBOX_RELAY);
    }

    @Override
    public void close() {
        if (postgres != null) {
            postgres.close();
        }
    }
}
