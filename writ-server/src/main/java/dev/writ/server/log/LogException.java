package dev.writ.server.log;

import java.util.Objects;

/**
 * An audit-log operation failed. {@link #code()} is stable ({@code log.entry.too_large}, {@code log.unavailable},
 * {@code log.corrupt}, {@code log.not_found}, {@code log.range}, {@code log.signer}, {@code log.io}, {@code log.closed});
 * the message is a short sentence without secrets. A caller that gets this from {@code append} must treat the entry as
 * not logged and fail the operation it was logging.
 */
public final class LogException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;

    public LogException(String code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code);
    }

    public LogException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code);
    }

    public String code() {
        return code;
    }
}
