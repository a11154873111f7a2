package dev.writ.sdk;

import java.time.Instant;
import java.util.Objects;

/** The trust service's answer to a proposed action: allowed (with an envelope), denied, or pending a human. */
public sealed interface AuthorizeResult {

    /** The action is allowed; attach {@link #envelope()} to exactly the request that was proposed. */
    record Allowed(Envelope envelope) implements AuthorizeResult {
        public Allowed {
            Objects.requireNonNull(envelope, "envelope");
        }

        public String sae() {
            return envelope.compact();
        }

        public String jti() {
            return envelope.jti();
        }

        public Instant expiresAt() {
            return envelope.expiresAt();
        }
    }

    /**
     * The action is denied. {@code code} is coarse ({@code denied}, {@code denied.scope}, {@code denied.policy}): the
     * agent learns that it was denied, never the policy's detail. {@code denial} is the signed denial record.
     */
    record Denied(String code, String denial) implements AuthorizeResult {
        public Denied {
            Objects.requireNonNull(code, "code");
        }
    }

    /** A human must approve first; poll or wait with {@link WritClient#awaitApproval}, then authorize again. */
    record Pending(String approvalId, Instant expiresAt) implements AuthorizeResult {
        public Pending {
            Objects.requireNonNull(approvalId, "approvalId");
        }
    }
}
