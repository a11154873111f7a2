package dev.writ.server.approval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.json.CanonicalJson;
import dev.writ.core.sae.Envelopes;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.log.LogException;
import dev.writ.server.log.TransparencyLog;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Human approval of pending authorisations.
 *
 * <ul>
 *   <li>{@link #request}: a pending decision becomes an approval record bound to the agent and the exact request hash,
 *       expiring after the configured time to live. The request is signed with the decision key and logged
 *       ({@code {"type":"approval","event":"requested",…}}) before the record commits.
 *   <li>{@link #decide}: an approver (an operator token with role {@code approver} or {@code admin}; agents never reach
 *       this) approves or denies a pending, unexpired approval once. The decision names the approver, is signed and
 *       logged before it commits. Its hash ({@code sha256:} + hex of the compact JWS) is what an envelope's
 *       {@code ctx.approval} carries.
 *   <li>{@link #redeem} and {@link #consume}: the authorize path checks that an approval belongs to this agent and
 *       request, is approved, unexpired and unused, and marks it used just before signing: an approval is
 *       single-use.
 * </ul>
 *
 * Every failure is an {@link ApprovalException}; a failure to log leaves nothing decided.
 */
public final class ApprovalService {
    /** The default time an approval stays open (and, once approved, usable). */
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);

    private final ApprovalStore store;
    private final ApprovalSigner signer;
    private final TransparencyLog log;
    private final InstantSource clock;
    private final SecureRandom random;
    private final Duration ttl;
    private final Duration logTimeout;

    public ApprovalService(
            ApprovalStore store,
            ApprovalSigner signer,
            TransparencyLog log,
            InstantSource clock,
            SecureRandom random,
            Duration ttl,
            Duration logTimeout) {
        this.store = Objects.requireNonNull(store, "store");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.log = Objects.requireNonNull(log, "log");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("approval time to live must be positive");
        }
        if (logTimeout.isNegative() || logTimeout.isZero()) {
            throw new IllegalArgumentException("log timeout must be positive");
        }
        this.ttl = ttl;
        this.logTimeout = logTimeout;
    }

    public InstantSource clock() {
        return clock;
    }

    /**
     * Opens an approval for a pending decision, or returns the one still pending for the same agent and request.
     *
     * @param request the canonical request ({@code action}, {@code target}) whose hash is {@code requestHash}
     * @param reasons the approval-gated policy ids that applied
     * @throws ApprovalException {@code approval.unavailable} when it cannot be signed, logged or stored
     */
    public Approval request(
            String agentId,
            String spiffeId,
            String tenant,
            ObjectNode request,
            String requestHash,
            String policyHash,
            List<String> reasons)
            throws ApprovalException {
        Instant now = clock.instant();
        // An agent that asks again before anyone decided gets the same approval: approvers see each request once.
        Optional<Approval> open = store.findPending(agentId, requestHash, now);
        if (open.isPresent()) {
            return open.get();
        }
        byte[] idBytes = new byte[16];
        random.nextBytes(idBytes);
        String id = "apr_" + Base64.getUrlEncoder().withoutPadding().encodeToString(idBytes);
        Approval a = new Approval(
                id,
                agentId,
                spiffeId,
                tenant,
                requestHash,
                request,
                policyHash,
                reasons,
                Approval.Status.PENDING,
                Instant.ofEpochMilli(now.toEpochMilli()),
                Instant.ofEpochSecond(now.plus(ttl).getEpochSecond()),
                null,
                null,
                null,
                null,
                null,
                null);
        ObjectNode claims = claims(a, "requested", now);
        claims.set("request_body", request);
        var rs = claims.putArray("reasons");
        reasons.forEach(rs::add);
        String jws = sign(claims);
        store.insert(a, () -> append(entry("requested", id, jws)));
        return a;
    }

    /**
     * Approves or denies a pending approval.
     *
     * @param approverId the approver's operator-token id (recorded and signed)
     * @throws ApprovalException {@code approval.not_found}, {@code approval.not_pending}, {@code approval.expired},
     *     {@code approval.unavailable}
     */
    public Approval decide(String id, boolean approve, String approverId, String role, String label, String comment)
            throws ApprovalException {
        Approval a = store.find(id).orElseThrow(() -> notFound());
        Instant now = clock.instant();
        check(a, now);
        String event = approve ? "approved" : "denied";
        ObjectNode claims = claims(a, event, now);
        ObjectNode approver = claims.putObject("approver");
        approver.put("id", approverId);
        approver.put("role", role);
        if (label != null) {
            approver.put("label", label);
        }
        if (comment != null) {
            claims.put("comment", comment);
        }
        String jws = sign(claims);
        String hash = Envelopes.hash(jws);
        boolean done = store.decide(
                id,
                approve ? Approval.Status.APPROVED : Approval.Status.DENIED,
                now,
                approverId,
                role,
                label,
                hash,
                () -> append(entry(event, id, jws)));
        if (!done) {
            // Someone else decided first, or it expired meanwhile: report what it is now.
            check(store.find(id).orElseThrow(() -> notFound()), now);
            throw new ApprovalException("approval.not_pending", "the approval is no longer pending");
        }
        return store.find(id).orElseThrow(() -> notFound());
    }

    private static void check(Approval a, Instant now) throws ApprovalException {
        if (a.status() != Approval.Status.PENDING) {
            throw new ApprovalException("approval.not_pending", "the approval was already decided");
        }
        if (!now.isBefore(a.expiresAt())) {
            throw new ApprovalException("approval.expired", "the approval has expired");
        }
    }

    /**
     * One approval.
     *
     * @throws ApprovalException {@code approval.unavailable}
     */
    public Optional<Approval> find(String id) throws ApprovalException {
        return store.find(id);
    }

    /**
     * Approvals by effective status ({@code null}: all), newest first.
     *
     * @throws ApprovalException {@code approval.unavailable}
     */
    public List<Approval> list(String status, int limit) throws ApprovalException {
        return store.list(status, clock.instant(), limit);
    }

    /**
     * Checks that an approval may authorise this agent's request now: it exists, belongs to the agent, was given for
     * exactly this request, was approved, has not expired and was not used.
     *
     * @throws ApprovalException {@code approval.not_found}, {@code approval.agent_mismatch},
     *     {@code approval.request_mismatch}, {@code approval.denied}, {@code approval.pending},
     *     {@code approval.expired}, {@code approval.used}, {@code approval.unavailable}
     */
    public Approval redeem(String id, String agentId, String requestHash) throws ApprovalException {
        Approval a = store.find(id).orElseThrow(() -> notFound());
        Instant now = clock.instant();
        // Bound to the agent that asked: another agent (even a parent or child) cannot borrow it.
        if (!a.agentId().equals(agentId)) {
            throw new ApprovalException("approval.agent_mismatch", "the approval belongs to another agent");
        }
        // Bound to the exact request: a human approved these bytes, not a similar action.
        if (!a.requestHash().equals(requestHash)) {
            throw new ApprovalException("approval.request_mismatch", "the approval was given for another request");
        }
        if (a.status() == Approval.Status.DENIED) {
            throw new ApprovalException("approval.denied", "the approval was denied");
        }
        if (!now.isBefore(a.expiresAt())) {
            throw new ApprovalException("approval.expired", "the approval has expired");
        }
        if (a.status() != Approval.Status.APPROVED) {
            throw new ApprovalException("approval.pending", "the approval is still pending");
        }
        if (a.usedAt() != null || a.decisionHash() == null) {
            throw new ApprovalException("approval.used", "the approval was already used");
        }
        return a;
    }

    /**
     * Marks a redeemed approval used (atomically: of two concurrent uses, one fails).
     *
     * @throws ApprovalException {@code approval.used} when it was used, or became unusable, meanwhile;
     *     {@code approval.unavailable}
     */
    public void consume(Approval a) throws ApprovalException {
        if (!store.markUsed(a.id(), a.agentId(), a.requestHash(), clock.instant())) {
            throw new ApprovalException("approval.used", "the approval was already used");
        }
    }

    private static ObjectNode claims(Approval a, String event, Instant now) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("event", event);
        c.put("id", a.id());
        c.put("sub", a.spiffeId());
        c.put("agent_id", a.agentId());
        c.put("request", a.requestHash());
        c.put("pol", a.policyHash());
        c.put("iat", now.getEpochSecond());
        c.put("exp", a.expiresAt().getEpochSecond());
        return c;
    }

    private String sign(ObjectNode claims) throws ApprovalException {
        try {
            return signer.sign(claims);
        } catch (CustodyException | RuntimeException e) {
            throw new ApprovalException("approval.unavailable", "the approval record could not be signed", e);
        }
    }

    private static byte[] entry(String event, String id, String jws) {
        ObjectNode e = JsonNodeFactory.instance.objectNode();
        e.put("type", "approval");
        e.put("event", event);
        e.put("id", id);
        e.put("jws", jws);
        return CanonicalJson.encode(e);
    }

    private void append(byte[] entry) throws ApprovalException {
        try {
            log.appendAsync(entry).get(logTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (LogException | ExecutionException | TimeoutException | RuntimeException e) {
            throw new ApprovalException("approval.unavailable", "the audit log did not record the approval", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApprovalException("approval.unavailable", "interrupted while logging the approval", e);
        }
    }

    private static ApprovalException notFound() {
        return new ApprovalException("approval.not_found", "no such approval");
    }
}
