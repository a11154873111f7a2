package dev.writ.core.nonce;

/** A nonce store could not record or check a nonce. Whoever sees this must deny the action. */
public final class NonceStoreException extends Exception {
    public NonceStoreException(String message) {
        super(message);
    }

    public NonceStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
