package dev.writ.sdk;

import java.time.Instant;

/** A guarded tool call needs a human's approval that did not arrive in time; retry later with the approval id. */
public final class ApprovalPendingException extends Exception {
    private final String approvalId;
    private final Instant expiresAt;

    public ApprovalPendingException(String approvalId, Instant expiresAt) {
        super("waiting for approval");
        this.approvalId = approvalId;
        this.expiresAt = expiresAt;
    }

    public String approvalId() {
        return approvalId;
    }

    /** When the approval request lapses, or {@code null}. */
    public Instant expiresAt() {
        return expiresAt;
    }
}
