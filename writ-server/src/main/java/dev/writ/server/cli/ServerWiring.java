package dev.writ.server.cli;

import dev.writ.server.api.Auth;
import dev.writ.server.api.PolicyApi;
import dev.writ.server.api.TrustRuntime;
import dev.writ.server.api.WritServer;
import dev.writ.server.authz.AuthzRuntime;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.Pem;
import dev.writ.server.cluster.Readiness;
import dev.writ.server.cluster.RelayLease;
import dev.writ.server.events.EventSink;
import dev.writ.server.events.OutboxRelay;
import dev.writ.server.events.RevocationEvent;
import dev.writ.server.forensic.ForensicException;
import dev.writ.server.forensic.ForensicHandler;
import dev.writ.server.forensic.ForensicService;
import dev.writ.server.forensic.Forensics;
import dev.writ.server.gateway.InMemoryRevocationFeed;
import dev.writ.server.gateway.RevocationFeed;
import dev.writ.server.gateway.RevocationStreamHandler;
import dev.writ.server.log.AuditLogEventSink;
import dev.writ.server.log.LogException;
import dev.writ.server.log.TransparencyLog;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicySigningIdentity;
import dev.writ.server.store.CertificateRecord;
import dev.writ.server.store.StoreException;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.security.auth.x500.X500Principal;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code writ serve} mounts on top of the trust domain's own handlers: the authorize path and approvals
 * ({@link AuthzRuntime}: {@code /v1/authorize}, {@code /v1/approvals}, {@code /api/v1/approvals}, {@code /log},
 * {@code /v1/log}), the policy control plane ({@code /api/v1/policies}: push, list, show, activate, with events
 * written to the audit log), forensics ({@code /api/v1/forensics}), the relay that moves certificate lifecycle events from the outbox into the audit log, and
 * the PEP revocation push ({@code GET /v1/revocations/stream}), fed from the runtime's
 * {@link dev.writ.server.events.RevocationBus}.
 *
 * <p>Opening takes the audit log's lock (one opener per data directory). A domain whose audit-signing key is not
 * Ed25519 cannot sign log checkpoints: then only the revocation stream is mounted and {@link #authz()} is empty. PKCS#11
 * domains created now have an Ed25519 log key (in the software keystore beside the token); an older one gets one with
 * {@code writ ca reissue audit}. {@link #close} stops the revocation feed and
 * closes the authorize path, which flushes and closes the log; close the server first.
 */
public final class ServerWiring implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerWiring.class);
    private final AuthzRuntime authz;
    private final BusRevocationFeed feed;
    private final PolicyService policies;
    private final OutboxRelay relay;
    private final ScheduledExecutorService relayScheduler;
    private final Auth auth;
    private final ForensicService forensics;

    private final RelayLease relayLease;
    private final BooleanSupplier revocationsUpToDate;

    private ServerWiring(
            TrustRuntime rt,
            AuthzRuntime authz,
            BusRevocationFeed feed,
            InstantSource clock,
            RelayLease relayLease,
            BooleanSupplier revocationsUpToDate)
            throws CaException, PolicyException {
        this.relayLease = relayLease;
        this.revocationsUpToDate = revocationsUpToDate;
        this.authz = authz;
        this.feed = feed;
        this.auth = rt.auth();
        if (authz == null) {
            this.policies = null;
            this.forensics = null;
            this.relay = null;
            this.relayScheduler = null;
            return;
        }
        // Trust-critical events reach the audit log: policy events directly (before the change commits), certificate
        // lifecycle events through the transactional outbox, relayed in order.
        AuditLogEventSink logSink = new AuditLogEventSink(authz.log());
        this.policies = policyService(rt, logSink, clock);
        try {
            this.forensics = Forensics.forServer(rt, authz);
        } catch (ForensicException e) {
            throw new CaException(CaException.Kind.INTERNAL, "internal", "cannot set up forensics", e);
        }
        this.relay = new OutboxRelay(rt.store(), logSink, clock);
        this.relayScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "writ-outbox-relay");
            t.setDaemon(true);
            return t;
        });
        relayScheduler.scheduleWithFixedDelay(this::relay, 0, 250, TimeUnit.MILLISECONDS);
    }

    private static PolicyService policyService(TrustRuntime rt, EventSink events, InstantSource clock)
            throws CaException, PolicyException {
        try {
            X509Certificate policyCa =
                    Pem.x509(rt.domain().ca(CaName.POLICY).certificate().getEncoded());
            X509Certificate signing =
                    Pem.x509(rt.domain().policySigning().certificate().getEncoded());
            PolicySigningIdentity identity = PolicySigningIdentity.of(
                    rt.custody(), rt.domain().policySigning().key(), List.of(signing, policyCa));
            return new PolicyService(
                    new JdbcPolicyStore(rt.database()), new BundleVerifier(policyCa, clock), identity, events, clock);
        } catch (IOException | java.security.cert.CertificateException e) {
            throw new CaException(CaException.Kind.INTERNAL, "internal", "cannot read the policy certificates", e);
        }
    }

    private void relay() {
        try {
            if (relayLease == null) {
                relay.drain();
            } else {
                // Several nodes share the outbox: one relays at a time, so events reach the shared log once, in order.
                relayLease.runIfLeader(relay::drain);
            }
        } catch (Exception e) {
            // The events stay in the outbox and are delivered on a later pass; nothing is lost.
            LOG.error("cannot move lifecycle events into the audit log yet", e);
        }
    }

    /**
     * Opens the authorize path and the revocation feed on {@code rt}.
     *
     * @throws LogException when the audit log cannot be opened (for example, another process holds it)
     * @throws PolicyException when the active policy version does not verify
     * @throws CaException when the trust domain's certificates cannot be read
     * @throws StoreException when the revoked certificates cannot be listed
     */
    public static ServerWiring open(TrustRuntime rt, AuthzRuntime.Options options)
            throws LogException, PolicyException, CaException, StoreException {
        return open(rt, options, null);
    }

    /**
     * Like {@link #open(TrustRuntime, AuthzRuntime.Options)}, on the backends of {@code services} (null: the data
     * directory alone): with PostgreSQL the outbox relay runs on one node at a time.
     */
    static ServerWiring open(TrustRuntime rt, AuthzRuntime.Options options, NodeServices services)
            throws LogException, PolicyException, CaException, StoreException {
        RelayLease lease = services == null ? null : services.relayLease();
        TransparencyLog.Factory logs = services == null ? null : services.logFactory();
        AuthzRuntime authz;
        try {
            authz = logs == null ? AuthzRuntime.open(rt, options) : AuthzRuntime.open(rt, options, logs);
        } catch (LogException e) {
            if (!"log.signer".equals(e.code())) {
                throw e;
            }
            // The audit log signs Ed25519 checkpoints; a custody without Ed25519 (some PKCS#11 tokens) gives the
            // domain a P-256 audit key. Without a durable log nothing may be authorized: serve the trust API only.
            LOG.warn(
                    "authorize path and approvals disabled: the audit-signing key cannot sign log checkpoints ({});"
                            + " re-issue the audit CA (writ ca reissue audit) to give the log an Ed25519 key",
                    e.getMessage());
            authz = null;
        }
        try {
            // With Redis, this node's stream vouches for its revocation set only while the relay to the other nodes is
            // healthy: otherwise its PEPs go stale and fail closed instead of missing another node's revocation.
            BooleanSupplier upToDate = services == null ? null : services.revocationsUpToDate();
            return new ServerWiring(
                    rt, authz, BusRevocationFeed.open(rt, options.clock()), options.clock(), lease, upToDate);
        } catch (CaException | StoreException | PolicyException | RuntimeException e) {
            if (authz != null) {
                authz.close();
            }
            throw e;
        }
    }

    /** Mounts the authorize path, approvals, the log and the revocation stream on {@code server}. */
    public WritServer mountOn(WritServer server) {
        if (authz != null) {
            authz.mountOn(server);
            server.mount("/api/v1/policies", PolicyApi.router(policies, auth, authz::reloadPolicy));
            server.mount(ForensicHandler.PATH, ForensicHandler.router(forensics, auth));
        }
        RevocationStreamHandler stream = revocationsUpToDate == null
                ? new RevocationStreamHandler(feed)
                : new RevocationStreamHandler(feed, Duration.ofSeconds(2), revocationsUpToDate);
        server.metrics().revocationSubscribers(stream::subscribers);
        server.mount(RevocationStreamHandler.PATH, stream);
        return server;
    }

    /**
     * The node's readiness: the shared database answers (with PostgreSQL), Redis answers (when configured), and the
     * audit log is usable (when the authorize path is mounted).
     */
    Readiness readiness(TrustRuntime rt, NodeServices services) {
        Readiness r = new Readiness(2_000);
        if (services != null && services.shared()) {
            DataSource db = services.database();
            r.add("postgresql", () -> NodeBackends.ping(db));
        }
        if (services != null && services.hasRedis()) {
            r.add("redis", services::checkRedis);
        }
        if (authz != null) {
            r.add("log", () -> authz.log().checkpoint());
        }
        return r;
    }

    /** The authorize path, absent when the domain's audit key cannot sign the log (see {@link #open}). */
    public Optional<AuthzRuntime> authz() {
        return Optional.ofNullable(authz);
    }

    /** The revocation sequence PEPs receive over the stream. */
    public RevocationFeed revocations() {
        return feed;
    }

    @Override
    public void close() throws LogException {
        try {
            feed.close();
            if (relayScheduler != null) {
                relayScheduler.shutdownNow();
                relay(); // what was recorded before the stop reaches the log before it closes
            }
        } finally {
            if (authz != null) {
                authz.close();
            }
        }
    }

    /**
     * The server's {@link RevocationFeed}: the revoked certificates already in the store (as the snapshot, oldest
     * revocation first), then every revocation the bus delivers after its commit. Each serial appears once.
     */
    static final class BusRevocationFeed implements RevocationFeed, AutoCloseable {
        private static final Logger LOG = LoggerFactory.getLogger(BusRevocationFeed.class);
        private final InMemoryRevocationFeed events = new InMemoryRevocationFeed();
        private final Map<CaName, X500Principal> issuers = new EnumMap<>(CaName.class);
        private final Set<String> seen = new HashSet<>();
        private AutoCloseable subscription;

        private BusRevocationFeed(TrustRuntime rt) throws CaException {
            for (CaName ca : CaName.values()) {
                try {
                    issuers.put(
                            ca,
                            new X500Principal(rt.domain()
                                    .ca(ca)
                                    .certificate()
                                    .getSubject()
                                    .getEncoded()));
                } catch (IOException e) {
                    throw new CaException(CaException.Kind.INTERNAL, "internal", "cannot encode a CA name", e);
                }
            }
        }

        static BusRevocationFeed open(TrustRuntime rt, java.time.InstantSource clock)
                throws CaException, StoreException {
            BusRevocationFeed feed = new BusRevocationFeed(rt);
            // Subscribe before reading the store, so a revocation committed in between is not missed (duplicates are
            // dropped by serial).
            feed.subscription = rt.revocations().subscribe(feed::accept);
            List<CertificateRecord> revoked = new ArrayList<>();
            java.time.Instant now = clock.instant();
            for (CaName ca : CaName.values()) {
                revoked.addAll(rt.store().inTransaction(tx -> tx.certificates().revoked(ca.id(), now)));
            }
            revoked.sort(java.util.Comparator.comparing(CertificateRecord::revokedAt));
            for (CertificateRecord c : revoked) {
                feed.publish(
                        c.serial(),
                        c.ca(),
                        dev.writ.server.ca.RevocationReasons.name(
                                c.revocationReason() == null ? 0 : c.revocationReason()),
                        c.revokedAt());
            }
            return feed;
        }

        private void accept(RevocationEvent e) {
            publish(e.serial(), e.ca(), e.reason(), e.revokedAt());
        }

        private synchronized void publish(String serialHex, String ca, String reason, java.time.Instant at) {
            String serial = serialHex.toLowerCase(Locale.ROOT);
            if (!seen.add(serial)) {
                return;
            }
            Optional<CaName> name = CaName.parse(ca);
            if (name.isEmpty()) {
                LOG.warn("revocation of serial {} names an unknown CA {}", serial, ca);
                return;
            }
            events.publish(issuers.get(name.get()), new BigInteger(serial, 16), reason, at);
        }

        @Override
        public List<dev.writ.server.gateway.RevocationEvent> since(long cursor) {
            return events.since(cursor);
        }

        @Override
        public String epoch() {
            return events.epoch();
        }

        @Override
        public long latest() {
            return events.latest();
        }

        @Override
        public AutoCloseable subscribe(Consumer<dev.writ.server.gateway.RevocationEvent> listener) {
            return events.subscribe(listener);
        }

        @Override
        public void close() {
            try {
                if (subscription != null) {
                    subscription.close();
                }
            } catch (Exception e) {
                LOG.warn("cannot unsubscribe from the revocation bus", e);
            }
        }
    }
}
