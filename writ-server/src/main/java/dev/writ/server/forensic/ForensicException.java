package dev.writ.server.forensic;

import java.util.Objects;

/**
 * A forensic investigation could not be made. {@link #code()} is stable: {@code forensic.unknown_jti} (no log entry
 * has this {@code jti}: 404), {@code forensic.malformed_jti} (400), {@code forensic.not_an_action} (the entry is neither
 * an envelope nor a denial: 400), {@code forensic.unavailable} (the log, the database or the trust domain could not be
 * read: 503). The message names what is wrong and carries no secret.
 */
public final class ForensicException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final int status;

    public ForensicException(int status, String code, String message) {
        this(status, code, message, null);
    }

    public ForensicException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
    }

    public String code() {
        return code;
    }

    /** The HTTP status this failure maps to. */
    public int status() {
        return status;
    }
}
