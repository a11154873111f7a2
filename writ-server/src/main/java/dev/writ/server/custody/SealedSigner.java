package dev.writ.server.custody;

import java.security.PublicKey;
import java.util.Objects;

/**
 * An opened {@link SealedKey}: signs while open, and wipes the key from memory on {@link #close()}. Safe to use from
 * several threads. Signatures have the same raw form as {@link KeyCustody#sign}.
 */
public final class SealedSigner implements AutoCloseable {
    private final SoftwareKey key;
    private volatile boolean closed;

    SealedSigner(SoftwareKey key) {
        this.key = key;
    }

    /** Signs {@code data} (the message, not a digest). */
    public byte[] sign(byte[] data) throws CustodyException {
        Objects.requireNonNull(data, "data");
        if (closed) {
            throw new CustodyException("sealed key is closed");
        }
        return key.sign(data);
    }

    public PublicKey publicKey() {
        return key.publicKey();
    }

    public KeySpec spec() {
        return key.spec();
    }

    /** Wipes the key. Idempotent. */
    @Override
    public void close() {
        closed = true;
        key.wipe();
    }

    @Override
    public String toString() {
        return "SealedSigner[" + key.spec() + (closed ? ", closed]" : "]");
    }
}
