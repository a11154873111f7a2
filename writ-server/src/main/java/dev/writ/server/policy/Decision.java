package dev.writ.server.policy;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of a policy decision. Every outcome names the exact bundle it was made with ({@link #policyHash}:
 * {@code sha256:<hex>}, the SAE's {@code pol} claim), or {@link #NO_POLICY} when no bundle was loaded (then it is always
 * a {@link Deny}).
 */
public sealed interface Decision permits Decision.Allow, Decision.Deny, Decision.PendingApproval {
    /** The policy hash of decisions taken with no bundle loaded. */
    String NO_POLICY = "none";

    /** {@code sha256:<hex>} of the bundle that decided, or {@link #NO_POLICY}. */
    String policyHash();

    /**
     * The action is allowed: within the certificate's scope, at least one permit applies and no forbid does.
     *
     * @param policyHash the bundle hash
     * @param policyIds the permit policies that determined the decision
     */
    record Allow(String policyHash, List<String> policyIds) implements Decision {
        public Allow {
            Objects.requireNonNull(policyHash, "policyHash");
            policyIds = List.copyOf(policyIds);
        }
    }

    /**
     * The action is denied. Reason codes are either one {@code scope.*} code (the certificate's scope refused it, and
     * Cedar was not consulted), the ids of the determining forbid policies, or one {@code policy.*} code:
     * {@code policy.no_permit} (no permit applies), {@code policy.evaluation_error}, {@code policy.timeout},
     * {@code policy.bad_request}, {@code policy.none_active}.
     *
     * @param policyHash the bundle hash, or {@link Decision#NO_POLICY}
     * @param reasonCodes why, never empty
     */
    record Deny(String policyHash, List<String> reasonCodes) implements Decision {
        public Deny {
            Objects.requireNonNull(policyHash, "policyHash");
            reasonCodes = List.copyOf(reasonCodes);
            if (reasonCodes.isEmpty()) {
                throw new IllegalArgumentException("a denial needs at least one reason code");
            }
        }
    }

    /**
     * The action needs a human: the only determining policies are forbids annotated {@code @approval("human")}, and
     * without them a permit would apply.
     *
     * @param policyHash the bundle hash
     * @param forbidPolicyIds the approval-gated forbid policies that applied
     */
    record PendingApproval(String policyHash, List<String> forbidPolicyIds) implements Decision {
        public PendingApproval {
            Objects.requireNonNull(policyHash, "policyHash");
            forbidPolicyIds = List.copyOf(forbidPolicyIds);
        }
    }
}
