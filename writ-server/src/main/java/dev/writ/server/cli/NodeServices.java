package dev.writ.server.cli;

import dev.writ.server.api.TrustRuntime;
import dev.writ.server.cluster.RelayLease;
import dev.writ.server.log.TransparencyLog;
import dev.writ.server.log.postgres.PostgresLog;
import dev.writ.server.redis.RedisConnection;
import dev.writ.server.redis.RedisException;
import dev.writ.server.redis.RedisRevocationRelay;
import dev.writ.server.redis.StoreRevocations;
import dev.writ.server.store.postgres.PostgresStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backends one {@code writ serve} node runs on, opened before the trust runtime: nothing (the embedded default,
 * SQLite and files in the data directory), or PostgreSQL shared with other nodes (state, sealed custody keys, the
 * audit log) and Redis (revocation fan-out between the nodes). Opening fails with a one-line {@link CliError} naming
 * the unreachable backend, so a node never starts half-connected.
 */
final class NodeServices implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeServices.class);
    /** Bound on each Redis command. */
    static final Duration REDIS_TIMEOUT = Duration.ofMillis(500);

    private final NodeConfig config;
    private final PostgresStore postgres;
    private final TrustRuntime.State state;
    private final RedisConnection redis;
    private volatile RedisRevocationRelay relay;

    private NodeServices(NodeConfig config, PostgresStore postgres, TrustRuntime.State state, RedisConnection redis) {
        this.config = config;
        this.postgres = postgres;
        this.state = state;
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
        RedisConnection redis = null;
        if (config.redis() != null) {
            try {
                redis = RedisConnection.connect(config.redisLocationWithPassword(), REDIS_TIMEOUT);
            } catch (RedisException e) {
                if (store != null) {
                    store.close();
                }
                // RedisException names host:port only, never the credentials.
                throw new CliError(
                        ExitCodes.FALSE,
                        "cannot connect to Redis at " + NodeConfig.describe(config.redis()) + " (" + e.code() + ")");
            }
        }
        return new NodeServices(config, store, state, redis);
    }

    /**
     * Joins this node's revocation bus to the other nodes' through Redis (when configured). Call after the runtime
     * opened and before anything reads the committed revocations (the server's revocation feed).
     *
     * @throws CliError (exit 1) when Redis cannot be reached
     */
    void startRevocationRelay(TrustRuntime rt, InstantSource clock) {
        if (redis == null) {
            return;
        }
        try {
            relay = RedisRevocationRelay.builder(
                            redis, rt.revocations(), rt.domain().name())
                    .clock(clock)
                    .committed(new StoreRevocations(rt.store(), clock))
                    .build()
                    .start();
        } catch (RedisException e) {
            throw new CliError(
                    ExitCodes.FALSE,
                    "cannot connect to Redis at " + NodeConfig.describe(config.redis()) + " (" + e.code() + ")");
        }
    }

    /** Whether this node hears of every other node's revocations now (the Redis relay's health), or null without Redis. */
    BooleanSupplier revocationsUpToDate() {
        RedisRevocationRelay r = relay;
        return r == null ? null : r::healthy;
    }

    /** The log factory: the shared PostgreSQL log, or null for the data directory's own log. */
    TransparencyLog.Factory logFactory() {
        if (postgres == null) {
            return null;
        }
        String location = config.dbLocationWithPassword();
        return signer -> PostgresLog.open(location, signer);
    }

    /** The runtime state on PostgreSQL, or null for the embedded default. */
    TrustRuntime.State state() {
        return state;
    }

    /** Whether this node shares its state with others (PostgreSQL). */
    boolean shared() {
        return postgres != null;
    }

    /** Whether Redis is configured. */
    boolean hasRedis() {
        return redis != null;
    }

    /** A readiness check: Redis answers a PING and revocations flow both ways through it. */
    void checkRedis() throws RedisException {
        redis.ping();
        RedisRevocationRelay r = relay;
        if (r != null && !r.healthy()) {
            throw new IllegalStateException("the revocation relay is not healthy");
        }
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
            if (relay != null) {
                relay.close();
            }
            if (redis != null) {
                redis.close();
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot close the Redis connection cleanly", e);
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
    }
}
