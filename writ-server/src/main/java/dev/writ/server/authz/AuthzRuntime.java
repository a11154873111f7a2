package dev.writ.server.authz;

import dev.writ.server.api.TrustRuntime;
import dev.writ.server.api.WritServer;
import dev.writ.server.approval.ApprovalHandler;
import dev.writ.server.approval.ApprovalService;
import dev.writ.server.approval.ApprovalSigner;
import dev.writ.server.approval.ApprovalStore;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.SigningLeaf;
import dev.writ.server.forensic.DenialDetailStore;
import dev.writ.server.log.AuditLog;
import dev.writ.server.log.CustodyCheckpointSigner;
import dev.writ.server.log.LogException;
import dev.writ.server.log.LogHandler;
import dev.writ.server.log.TransparencyLog;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDecisionPoint;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicyStore;
import dev.writ.server.sae.DenialSigner;
import dev.writ.server.sae.EnvelopeRequest;
import dev.writ.server.sae.SaeSigner;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authorize path and human approvals, assembled on an open {@link TrustRuntime}: the audit log at
 * {@code <data>/log} (checkpoints signed in custody with the audit-signing key, origin {@code <trust domain>/log}), the
 * PDP loaded with the active policy version (verified against the domain's policy CA, re-checked every
 * {@link Options#policyRefresh}), the envelope and denial signers, the approval service, and their handlers.
 *
 * <pre>{@code
 * try (TrustRuntime rt = TrustRuntime.open(data, TrustRuntime.Options.defaults());
 *         AuthzRuntime authz = AuthzRuntime.open(rt, AuthzRuntime.Options.defaults())) {
 *     WritServer server = authz.mountOn(rt.server("127.0.0.1", 7070));
 *     server.start();
 * }
 * }</pre>
 */
public final class AuthzRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuthzRuntime.class);

    /**
     * @param approvalTtl how long an approval stays open and, once approved, usable (default 1 h)
     * @param saeLifetime envelope lifetime, 30–300 s (default 120 s)
     * @param logTimeout how long the authorize path waits for a durable log entry before answering 503 (default 5 s)
     * @param policyRefresh how often the active policy version is re-read from the local database (default 5 s)
     * @param logOrigin the log origin (null: {@code <trust domain>/log})
     */
    public record Options(
            InstantSource clock,
            SecureRandom random,
            Duration approvalTtl,
            Duration saeLifetime,
            Duration logTimeout,
            Duration policyRefresh,
            String logOrigin) {
        public Options {
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(random, "random");
            Objects.requireNonNull(approvalTtl, "approvalTtl");
            Objects.requireNonNull(saeLifetime, "saeLifetime");
            Objects.requireNonNull(logTimeout, "logTimeout");
            Objects.requireNonNull(policyRefresh, "policyRefresh");
        }

        public static Options defaults() {
            return new Options(
                    InstantSource.system(),
                    new SecureRandom(),
                    ApprovalService.DEFAULT_TTL,
                    EnvelopeRequest.DEFAULT_LIFETIME,
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(5),
                    null);
        }

        public Options withClock(InstantSource c) {
            return new Options(c, random, approvalTtl, saeLifetime, logTimeout, policyRefresh, logOrigin);
        }

        public Options withApprovalTtl(Duration ttl) {
            return new Options(clock, random, ttl, saeLifetime, logTimeout, policyRefresh, logOrigin);
        }
    }

    private final TrustRuntime trust;
    private final TransparencyLog log;
    private final PolicyDecisionPoint pdp;
    private final PolicyService policies;
    private final ApprovalService approvals;
    private final Authorizer authorizer;
    private final DenialDetailStore denialDetails;
    private final ScheduledExecutorService scheduler;
    private volatile long loadedVersion = -1;

    private AuthzRuntime(TrustRuntime trust, Options o, TransparencyLog.Factory logs)
            throws LogException, PolicyException, CaException {
        this.trust = trust;
        SigningLeaf audit = trust.domain().auditSigning();
        String origin = o.logOrigin() != null ? o.logOrigin() : trust.domain().name() + "/log";
        this.log = Objects.requireNonNull(
                logs.open(new CustodyCheckpointSigner(trust.custody(), audit.key(), origin)), "log");
        try {
            List<X509Certificate> decisionChain = List.of(
                    x509(audit.certificate().getEncoded()),
                    x509(trust.domain().ca(audit.issuer()).certificate().getEncoded()));
            BundleVerifier verifier = new BundleVerifier(
                    x509(trust.domain().ca(CaName.POLICY).certificate().getEncoded()), o.clock());
            this.pdp = PolicyDecisionPoint.create(verifier, trust.events());
            DataSource db = trust.database();
            PolicyStore policyStore = new JdbcPolicyStore(db);
            this.policies = new PolicyService(policyStore, verifier, null, trust.events(), o.clock());
            this.approvals = new ApprovalService(
                    new ApprovalStore(db),
                    new ApprovalSigner(trust.custody(), audit.key(), decisionChain),
                    log,
                    o.clock(),
                    o.random(),
                    o.approvalTtl(),
                    o.logTimeout());
            this.denialDetails = new DenialDetailStore(db);
            this.authorizer = new Authorizer(
                    pdp,
                    trust.agents(),
                    trust.ocsp(),
                    new SaeSigner(trust.custody(), o.clock(), o.random()),
                    new DenialSigner(trust.custody(), audit.key(), decisionChain, o.clock(), o.random()),
                    log,
                    approvals,
                    denialDetails,
                    o.clock(),
                    o.saeLifetime(),
                    o.logTimeout());
            reloadPolicy();
        } catch (PolicyException | CaException | RuntimeException e) {
            log.close();
            throw e;
        } catch (java.io.IOException e) {
            log.close();
            throw new CaException(CaException.Kind.INTERNAL, "internal", "cannot encode a trust-domain certificate", e);
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "writ-policy-refresh");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, o.policyRefresh().toMillis());
        scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        reloadPolicy();
                    } catch (PolicyException | RuntimeException e) {
                        LOG.error("policy refresh failed; the loaded policy stays active", e);
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Opens the authorize path on {@code trust}. Opening the log takes its lock: open one per data directory.
     *
     * @throws LogException when the audit log cannot be opened or recovered
     * @throws PolicyException when the active policy version does not verify (nothing is served then)
     * @throws CaException when the trust domain's certificates cannot be read
     */
    public static AuthzRuntime open(TrustRuntime trust, Options options)
            throws LogException, PolicyException, CaException {
        return new AuthzRuntime(
                trust, options, signer -> AuditLog.open(trust.dataDir().resolve("log"), signer));
    }

    /**
     * Opens the authorize path on {@code trust} with the audit log that {@code logs} opens (for example the shared
     * PostgreSQL log of a multi-node deployment). The log's checkpoints are signed in custody with the domain's
     * audit-signing key, origin {@link Options#logOrigin} or {@code <trust domain>/log}; the runtime owns the log
     * and closes it.
     *
     * @throws LogException when the audit log cannot be opened
     * @throws PolicyException when the active policy version does not verify (nothing is served then)
     * @throws CaException when the trust domain's certificates cannot be read
     */
    public static AuthzRuntime open(TrustRuntime trust, Options options, TransparencyLog.Factory logs)
            throws LogException, PolicyException, CaException {
        return new AuthzRuntime(trust, options, Objects.requireNonNull(logs, "logs"));
    }

    /**
     * Mounts {@code /v1/authorize}, {@code /v1/approvals}, {@code /api/v1/approvals}, {@code /log} and
     * {@code /v1/log} on {@code server} (before or after it started), records into its metrics, and makes its
     * {@code /readyz} follow the audit log (not ready while the log refuses appends).
     */
    public WritServer mountOn(WritServer server) {
        server.mount("/v1/authorize", AuthorizeHandler.router(authorizer, trust.auth(), server.metrics()));
        server.mount("/v1/approvals", ApprovalHandler.router(approvals, trust.auth()));
        server.mount("/api/v1/approvals", ApprovalHandler.router(approvals, trust.auth()));
        log.observeCommits(server.metrics()::logCommitted);
        server.metrics().logSize(() -> {
            try {
                return log.size();
            } catch (LogException e) {
                return -1; // the log's backend cannot be read: readiness reports it; the gauge shows no size
            }
        });
        server.metrics().approvalsPending(this::pendingApprovals);
        // Not ready while the log refuses appends: every authorize would answer 503.
        server.readiness(log::writable);
        server.mount("/log", new LogHandler(log));
        server.mount("/v1/log", new LogHandler(log));
        return server;
    }

    /**
     * Loads the active policy version when it changed since the last load. The PDP keeps the previous bundle when the
     * new one does not verify.
     *
     * @return whether a new version was loaded
     * @throws PolicyException when the active version cannot be read or does not verify
     */
    public synchronized boolean reloadPolicy() throws PolicyException {
        Optional<PolicyStore.Activation> active = policies.active();
        if (active.isEmpty() || active.get().version() == loadedVersion) {
            return false;
        }
        long version = active.get().version();
        pdp.load(policies.show(version));
        loadedVersion = version;
        LOG.info("policy version {} active ({})", version, pdp.activeHash().orElse("none"));
        return true;
    }

    private long pendingApprovals() {
        try {
            return approvals.list("pending", 1000).size();
        } catch (dev.writ.server.approval.ApprovalException e) {
            throw new IllegalStateException("approvals cannot be counted", e);
        }
    }

    public TransparencyLog log() {
        return log;
    }

    public PolicyDecisionPoint pdp() {
        return pdp;
    }

    public ApprovalService approvals() {
        return approvals;
    }

    public Authorizer authorizer() {
        return authorizer;
    }

    /** The openings of denial commitments (detailed records and salts), for operators and auditors. */
    public DenialDetailStore denialDetails() {
        return denialDetails;
    }

    public Path logDir() {
        return trust.dataDir().resolve("log");
    }

    private static X509Certificate x509(byte[] der) throws CaException {
        try {
            return Pem.x509(der);
        } catch (CertificateException e) {
            throw new CaException(CaException.Kind.INTERNAL, "internal", "cannot parse a trust-domain certificate", e);
        }
    }

    @Override
    public void close() throws LogException {
        scheduler.shutdownNow();
        log.close();
    }
}
