package dev.writ.server.redis;

import dev.writ.core.nonce.NonceStore;
import dev.writ.core.nonce.NonceStoreException;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Replay nonces shared by every PEP of a trust domain: one {@code SET writ:<domain>:nonce:<jti> 1 NX PX <ttl>} per
 * envelope, atomic in Redis, so of any number of gateways and servers checking the same {@code jti} exactly one
 * records it while it is live. {@code OK} means recorded now; a null reply means the key exists (a replay).
 *
 * <p>Fail closed: a closed or disconnected connection, an error reply or an answer slower than the connection's timeout
 * throws {@link NonceStoreException}, which the verifier turns into {@code sae.nonce_store} (the gateway answers 403).
 * The TTL is {@code expiresAt − now} from the injected clock, so the key expires by Redis's own clock and nodes need
 * not agree with Redis on the time.
 *
 * <p>Durability is Redis's: with snapshotting only, a Redis crash can forget recent nonces; run Redis with
 * {@code appendonly yes} ({@code appendfsync everysec} or {@code always}) where that matters (see {@code docs/redis.md}).
 * A store built on a caller's connection leaves it open on {@link #close}; one from {@link #connect} closes its own.
 */
public final class RedisNonceStore implements NonceStore {
    private final RedisConnection redis;
    private final String prefix;
    private final InstantSource clock;
    private final boolean owned;
    private volatile boolean closed;

    /**
     * @param trustDomain the trust domain's name (e.g. {@code writ.local}); it scopes the keys, so domains sharing one
     *     Redis never see each other's nonces
     * @throws IllegalArgumentException when the domain name is empty or has characters outside
     *     {@code [A-Za-z0-9._-]}
     */
    public RedisNonceStore(RedisConnection redis, String trustDomain, InstantSource clock) {
        this(redis, trustDomain, clock, false);
    }

    private RedisNonceStore(RedisConnection redis, String trustDomain, InstantSource clock, boolean owned) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.prefix = Keys.nonces(trustDomain);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.owned = owned;
    }

    /**
     * A store on a connection of its own, which {@link #close} closes (for a PEP that uses Redis for nothing else).
     *
     * @throws RedisException as {@link RedisConnection#connect}
     */
    public static RedisNonceStore connect(String uri, Duration timeout, String trustDomain, InstantSource clock)
            throws RedisException {
        Keys.domain(trustDomain);
        Objects.requireNonNull(clock, "clock");
        return new RedisNonceStore(RedisConnection.connect(uri, timeout), trustDomain, clock, true);
    }

    /** Whether Redis answers a PING within the connection's timeout (for readiness); never throws. */
    public boolean healthy() {
        return redis.healthy();
    }

    /** The key a nonce is recorded under (for operators and tests). */
    public String key(String nonce) {
        return prefix + NonceStore.requireValidNonce(nonce);
    }

    @Override
    public boolean recordIfAbsent(String nonce, Instant expiresAt) throws NonceStoreException {
        String key = key(nonce);
        Objects.requireNonNull(expiresAt, "expiresAt");
        // A closed store or a dropped connection cannot rule out a replay: refuse instead of guessing.
        if (closed) {
            throw new NonceStoreException("the nonce store is closed");
        }
        if (!redis.isOpen()) {
            throw new NonceStoreException(
                    RedisException.UNAVAILABLE + ": Redis at " + redis.endpoint() + " is not connected");
        }
        // An already expired nonce (the verifier refuses such an envelope anyway) is still recorded, for a moment.
        long ttl = Math.max(1, expiresAt.toEpochMilli() - clock.millis());
        try {
            String reply = redis.await(
                    redis.commands().set(key, "1", SetArgs.Builder.nx().px(ttl)), "SET NX");
            return "OK".equals(reply);
        } catch (RedisException e) {
            throw new NonceStoreException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (owned) {
            redis.close();
        }
    }
}
