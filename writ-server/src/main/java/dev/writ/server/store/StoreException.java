package dev.writ.server.store;

/** A storage operation failed. Messages name the operation, never secrets. */
public class StoreException extends Exception {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
