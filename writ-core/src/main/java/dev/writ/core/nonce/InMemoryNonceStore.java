package dev.writ.core.nonce;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A nonce store in this process's memory: atomic, fast, and forgotten on restart. Suitable for tests and for a PEP
 * whose envelopes are also refused after a restart by other means; use {@link FileNonceStore} or a shared store
 * otherwise.
 */
public final class InMemoryNonceStore implements NonceStore {
    private final ConcurrentHashMap<String, Long> live = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final AtomicInteger sincePurge = new AtomicInteger();
    private volatile boolean closed;

    public InMemoryNonceStore(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public boolean recordIfAbsent(String nonce, Instant expiresAt) throws NonceStoreException {
        NonceStore.requireValidNonce(nonce);
        if (closed) {
            throw new NonceStoreException("the nonce store is closed");
        }
        long now = clock.millis();
        long exp = expiresAt.toEpochMilli();
        boolean[] recorded = {false};
        // compute() is atomic per key: exactly one caller sees an absent or expired entry.
        live.compute(nonce, (k, old) -> {
            if (old != null && old > now) {
                return old;
            }
            recorded[0] = true;
            return exp;
        });
        if (sincePurge.incrementAndGet() >= 4096) {
            sincePurge.set(0);
            live.values().removeIf(e -> e <= now);
        }
        return recorded[0];
    }

    @Override
    public void close() {
        closed = true;
        live.clear();
    }
}
