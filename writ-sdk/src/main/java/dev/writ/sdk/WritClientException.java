package dev.writ.sdk;

import java.util.Objects;

/**
 * The trust service could not give an answer (unreachable, timeout, 4xx/5xx, a malformed or unverifiable response).
 * Thrown instead of a result, so a failure can never be mistaken for an allow. {@link #code()} is a stable dotted code:
 * the server's error code (for example {@code auth.credential}) or {@code sdk.*} ({@code sdk.unavailable},
 * {@code sdk.timeout}, {@code sdk.protocol}, {@code sdk.receipt}).
 */
public class WritClientException extends Exception {
    private final String code;
    private final int status;

    public WritClientException(String code, String message) {
        this(code, message, 0, null);
    }

    public WritClientException(String code, String message, int status, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.status = status;
    }

    public String code() {
        return code;
    }

    /** The HTTP status, or 0 when no response was received. */
    public int status() {
        return status;
    }
}
