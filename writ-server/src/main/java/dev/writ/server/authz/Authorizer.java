package dev.writ.server.authz;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.cert.AgentCertificates;
import dev.writ.core.cert.AgentIdentity;
import dev.writ.core.cert.ModelInfo;
import dev.writ.core.json.CanonicalJson;
import dev.writ.core.log.LogReceipt;
import dev.writ.server.approval.Approval;
import dev.writ.server.approval.ApprovalException;
import dev.writ.server.approval.ApprovalService;
import dev.writ.server.ca.AgentService;
import dev.writ.server.ca.AuthenticatedAgent;
import dev.writ.server.log.TransparencyLog;
import dev.writ.server.policy.AgentPrincipal;
import dev.writ.server.policy.Decision;
import dev.writ.server.policy.PolicyDecisionPoint;
import dev.writ.server.policy.RequestSignals;
import dev.writ.server.sae.DenialSigner;
import dev.writ.server.sae.EnvelopeRequest;
import dev.writ.server.sae.SaeSigner;
import dev.writ.server.sae.SignedEnvelope;
import dev.writ.server.sae.SigningAgent;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inline authorize path: an authenticated agent proposes an action; the answer is an envelope, a denial or a
 * pending approval, each signed and durably logged before it is returned.
 *
 * <ol>
 *   <li>An {@code approval_id}, when given, is redeemed: it must belong to this agent, be for exactly this request,
 *       approved, unexpired and unused; then the decision sees {@code approvals = {"human"}}.
 *   <li>Decision: the certificate's scope, then Cedar ({@link PolicyDecisionPoint#decide}).
 *   <li>Allow: a fresh OCSP staple, the envelope signed in custody with the agent's key, its entry
 *       {@code {"jti","jws","type":"sae"}} appended and durable; the result carries the log receipt.
 *   <li>Deny: two denial records signed with the decision key. The detailed one (reason codes: {@code scope.*}, the
 *       determining policy ids, {@code policy.*}, {@code approval.*}) goes only to the audit log. The one released to
 *       the agent has a single coarse reason, {@link #COARSE_SCOPE}, {@link #COARSE_POLICY} or {@link #COARSE}, so the
 *       agent learns <em>that</em> it was denied but never which policy did it. Both sit in one log entry
 *       {@code {"detail":<detailed>,"jti":<released jti>,"jws":<released>,"type":"denial"}}, durable before return.
 *   <li>Pending: an approval record bound to the request hash, signed and logged ({@link ApprovalService#request}).
 * </ol>
 *
 * <p>Fail closed: any error, timeout or unknown on this path throws {@link AuthorizeException} (503) and releases
 * nothing; no exception path leads to an envelope. Thread-safe.
 */
public final class Authorizer {
    private static final Logger LOG = LoggerFactory.getLogger(Authorizer.class);

    /** Coarse code: the certificate's scope does not allow the action (the agent can read its own scope anyway). */
    public static final String COARSE_SCOPE = "denied.scope";

    /** Coarse code: the signed policy (or a human approver) refused the action. */
    public static final String COARSE_POLICY = "denied.policy";

    /** Coarse code: anything else (no active policy, evaluation failure, an unusable approval). */
    public static final String COARSE = "denied";

    private static final Set<String> SYSTEM_REASONS =
            Set.of("policy.evaluation_error", "policy.timeout", "policy.bad_request", "policy.none_active");

    /** An outcome of {@link #authorize}. */
    public sealed interface Outcome permits Allowed, Denied, Pending {}

    /** Allowed: the envelope and the receipt of its log entry. */
    public record Allowed(SignedEnvelope envelope, LogReceipt receipt) implements Outcome {}

    /**
     * Denied.
     *
     * @param code the coarse code ({@link #COARSE_SCOPE}, {@link #COARSE_POLICY}, {@link #COARSE})
     * @param denial the released (coarse) signed denial
     * @param detail the detailed signed denial, for the log and operators only: never send it to the agent
     */
    public record Denied(String code, SignedEnvelope denial, SignedEnvelope detail, List<String> reasons)
            implements Outcome {
        public Denied {
            reasons = List.copyOf(reasons);
        }
    }

    /** Pending a human approval. */
    public record Pending(String approvalId, Instant expiresAt) implements Outcome {}

    private final PolicyDecisionPoint pdp;
    private final AgentService agents;
    private final dev.writ.server.ca.OcspResponder ocsp;
    private final SaeSigner saeSigner;
    private final DenialSigner denialSigner;
    private final TransparencyLog log;
    private final ApprovalService approvals;
    private final InstantSource clock;
    private final Duration lifetime;
    private final Duration logTimeout;
    private final ConcurrentHashMap<String, Integer> depths = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Optional<ModelInfo>> models = new ConcurrentHashMap<>();

    /**
     * @param lifetime envelope lifetime, 30 to 300 s
     * @param logTimeout how long to wait for the log to make an entry durable before failing the request
     */
    public Authorizer(
            PolicyDecisionPoint pdp,
            AgentService agents,
            dev.writ.server.ca.OcspResponder ocsp,
            SaeSigner saeSigner,
            DenialSigner denialSigner,
            TransparencyLog log,
            ApprovalService approvals,
            InstantSource clock,
            Duration lifetime,
            Duration logTimeout) {
        this.pdp = Objects.requireNonNull(pdp, "pdp");
        this.agents = Objects.requireNonNull(agents, "agents");
        this.ocsp = Objects.requireNonNull(ocsp, "ocsp");
        this.saeSigner = Objects.requireNonNull(saeSigner, "saeSigner");
        this.denialSigner = Objects.requireNonNull(denialSigner, "denialSigner");
        this.log = Objects.requireNonNull(log, "log");
        this.approvals = Objects.requireNonNull(approvals, "approvals");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (lifetime.toSeconds() < 30 || lifetime.toSeconds() > 300) {
            throw new IllegalArgumentException("envelope lifetime must be between 30 and 300 seconds");
        }
        if (logTimeout.isNegative() || logTimeout.isZero()) {
            throw new IllegalArgumentException("log timeout must be positive");
        }
        this.lifetime = lifetime;
        this.logTimeout = logTimeout;
    }

    /**
     * Decides, signs and logs one proposed action.
     *
     * @param agent an agent whose credential was just authenticated (active, good certificate)
     * @throws AuthorizeException 503 {@code authorize.unavailable} when anything on the path fails; nothing was
     *     released
     */
    public Outcome authorize(AuthenticatedAgent agent, AuthorizeRequest request) throws AuthorizeException {
        try {
            return decide(agent, request);
        } catch (AuthorizeException e) {
            if (e.status() >= 500) {
                LOG.warn("authorize failed for agent {}: {}", agent.agentId(), e.getMessage(), e.getCause());
            }
            throw e;
        } catch (RuntimeException e) {
            // Fail closed: an unexpected failure is never an allow.
            LOG.error("authorize failed for agent {}", agent.agentId(), e);
            throw AuthorizeException.unavailable("authorization failed", e);
        }
    }

    private Outcome decide(AuthenticatedAgent agent, AuthorizeRequest request) throws AuthorizeException {
        Instant now = clock.instant();
        String requestHash = request.requestHash(agent.agentId());
        Approval approval = null;
        if (request.approvalId() != null) {
            try {
                approval = approvals.redeem(request.approvalId(), agent.agentId(), requestHash);
            } catch (ApprovalException e) {
                switch (e.code()) {
                    case "approval.unavailable" -> throw AuthorizeException.unavailable(e.getMessage(), e);
                    case "approval.pending" -> {
                        Approval a = find(request.approvalId());
                        return new Pending(a.id(), a.expiresAt());
                    }
                    default -> {
                        return deny(agent, request, policyHash(), List.of(e.code()));
                    }
                }
            }
        }
        Optional<ModelInfo> model = model(agent);
        AgentPrincipal principal = new AgentPrincipal(
                agent.agentId(),
                agent.tenant(),
                agent.name(),
                model.map(ModelInfo::digestString).orElse(null),
                depth(agent),
                agent.parentId());
        RequestSignals signals =
                new RequestSignals(request.risk(), "none", approval != null ? Set.of("human") : Set.of());
        Decision d = pdp.decide(principal, agent.scope(), request.action(), signals, now);
        return switch (d) {
            case Decision.Allow allow -> allow(agent, request, allow, model, approval);
            case Decision.Deny deny -> deny(agent, request, deny.policyHash(), deny.reasonCodes());
            case Decision.PendingApproval pending -> {
                if (approval != null) {
                    // A human already approved and the policy still asks for one: refuse rather than loop.
                    List<String> reasons = new ArrayList<>(List.of("approval.insufficient"));
                    reasons.addAll(pending.forbidPolicyIds());
                    yield deny(agent, request, pending.policyHash(), reasons);
                }
                yield pending(agent, request, requestHash, pending);
            }
        };
    }

    private Outcome allow(
            AuthenticatedAgent agent,
            AuthorizeRequest request,
            Decision.Allow allow,
            Optional<ModelInfo> model,
            Approval approval)
            throws AuthorizeException {
        byte[] staple;
        try {
            staple = ocsp.responseFor(agent.certificate());
        } catch (Exception e) {
            throw AuthorizeException.unavailable("no OCSP response for the agent certificate", e);
        }
        if (approval != null) {
            try {
                // Single use: consumed before signing, so two concurrent requests cannot both get an envelope.
                approvals.consume(approval);
            } catch (ApprovalException e) {
                if (e.code().equals("approval.unavailable")) {
                    throw AuthorizeException.unavailable(e.getMessage(), e);
                }
                return deny(agent, request, allow.policyHash(), List.of(e.code()));
            }
        }
        EnvelopeRequest er = new EnvelopeRequest(
                request.action(),
                allow.policyHash(),
                model,
                request.session(),
                request.parentChain(),
                request.risk(),
                request.action().classification(),
                approval == null ? Optional.empty() : Optional.of(approval.decisionHash()),
                lifetime,
                staple);
        SignedEnvelope sae;
        try {
            sae = saeSigner.sign(new SigningAgent(agent.key(), agent.certificate(), issuer(agent)), er);
        } catch (Exception e) {
            throw AuthorizeException.unavailable("the envelope could not be signed", e);
        }
        ObjectNode entry = JsonNodeFactory.instance.objectNode();
        entry.put("type", "sae");
        entry.put("jti", sae.jti());
        entry.put("jws", sae.compact());
        LogReceipt receipt = append(CanonicalJson.encode(entry));
        return new Allowed(sae, receipt);
    }

    private Denied deny(AuthenticatedAgent agent, AuthorizeRequest request, String policyHash, List<String> reasons)
            throws AuthorizeException {
        String coarse = coarse(reasons);
        SignedEnvelope detail;
        SignedEnvelope released;
        String session = request.session().isEmpty() ? null : request.session();
        try {
            detail = denialSigner.sign(
                    agent.certificate(), agent.spiffeId(), request.action(), policyHash, reasons, session);
            released = denialSigner.sign(
                    agent.certificate(), agent.spiffeId(), request.action(), policyHash, List.of(coarse), session);
        } catch (Exception e) {
            throw AuthorizeException.unavailable("the denial could not be signed", e);
        }
        ObjectNode entry = JsonNodeFactory.instance.objectNode();
        entry.put("type", "denial");
        entry.put("jti", released.jti());
        entry.put("jws", released.compact());
        entry.put("detail", detail.compact());
        append(CanonicalJson.encode(entry));
        return new Denied(coarse, released, detail, reasons);
    }

    private Pending pending(
            AuthenticatedAgent agent, AuthorizeRequest request, String requestHash, Decision.PendingApproval p)
            throws AuthorizeException {
        try {
            Approval a = approvals.request(
                    agent.agentId(),
                    agent.spiffeId(),
                    agent.tenant(),
                    request.canonicalRequest(),
                    requestHash,
                    p.policyHash(),
                    p.forbidPolicyIds());
            return new Pending(a.id(), a.expiresAt());
        } catch (ApprovalException e) {
            throw AuthorizeException.unavailable("the approval could not be opened", e);
        }
    }

    /**
     * The coarse code the agent sees: scope refusals are {@code denied.scope}; refusals by policy or by a human are
     * {@code denied.policy}; system failures and unusable approvals are {@code denied}.
     */
    static String coarse(List<String> reasons) {
        if (reasons.stream().allMatch(r -> r.startsWith("scope."))) {
            return COARSE_SCOPE;
        }
        if (reasons.stream().anyMatch(r -> SYSTEM_REASONS.contains(r))) {
            return COARSE;
        }
        if (reasons.equals(List.of("approval.denied"))) {
            return COARSE_POLICY;
        }
        if (reasons.stream().anyMatch(r -> r.startsWith("approval.") && !r.equals("approval.insufficient"))) {
            return COARSE;
        }
        return COARSE_POLICY;
    }

    private LogReceipt append(byte[] entry) throws AuthorizeException {
        try {
            // Nothing is released before its entry is durable: wait for the receipt, but never forever.
            return log.appendAsync(entry).get(logTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw AuthorizeException.unavailable("the audit log did not record the decision", e.getCause());
        } catch (TimeoutException e) {
            throw AuthorizeException.unavailable("the audit log did not answer in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AuthorizeException.unavailable("interrupted while logging", e);
        } catch (Exception e) {
            throw AuthorizeException.unavailable("the audit log did not record the decision", e);
        }
    }

    private Approval find(String id) throws AuthorizeException {
        try {
            return approvals.find(id).orElseThrow(() -> new IllegalStateException("approval vanished"));
        } catch (ApprovalException e) {
            throw AuthorizeException.unavailable(e.getMessage(), e);
        }
    }

    private String policyHash() {
        return pdp.activeHash().orElse(Decision.NO_POLICY);
    }

    private static X509Certificate issuer(AuthenticatedAgent agent) {
        if (agent.chain().size() < 2) {
            throw new IllegalStateException("the agent chain lacks its issuer");
        }
        return agent.chain().get(1);
    }

    private Optional<ModelInfo> model(AuthenticatedAgent agent) throws AuthorizeException {
        String key = agent.serial();
        Optional<ModelInfo> m = models.get(key);
        if (m != null) {
            return m;
        }
        try {
            AgentIdentity id = AgentCertificates.parse(agent.certificate());
            m = id.model();
        } catch (Exception e) {
            throw AuthorizeException.unavailable("the agent certificate does not parse", e);
        }
        if (models.size() > 100_000) {
            models.clear();
        }
        models.put(key, m);
        return m;
    }

    /** Delegation depth: parents are fixed at registration, so the walk is cached per agent. */
    private int depth(AuthenticatedAgent agent) throws AuthorizeException {
        if (agent.parentId() == null) {
            return 0;
        }
        Integer cached = depths.get(agent.agentId());
        if (cached != null) {
            return cached;
        }
        int depth = 0;
        String parent = agent.parentId();
        try {
            while (parent != null) {
                depth++;
                if (depth > 64) {
                    throw new IllegalStateException("delegation chain too deep");
                }
                parent = agents.get(parent).agent().parentId();
            }
        } catch (Exception e) {
            throw AuthorizeException.unavailable("the agent's delegation chain cannot be read", e);
        }
        if (depths.size() > 100_000) {
            depths.clear();
        }
        depths.put(agent.agentId(), depth);
        return depth;
    }
}
