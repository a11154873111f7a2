package dev.writ.server.sae;

import dev.writ.core.nonce.NonceStore;
import dev.writ.core.nonce.NonceStoreException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Replay nonces in Redis, shared by every PEP node: {@code SET writ:nonce:<jti> 1 NX PXAT <expiry>}, one round trip,
 * atomic in Redis. "OK" means recorded now; a null reply means the key exists (a replay).
 *
 * <p>Durability is Redis's: with the default snapshotting a Redis crash can forget recent nonces; run Redis with
 * {@code appendonly yes} and {@code appendfsync everysec} (or {@code always}) where that matters. Any error or timeout
 * throws, and the verifier denies.
 */
public final class RedisNonceStore implements NonceStore {
    private static final String PREFIX = "writ:nonce:";

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> commands;

    private RedisNonceStore(RedisClient client, StatefulRedisConnection<String, String> connection) {
        this.client = client;
        this.connection = connection;
        this.commands = connection.sync();
    }

    /**
     * Connects to Redis, for example {@code redis://127.0.0.1:6379}.
     *
     * @param timeout the bound on each command; a slower answer is a failure
     * @throws NonceStoreException when Redis cannot be reached
     */
    public static RedisNonceStore connect(String uri, Duration timeout) throws NonceStoreException {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(timeout, "timeout");
        RedisURI redisUri = RedisURI.create(uri);
        redisUri.setTimeout(timeout);
        RedisClient client = RedisClient.create(redisUri);
        try {
            return new RedisNonceStore(client, client.connect());
        } catch (RuntimeException e) {
            client.shutdown();
            throw new NonceStoreException("cannot connect to Redis", e);
        }
    }

    @Override
    public boolean recordIfAbsent(String nonce, Instant expiresAt) throws NonceStoreException {
        NonceStore.requireValidNonce(nonce);
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (!connection.isOpen()) {
            throw new NonceStoreException("the Redis connection is closed");
        }
        try {
            String reply =
                    commands.set(PREFIX + nonce, "1", SetArgs.Builder.nx().pxAt(expiresAt.toEpochMilli()));
            return "OK".equals(reply);
        } catch (RuntimeException e) {
            throw new NonceStoreException("Redis did not record the nonce", e);
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
