package dev.writ.server.ca;

/**
 * A trust-domain operation was refused or failed. Carries a stable dotted {@link #code()} for callers and a short
 * message; the message never carries key material, credentials or passphrases.
 */
public class CaException extends Exception {
    /** What kind of failure this is, which decides the HTTP status and exit code. */
    public enum Kind {
        /** The request is malformed or asks for something not allowed (400). */
        INVALID,
        /** The named agent, tenant or certificate does not exist (404). */
        NOT_FOUND,
        /** The request conflicts with current state, e.g. a revoked parent (409). */
        CONFLICT,
        /** The caller may not do this (403). */
        FORBIDDEN,
        /** Something failed inside the service (500). */
        INTERNAL
    }

    private final String code;
    private final Kind kind;

    public CaException(Kind kind, String code, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
    }

    public CaException(Kind kind, String code, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.code = code;
    }

    /** The stable dotted error code, e.g. {@code scope.invalid}. */
    public String code() {
        return code;
    }

    public Kind kind() {
        return kind;
    }

    static CaException invalid(String code, String message) {
        return new CaException(Kind.INVALID, code, message);
    }

    static CaException notFound(String code, String message) {
        return new CaException(Kind.NOT_FOUND, code, message);
    }

    static CaException conflict(String code, String message) {
        return new CaException(Kind.CONFLICT, code, message);
    }

    static CaException internal(String message, Throwable cause) {
        return new CaException(Kind.INTERNAL, "internal", message, cause);
    }
}
