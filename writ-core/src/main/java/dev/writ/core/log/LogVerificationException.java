package dev.writ.core.log;

import java.util.Objects;

/**
 * A log artefact (proof, signed note, checkpoint, receipt, tile) failed verification or could not be parsed.
 *
 * <p>{@link #code()} is a stable, dotted reason code (for example {@code proof.inclusion.mismatch} or
 * {@code note.signature.invalid}) that callers may match on; the message is a short sentence for humans.
 */
public final class LogVerificationException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;

    public LogVerificationException(String code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public LogVerificationException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The stable reason code. */
    public String code() {
        return code;
    }
}
