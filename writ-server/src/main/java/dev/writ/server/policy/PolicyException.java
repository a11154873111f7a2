package dev.writ.server.policy;

import java.util.Objects;

/**
 * A policy operation failed. Carries a stable, dotted reason code ({@code policy.syntax}, {@code policy.schema},
 * {@code policy.signature}, {@code policy.hash_mismatch}, {@code policy.unknown_version},
 * {@code policy.invalid_bundle}, {@code policy.storage}, {@code policy.event}, {@code policy.no_identity}) and a short
 * message for the caller. Whatever operation threw it left the active policy unchanged.
 */
public final class PolicyException extends Exception {
    private final String code;

    public PolicyException(String code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public PolicyException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The stable reason code. */
    public String code() {
        return code;
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
