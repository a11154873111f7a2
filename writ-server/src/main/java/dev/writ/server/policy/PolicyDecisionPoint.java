package dev.writ.server.policy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.scope.Scope;
import dev.writ.core.scope.ScopeViolation;
import dev.writ.server.events.EventSink;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The policy decision point: decides proposed actions against the active bundle, held in memory with its Cedar policy
 * set cached on the native side.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Only bundles whose statement chains to the policy-signing CA and whose content matches the signed hash are
 *       loaded ({@link #load}); a refused bundle leaves the current one in place.
 *   <li>Deciding never calls anything remote: the bundle is pushed in by {@link #load}.
 *   <li>The certificate scope check runs first; a scope denial is final and Cedar is not consulted, so no permit can
 *       override it.
 *   <li>Fail closed: no bundle, a scope error, an engine error, a policy that errors, a malformed request or an
 *       evaluation slower than the timeout are all {@link Decision.Deny}. By default the limit is on the CPU time
 *       the evaluating thread spent (a runaway policy), with a wall-clock backstop ten times longer (a stalled one),
 *       so a busy machine preempting the thread does not turn allows into timeouts.
 *   <li>A bundle whose content differs from what was signed, or from the latest signed version the control plane
 *       announces ({@link #reconcile}), records a {@code policy.drift} event.
 * </ul>
 *
 * Thread-safe; {@link #decide} is lock-free.
 */
public final class PolicyDecisionPoint {
    /** The default evaluation time limit (CPU time of the evaluating thread). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(100);

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private final BundleVerifier verifier;
    private final EventSink events;
    private final LongSupplier ticker;
    private final long timeoutNanos;
    private final long wallLimitNanos;
    private volatile CompiledBundle active;

    /** How a scope is checked; {@link Scope#check} in production. */
    @FunctionalInterface
    interface ScopeGate {
        void check(ActionRequest action, Instant at) throws ScopeViolation;
    }

    private PolicyDecisionPoint(BundleVerifier verifier, EventSink events, LongSupplier ticker, Duration timeout) {
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.events = Objects.requireNonNull(events, "events");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        this.timeoutNanos = timeout.toNanos();
        this.wallLimitNanos = Long.MAX_VALUE;
    }

    /** CPU-time limit on the evaluating thread, plus a wall-clock backstop. */
    private PolicyDecisionPoint(BundleVerifier verifier, EventSink events, Duration cpuLimit, Duration wallLimit) {
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.events = Objects.requireNonNull(events, "events");
        this.ticker = THREADS.isCurrentThreadCpuTimeSupported()
                ? THREADS::getCurrentThreadCpuTime
                : System::nanoTime; // without thread CPU clocks, the limit is on wall-clock time
        this.timeoutNanos = cpuLimit.toNanos();
        this.wallLimitNanos = wallLimit.toNanos();
    }

    /**
     * A PDP with no bundle loaded (it denies everything with {@code policy.none_active} until {@link #load}).
     *
     * @param verifier verifies bundles against the policy-signing CA
     * @param events where {@code policy.drift} goes
     */
    public static PolicyDecisionPoint create(BundleVerifier verifier, EventSink events) {
        return new PolicyDecisionPoint(verifier, events, DEFAULT_TIMEOUT, DEFAULT_TIMEOUT.multipliedBy(10));
    }

    /**
     * A PDP with an explicit monotonic ticker (nanoseconds) and evaluation time limit.
     *
     * @throws IllegalArgumentException when the timeout is not positive
     */
    public static PolicyDecisionPoint create(
            BundleVerifier verifier, EventSink events, LongSupplier ticker, Duration timeout) {
        return new PolicyDecisionPoint(verifier, events, ticker, timeout);
    }

    /**
     * Verifies and loads a bundle, replacing the active one.
     *
     * @return the verified bundle now active
     * @throws PolicyException {@code policy.signature}, {@code policy.hash_mismatch} (also recorded as
     *     {@code policy.drift}), {@code policy.syntax}, {@code policy.schema}, {@code policy.invalid_bundle}; the
     *     previously loaded bundle stays active
     */
    public VerifiedBundle load(BundleFiles files, String statement) throws PolicyException {
        BundleVerifier.Statement s = verifier.verifyStatement(statement);
        if (!s.hash().equals(files.hash())) {
            drift(s.hash(), files.hash());
            throw new PolicyException(
                    "policy.hash_mismatch",
                    "the bundle content (" + files.hash() + ") is not what was signed (" + s.hash() + ")");
        }
        VerifiedBundle v = verifier.verify(files, statement);
        warmUp(v.bundle());
        active = v.bundle();
        return v;
    }

    /**
     * Verifies and loads a stored version (see {@link #load(BundleFiles, String)}).
     *
     * @throws PolicyException as {@link #load(BundleFiles, String)}, or {@code policy.invalid_bundle} when the stored
     *     content is not a canonical bundle encoding
     */
    public VerifiedBundle load(PolicyStore.StoredBundle stored) throws PolicyException {
        return load(BundleFiles.decode(stored.content()), stored.statement());
    }

    /**
     * Compares the loaded bundle with the latest signed version the control plane announced; records
     * {@code policy.drift} when they differ (or nothing is loaded).
     *
     * @throws PolicyException {@code policy.event} when the drift event cannot be recorded
     */
    public void reconcile(String latestSignedHash) throws PolicyException {
        CompiledBundle b = active;
        String loaded = b == null ? Decision.NO_POLICY : b.hash();
        if (!loaded.equals(latestSignedHash)) {
            drift(latestSignedHash, loaded);
        }
    }

    /** {@code sha256:<hex>} of the loaded bundle, if any. */
    public Optional<String> activeHash() {
        CompiledBundle b = active;
        return b == null ? Optional.empty() : Optional.of(b.hash());
    }

    /**
     * Decides a proposed action: the certificate scope check, then Cedar.
     *
     * @param agent the principal, from the verified agent certificate
     * @param scope the scope from the agent certificate's critical scope extension
     * @param action the proposed action
     * @param signals risk, attestation and approvals for this request
     * @param at the time of the request (operating hours, context time fields)
     * @return the decision, never {@code null}; every failure is a {@link Decision.Deny}
     */
    public Decision decide(
            AgentPrincipal agent, Scope scope, ActionRequest action, RequestSignals signals, Instant at) {
        if (scope == null) {
            return new Decision.Deny(hashOrNone(), List.of("scope.missing"));
        }
        return decide(agent, scope::check, action, signals, at);
    }

    Decision decide(AgentPrincipal agent, ScopeGate scope, ActionRequest action, RequestSignals signals, Instant at) {
        CompiledBundle b = active;
        String hash = b == null ? Decision.NO_POLICY : b.hash();
        if (agent == null || action == null || signals == null || at == null) {
            return new Decision.Deny(hash, List.of("policy.bad_request"));
        }
        try {
            scope.check(action, at);
        } catch (ScopeViolation v) {
            // The certificate is the hard ceiling: nothing in the policy can widen it, so Cedar is not consulted.
            String code = v.code() != null && v.code().startsWith("scope.") ? v.code() : "scope.violation";
            return new Decision.Deny(hash, List.of(code));
        } catch (RuntimeException e) {
            return new Decision.Deny(hash, List.of("scope.error"));
        }
        if (b == null) {
            return new Decision.Deny(hash, List.of("policy.none_active"));
        }
        long start = ticker.getAsLong();
        long wallStart = System.nanoTime();
        Decision d;
        try {
            d = b.evaluate(agent, action, signals, at);
        } catch (RuntimeException | LinkageError e) {
            return new Decision.Deny(hash, List.of("policy.evaluation_error"));
        }
        // A decision that took longer than the limit is refused, whatever it says: the native engine cannot be
        // interrupted, but a caller must never act on an answer that came from a stalled evaluation.
        if (ticker.getAsLong() - start > timeoutNanos || System.nanoTime() - wallStart > wallLimitNanos) {
            return new Decision.Deny(hash, List.of("policy.timeout"));
        }
        return d;
    }

    /**
     * The engine's first evaluation against a newly cached policy set is much slower than the rest (it can exceed the
     * timeout), so one throw-away evaluation runs before the bundle takes traffic.
     */
    private static void warmUp(CompiledBundle b) {
        AgentPrincipal agent = new AgentPrincipal("writ-warm-up", "writ", "warm-up", null, 0, null);
        ActionRequest action = new ActionRequest(
                "writ.warm_up",
                "writ",
                JsonNodeFactory.instance.objectNode(),
                dev.writ.core.action.Classification.PUBLIC,
                null);
        for (int i = 0; i < 3; i++) {
            b.evaluate(agent, action, RequestSignals.NONE, Instant.EPOCH);
        }
    }

    private String hashOrNone() {
        CompiledBundle b = active;
        return b == null ? Decision.NO_POLICY : b.hash();
    }

    private void drift(String expected, String actual) throws PolicyException {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("expected", expected);
        body.put("actual", actual);
        try {
            events.record("policy.drift", body);
        } catch (EventSink.EventException e) {
            throw new PolicyException("policy.event", "the policy.drift event could not be recorded", e);
        }
    }
}
