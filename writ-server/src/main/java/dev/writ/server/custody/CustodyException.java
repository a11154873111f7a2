package dev.writ.server.custody;

/** A custody operation failed. The message never carries key material, passphrases or PINs. */
public class CustodyException extends Exception {
    public CustodyException(String message) {
        super(message);
    }

    public CustodyException(String message, Throwable cause) {
        super(message, cause);
    }
}
