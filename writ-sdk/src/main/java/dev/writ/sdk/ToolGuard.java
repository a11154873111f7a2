package dev.writ.sdk;

import dev.writ.core.action.ActionRequest;
import java.time.Duration;
import java.util.Objects;

/**
 * Guards an agent's tool calls: proposes each action to Writ and runs the tool only when it is allowed, handing it
 * the envelope to attach. A denial becomes a {@link ToolNotPermittedException} ("not permitted", nothing about the
 * policy); a pending approval is waited for up to the configured time and then surfaced as an
 * {@link ApprovalPendingException}; a failure to get a decision is a {@link WritClientException}. The tool never
 * runs without an allow.
 *
 * <pre>{@code
 * ToolGuard guard = ToolGuard.builder(writ).approvalWait(Duration.ofMinutes(2)).build();
 * String receipt = guard.call(action, env -> bank.transfer(request, env));
 * }</pre>
 */
public final class ToolGuard {

    /** A tool that receives the envelope for its one call. */
    @FunctionalInterface
    public interface Tool<T, E extends Exception> {
        T call(Envelope envelope) throws E;
    }

    private final WritClient client;
    private final Duration approvalWait;

    private ToolGuard(WritClient client, Duration approvalWait) {
        this.client = client;
        this.approvalWait = approvalWait;
    }

    public static Builder builder(WritClient client) {
        return new Builder(client);
    }

    /** {@link #call(ActionRequest, AuthorizeOptions, Tool)} with default options. */
    public <T, E extends Exception> T call(ActionRequest action, Tool<T, E> tool)
            throws E, ToolNotPermittedException, ApprovalPendingException, WritClientException, InterruptedException {
        return call(action, AuthorizeOptions.defaults(), tool);
    }

    /**
     * Proposes {@code action}; on allow runs {@code tool} with the envelope and returns its result.
     *
     * @throws ToolNotPermittedException when denied, or when the approval was denied or lapsed
     * @throws ApprovalPendingException when approval is still pending after the configured wait
     * @throws WritClientException when no decision could be obtained (the tool did not run)
     */
    public <T, E extends Exception> T call(ActionRequest action, AuthorizeOptions options, Tool<T, E> tool)
            throws E, ToolNotPermittedException, ApprovalPendingException, WritClientException, InterruptedException {
        Objects.requireNonNull(tool, "tool");
        AuthorizeResult result = client.authorize(action, options);
        if (result instanceof AuthorizeResult.Pending pending) {
            if (approvalWait.isZero()) {
                throw new ApprovalPendingException(pending.approvalId(), pending.expiresAt());
            }
            ApprovalStatus status = client.awaitApproval(pending.approvalId(), approvalWait);
            switch (status.state()) {
                case PENDING -> throw new ApprovalPendingException(pending.approvalId(), pending.expiresAt());
                case DENIED -> throw new ToolNotPermittedException("approval.denied");
                case EXPIRED -> throw new ToolNotPermittedException("approval.expired");
                case APPROVED -> result = client.authorize(action, options.withApproval(pending.approvalId()));
            }
        }
        return switch (result) {
            case AuthorizeResult.Allowed allowed -> tool.call(allowed.envelope());
            case AuthorizeResult.Denied denied -> throw new ToolNotPermittedException(denied.code());
            // Approved, yet pending again: do not loop; surface it.
            case AuthorizeResult.Pending p -> throw new ApprovalPendingException(p.approvalId(), p.expiresAt());
        };
    }

    public static final class Builder {
        private final WritClient client;
        private Duration approvalWait = Duration.ZERO;

        private Builder(WritClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** How long a call waits for a human's approval before surfacing it as pending (default 0: do not wait). */
        public Builder approvalWait(Duration wait) {
            Objects.requireNonNull(wait, "wait");
            if (wait.isNegative()) throw new IllegalArgumentException("approval wait must not be negative");
            this.approvalWait = wait;
            return this;
        }

        public ToolGuard build() {
            return new ToolGuard(client, approvalWait);
        }
    }
}
