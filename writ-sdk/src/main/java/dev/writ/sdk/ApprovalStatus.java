package dev.writ.sdk;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * The state of a pending-approval request ({@code GET /v1/approvals/{id}}).
 *
 * @param id the approval id
 * @param state pending, approved, denied or expired
 * @param expiresAt when the approval request lapses, or {@code null}
 */
public record ApprovalStatus(String id, State state, Instant expiresAt) {
    public enum State {
        PENDING,
        APPROVED,
        DENIED,
        EXPIRED;

        /** Parses a wire value; an unknown state is an error (never read as approved). */
        static State fromWire(String s) throws WritClientException {
            return switch (s == null ? "" : s.toLowerCase(Locale.ROOT)) {
                case "pending" -> PENDING;
                case "approved" -> APPROVED;
                case "denied" -> DENIED;
                case "expired" -> EXPIRED;
                default -> throw new WritClientException("sdk.protocol", "unknown approval status");
            };
        }
    }

    public ApprovalStatus {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
    }

    public boolean isFinal() {
        return state != State.PENDING;
    }
}
