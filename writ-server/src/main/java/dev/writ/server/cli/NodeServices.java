package dev.writ.server.cli;

import dev.writ.server.api.TrustRuntime;
import dev.writ.server.cluster.RelayLease;
import dev.writ.server.store.postgres.PostgresStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
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
    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> redis;

    private NodeServices(
            NodeConfig config,
            PostgresStore postgres,
            TrustRuntime.State state,
            RedisClient redisClient,
            StatefulRedisConnection<String, String> redis) {
        this.config = config;
        this.postgres = postgres;
        this.state = state;
        this.redisClient = redisClient;
        this.redis = redis;
    }

    /**
     * Connects to the configured backends and, with PostgreSQL, writes the shared trust-domain files into
     * {@code dataDir}.
     *
     * @throws CliError when a backend is unreachable (exit 1) or misconfigured (exit 2)
     */
    static NodeServices open(NodeConfig config, Path dataDir, InstantSource clock) {
        if (config.redis() != null && config.db() == null) {
            // Redis carries news between nodes that share one database; alone it would only pretend to share.
            throw CliError.usage("--redis needs --db (nodes share their state in PostgreSQL)");
        }
        PostgresStore store = null;
        TrustRuntime.State state = null;
        if (config.db() != null) {
            store = NodeBackends.openPostgres(config);
            state = NodeBackends.materialize(store, dataDir, clock);
        }
        RedisClient client = null;
        StatefulRedisConnection<String, String> connection = null;
        if (config.redis() != null) {
            try {
                RedisURI uri = RedisURI.create(config.redisLocationWithPassword());
                uri.setTimeout(Duration.ofSeconds(2));
                client = RedisClient.create(uri);
                connection = client.connect();
                connection.sync().ping();
            } catch (RuntimeException e) {
                if (client != null) {
                    client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
                }
                if (store != null) {
                    store.close();
                }
                // Lettuce's messages may repeat the URI: only host and port are named.
                throw new CliError(
                        ExitCodes.FALSE, "cannot connect to Redis at " + NodeConfig.describe(config.redis()));
            }
        }
        return new NodeServices(config, store, state, client, connection);
    }

    /** Whether Redis is configured. */
    boolean hasRedis() {
        return redis != null;
    }

    /** A readiness check: one PING to Redis. */
    void pingRedis() {
        if (!"PONG".equals(redis.sync().ping())) {
            throw new IllegalStateException("Redis did not answer PONG");
        }
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
        try {
            if (redis != null) {
                redis.close();
                redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
    }
}
