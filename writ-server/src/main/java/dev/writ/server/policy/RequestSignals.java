package dev.writ.server.policy;

import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the trust service knows about a request beyond the action itself, exposed to policies in the Cedar context.
 *
 * @param riskScore risk score of the request, 0 (none) to 100 (certain abuse)
 * @param attestation attestation state of the agent's runtime: {@code verified}, {@code unverified} or {@code none}
 * @param approvals kinds of approval already granted for this exact request (for example {@code human}); empty for a
 *     first attempt
 */
public record RequestSignals(int riskScore, String attestation, Set<String> approvals) {
    private static final Set<String> ATTESTATIONS = Set.of("verified", "unverified", "none");
    private static final Pattern TOKEN = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /** No risk, no attestation, no approvals. */
    public static final RequestSignals NONE = new RequestSignals(0, "none", Set.of());

    public RequestSignals {
        Objects.requireNonNull(attestation, "attestation");
        if (riskScore < 0 || riskScore > 100) {
            throw new IllegalArgumentException("riskScore must be between 0 and 100");
        }
        if (!ATTESTATIONS.contains(attestation)) {
            throw new IllegalArgumentException("attestation must be verified, unverified or none");
        }
        approvals = Set.copyOf(approvals);
        for (String a : approvals) {
            if (!TOKEN.matcher(a).matches()) {
                throw new IllegalArgumentException("approval kinds must match [a-z0-9][a-z0-9._-]{0,63}");
            }
        }
    }
}
