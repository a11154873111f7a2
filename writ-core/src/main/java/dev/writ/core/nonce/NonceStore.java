package dev.writ.core.nonce;

import java.time.Instant;

/**
 * Remembers replay nonces (envelope {@code jti}s) until they expire.
 *
 * <p>The one operation is an atomic "record if absent until expiry": of any number of concurrent calls with the same
 * nonce on the same store (or on any node sharing the store), exactly one returns {@code true} while the nonce is
 * live. A store that cannot answer reliably throws, so the verifier fails closed; it never guesses {@code true}.
 */
public interface NonceStore extends AutoCloseable {

    /**
     * Records {@code nonce} until {@code expiresAt} unless it is already recorded and not yet expired.
     *
     * @param nonce an opaque token of 1 to 128 characters from the base64url alphabet
     * @param expiresAt when the store may forget the nonce
     * @return {@code true} when the nonce was recorded now (first use); {@code false} when it was already present
     *     (a replay)
     * @throws NonceStoreException when the store cannot record or check the nonce; the caller must deny
     * @throws IllegalArgumentException when the nonce is not a valid token
     */
    boolean recordIfAbsent(String nonce, Instant expiresAt) throws NonceStoreException;

    @Override
    void close() throws NonceStoreException;

    /** Checks the token syntax shared by every store: 1..128 characters of {@code [A-Za-z0-9_-]}. */
    static String requireValidNonce(String nonce) {
        if (nonce == null || nonce.isEmpty() || nonce.length() > 128) {
            throw new IllegalArgumentException("nonce must have 1 to 128 characters");
        }
        for (int i = 0; i < nonce.length(); i++) {
            char c = nonce.charAt(i);
            boolean ok =
                    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            if (!ok) {
                throw new IllegalArgumentException("nonce must use the base64url alphabet");
            }
        }
        return nonce;
    }
}
