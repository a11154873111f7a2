package dev.writ.server.approval;

import java.util.Objects;

/**
 * An approval operation was refused or failed. {@link #code()} is stable: {@code approval.not_found},
 * {@code approval.not_pending} (already decided), {@code approval.expired}, {@code approval.agent_mismatch},
 * {@code approval.request_mismatch}, {@code approval.pending}, {@code approval.denied}, {@code approval.used},
 * {@code approval.unavailable} (storage, signing or the audit log failed: nothing was decided). Messages are short and
 * carry no secrets.
 */
public final class ApprovalException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;

    public ApprovalException(String code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ApprovalException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public String code() {
        return code;
    }
}
