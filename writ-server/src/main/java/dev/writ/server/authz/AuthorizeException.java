package dev.writ.server.authz;

import java.util.Objects;

/**
 * The authorize path could not produce a decision. Never an allow: the caller answers with {@link #status()} and
 * {@link #code()} and releases nothing. Codes: {@code request.*} (400, the request is malformed) and
 * {@code authorize.unavailable} (503: the audit log, custody, OCSP, the approval store or another backend failed or
 * timed out). Messages are short and carry no secrets or policy.
 */
public final class AuthorizeException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    public AuthorizeException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
    }

    public AuthorizeException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    static AuthorizeException bad(String code, String message) {
        return new AuthorizeException(400, code, message);
    }

    static AuthorizeException unavailable(String message, Throwable cause) {
        return new AuthorizeException(503, "authorize.unavailable", message, cause);
    }
}
