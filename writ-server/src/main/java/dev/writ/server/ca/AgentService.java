package dev.writ.server.ca;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.scope.Scope;
import dev.writ.core.scope.ScopeException;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import dev.writ.server.events.EventSink;
import dev.writ.server.events.RevocationBus;
import dev.writ.server.events.RevocationEvent;
import dev.writ.server.store.AgentRecord;
import dev.writ.server.store.CertificateRecord;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import dev.writ.server.store.StoreTx;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.RuntimeOperatorException;

/**
 * The agent lifecycle: registration, delegation to sub-agents, rotation, revocation (cascading) and quarantine, and
 * authentication of agent credentials.
 *
 * <p>Every operation is all-or-nothing. Requests are validated before any key exists; the key is generated in custody,
 * the certificate signed, and agent, certificate, credential and event rows written in one transaction; on any
 * failure the new key is destroyed and nothing is committed. Revocations are published on the {@link RevocationBus}
 * only after they commit.
 */
public final class AgentService {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> CREATE_FIELDS = Set.of("tenant", "name", "scope", "model", "validity_seconds");
    private static final Set<String> DELEGATE_FIELDS = Set.of("name", "scope", "model", "validity_seconds");
    /** Certificates are back-dated this much to tolerate clock skew at verifiers. */
    private static final java.time.Duration BACKDATE = java.time.Duration.ofSeconds(60);

    private final TrustDomain domain;
    private final KeyCustody custody;
    private final Store store;
    private final EventSink events;
    private final RevocationBus bus;
    private final PkiUrls urls;
    private final InstantSource clock;
    private final SecureRandom random;
    private final ConcurrentHashMap<String, AuthenticatedAgent> authCache = new ConcurrentHashMap<>();

    public AgentService(
            TrustDomain domain,
            KeyCustody custody,
            Store store,
            EventSink events,
            RevocationBus bus,
            PkiUrls urls,
            InstantSource clock,
            SecureRandom random) {
        this.domain = domain;
        this.custody = custody;
        this.store = store;
        this.events = events;
        this.bus = bus;
        this.urls = urls;
        this.clock = clock;
        this.random = random;
        // Any revocation may disable a cached agent: drop the cache (rare event, cheap to refill).
        bus.subscribe(e -> authCache.clear());
    }

    public TrustDomain domain() {
        return domain;
    }

    /**
     * Registers a top-level agent from a JSON request {@code {tenant, name, scope, model?, validity_seconds?}}.
     *
     * @throws CaException a stable code for each refusal (unknown field, bad scope, unknown tenant, validity out of
     *     bounds...); nothing is written and no key is left in custody
     */
    public IssuedAgent create(ObjectNode request) throws CaException {
        IssuanceValidators.Draft d = new IssuanceValidators.Draft(request, now());
        IssuanceValidators.run(
                List.of(
                        IssuanceValidators.knownFields(CREATE_FIELDS),
                        IssuanceValidators.tenantSyntax(),
                        this::tenantExists,
                        IssuanceValidators.name(),
                        IssuanceValidators.scope(),
                        IssuanceValidators.model(),
                        IssuanceValidators.validity()),
                d);
        return issueNew(d);
    }

    /**
     * Creates a sub-agent of {@code parent} from {@code {name, scope, model?, validity_seconds?}}: its scope is
     * {@code parentScope.delegate(requested)} and its certificate never outlives the parent's.
     *
     * @throws CaException {@code scope.delegation} when the parent may not delegate, {@code agent.revoked} when the
     *     parent is no longer active, and the codes of {@link #create}
     */
    public IssuedAgent delegate(AuthenticatedAgent parent, ObjectNode request) throws CaException {
        IssuanceValidators.Draft d = new IssuanceValidators.Draft(request, now());
        IssuanceValidators.run(
                List.of(
                        IssuanceValidators.knownFields(DELEGATE_FIELDS),
                        draft -> loadParent(draft, parent.agentId()),
                        IssuanceValidators.name(),
                        IssuanceValidators.scope(),
                        IssuanceValidators.model(),
                        IssuanceValidators.validity(),
                        IssuanceValidators.capToParent()),
                d);
        return issueNew(d);
    }

    private void tenantExists(IssuanceValidators.Draft d) throws CaException {
        if (!read(tx -> tx.tenants().exists(d.tenant))) {
            throw CaException.notFound("tenant.not_found", "unknown tenant");
        }
    }

    private void loadParent(IssuanceValidators.Draft d, String parentId) throws CaException {
        AgentRecord parent = read(tx -> tx.agents().find(parentId))
                .orElseThrow(() -> CaException.notFound("agent.not_found", "unknown agent"));
        // A revoked or quarantined parent has no authority left to delegate.
        if (!AgentRecord.ACTIVE.equals(parent.status()) || parent.currentSerial() == null) {
            throw CaException.conflict("agent.revoked", "the parent agent is revoked");
        }
        CertificateRecord cert = read(tx -> tx.certificates().find(parent.currentSerial()))
                .orElseThrow(() -> CaException.conflict("agent.revoked", "the parent agent has no certificate"));
        if (cert.revoked()) {
            throw CaException.conflict("agent.revoked", "the parent agent is revoked");
        }
        if (!cert.notAfter().isAfter(d.now.plus(IssuanceValidators.MIN_VALIDITY))) {
            throw CaException.conflict("agent.expiring", "the parent agent's certificate expires too soon");
        }
        d.parent = parent;
        d.parentCertificate = cert;
        d.tenant = parent.tenant();
        d.parentScope = parseStoredScope(parent.scopeJson());
    }

    private static Scope parseStoredScope(String json) throws CaException {
        try {
            return Scope.parseJson(json);
        } catch (ScopeException e) {
            throw CaException.internal("stored scope does not parse", e);
        }
    }

    private IssuedAgent issueNew(IssuanceValidators.Draft d) throws CaException {
        String agentId = UUID.randomUUID().toString();
        String credential = Tokens.newAgentCredential(random);
        KeyHandle key = generateKey(agentId);
        boolean ok = false;
        try {
            Issued issued = sign(d, agentId, key);
            AgentRecord agent = new AgentRecord(
                    agentId,
                    d.tenant,
                    d.name,
                    d.parent == null ? null : d.parent.id(),
                    d.scope.toJson(),
                    d.modelJson,
                    key.id(),
                    key.spec().name(),
                    issued.serial(),
                    AgentRecord.ACTIVE,
                    d.now);
            store.inTransaction(tx -> {
                tx.agents().insert(agent);
                tx.certificates().insert(issued.record(agentId, d.parentCertificate));
                tx.credentials().insert(Tokens.hash(credential), agentId, d.now);
                event("cert.issued", issued, agent, d.parent == null ? null : d.parent.id(), null);
                return null;
            });
            ok = true;
            return issued.result(agent, credential);
        } catch (StoreException e) {
            throw CaException.internal("cannot store the agent", e);
        } finally {
            if (!ok) {
                // No orphan key: a failed issuance leaves nothing in custody.
                destroyQuietly(key);
            }
        }
    }

    /**
     * Rotates an agent: a new key and certificate with the same scope, model and validity length; the old certificate
     * is revoked with reason {@code superseded}. The agent's credential stays the same.
     */
    public IssuedAgent rotate(String agentId) throws CaException {
        Instant now = now();
        AgentRecord agent = read(tx -> tx.agents().find(agentId))
                .orElseThrow(() -> CaException.notFound("agent.not_found", "unknown agent"));
        if (!AgentRecord.ACTIVE.equals(agent.status())) {
            throw CaException.conflict("agent.revoked", "the agent is revoked");
        }
        CertificateRecord old = read(tx -> tx.certificates().find(agent.currentSerial()))
                .orElseThrow(() -> CaException.conflict("agent.revoked", "the agent has no certificate"));
        IssuanceValidators.Draft d = new IssuanceValidators.Draft(JSON.createObjectNode(), now);
        d.tenant = agent.tenant();
        d.name = agent.name();
        d.scope = parseStoredScope(agent.scopeJson());
        d.modelJson = agent.modelJson();
        java.time.Duration length = java.time.Duration.between(old.notBefore().plus(BACKDATE), old.notAfter());
        d.notAfter = now.plus(length);
        if (agent.parentId() != null) {
            AgentRecord parent = read(tx -> tx.agents().find(agent.parentId())).orElseThrow();
            CertificateRecord parentCert = parent.currentSerial() == null
                    ? null
                    : read(tx -> tx.certificates().find(parent.currentSerial())).orElse(null);
            if (parentCert == null || parentCert.revoked()) {
                throw CaException.conflict("agent.revoked", "the parent agent is revoked");
            }
            d.parentCertificate = parentCert;
            IssuanceValidators.capToParent().apply(d);
        }
        KeyHandle key = generateKey(agentId);
        boolean ok = false;
        List<RevocationEvent> published = new ArrayList<>();
        try {
            Issued issued = sign(d, agentId, key);
            store.inTransaction(tx -> {
                tx.certificates().insert(issued.record(agentId, d.parentCertificate));
                tx.agents()
                        .updateKeyAndCertificate(agentId, key.id(), key.spec().name(), issued.serial());
                if (tx.certificates()
                        .revoke(
                                old.serial(),
                                now,
                                RevocationReasons.code("superseded").orElseThrow())) {
                    published.add(new RevocationEvent(old.serial(), old.ca(), agentId, "superseded", now));
                    revokedEvent(old.serial(), agentId, "superseded", null);
                }
                event("cert.issued", issued, agent, agent.parentId(), old.serial());
                return null;
            });
            ok = true;
            destroyQuietly(new KeyHandle(agent.keyId(), KeySpec.valueOf(agent.keySpec())));
            published.forEach(bus::publish);
            return issued.result(agent, null);
        } catch (StoreException e) {
            throw CaException.internal("cannot store the rotation", e);
        } finally {
            if (!ok) {
                destroyQuietly(key);
            }
        }
    }

    /** What a revocation did. */
    public record Revocation(String serial, String agentId, List<String> cascaded) {}

    /**
     * Revokes an agent certificate and, when it is the agent's current one, the agent: its credentials are disabled
     * and every sub-agent below it is revoked too.
     *
     * @param reason an RFC 5280 reason name, or null for {@code unspecified}
     * @throws CaException {@code certificate.not_found}, {@code certificate.already_revoked},
     *     {@code certificate.not_agent}, {@code revocation.reason_invalid}
     */
    public Revocation revoke(String serialHex, String reason) throws CaException {
        String reasonName = reason == null || reason.isEmpty() ? "unspecified" : reason;
        int code = RevocationReasons.code(reasonName)
                .orElseThrow(() -> CaException.invalid("revocation.reason_invalid", "unknown revocation reason"));
        String serial = normaliseSerial(serialHex);
        Instant now = now();
        List<RevocationEvent> published = new ArrayList<>();
        List<String> cascaded = new ArrayList<>();
        Revocation result = read(tx -> {
            CertificateRecord cert = tx.certificates()
                    .find(serial)
                    .orElseThrow(() -> CaException.notFound("certificate.not_found", "unknown certificate"));
            if (cert.agentId() == null) {
                throw CaException.invalid(
                        "certificate.not_agent", "only agent certificates are revoked here; use a CA ceremony");
            }
            if (cert.revoked()) {
                throw CaException.conflict("certificate.already_revoked", "the certificate is already revoked");
            }
            tx.certificates().revoke(serial, now, code);
            published.add(new RevocationEvent(serial, cert.ca(), cert.agentId(), reasonName, now));
            revokedEvent(serial, cert.agentId(), reasonName, null);
            AgentRecord agent = tx.agents().find(cert.agentId()).orElseThrow();
            if (serial.equals(agent.currentSerial())) {
                disableAgent(tx, agent, now);
                cascade(tx, agent.id(), code, reasonName, serial, now, published, cascaded);
            }
            return new Revocation(serial, cert.agentId(), List.copyOf(cascaded));
        });
        published.forEach(bus::publish);
        return result;
    }

    /** Quarantine: revoke the agent's current certificate (reason {@code keyCompromise}) and disable its credential. */
    public Revocation quarantine(String agentId) throws CaException {
        AgentRecord agent = read(tx -> tx.agents().find(agentId))
                .orElseThrow(() -> CaException.notFound("agent.not_found", "unknown agent"));
        if (agent.currentSerial() == null) {
            throw CaException.conflict("agent.revoked", "the agent has no certificate");
        }
        return revoke(agent.currentSerial(), "keyCompromise");
    }

    private void cascade(
            StoreTx tx,
            String parentId,
            int code,
            String reasonName,
            String cause,
            Instant now,
            List<RevocationEvent> published,
            List<String> cascaded)
            throws StoreException, CaException {
        for (AgentRecord child : tx.agents().children(parentId)) {
            if (child.currentSerial() != null && tx.certificates().revoke(child.currentSerial(), now, code)) {
                CertificateRecord c =
                        tx.certificates().find(child.currentSerial()).orElseThrow();
                published.add(new RevocationEvent(c.serial(), c.ca(), child.id(), reasonName, now));
                revokedEvent(c.serial(), child.id(), reasonName, cause);
                cascaded.add(c.serial());
            }
            if (AgentRecord.ACTIVE.equals(child.status())) {
                disableAgent(tx, child, now);
            }
            cascade(tx, child.id(), code, reasonName, cause, now, published, cascaded);
        }
    }

    private void disableAgent(StoreTx tx, AgentRecord agent, Instant now) throws StoreException {
        tx.agents().updateStatus(agent.id(), AgentRecord.REVOKED);
        // Disabled at once, in the same transaction: the credential stops working when the revocation commits.
        tx.credentials().disableAll(agent.id(), now);
        authCache.clear();
    }

    /**
     * Authenticates an agent credential ({@code writ_agent_…}).
     *
     * @return the agent, or empty when the credential is unknown, disabled, or the agent or its certificate is revoked
     *     or expired
     */
    public Optional<AuthenticatedAgent> authenticate(String credential) throws CaException {
        if (credential == null || !credential.startsWith(Tokens.AGENT_PREFIX)) {
            return Optional.empty();
        }
        String hash = Tokens.hash(credential);
        Instant now = clock.instant();
        AuthenticatedAgent cached = authCache.get(hash);
        if (cached != null) {
            return cached.certificate().getNotAfter().toInstant().isAfter(now) ? Optional.of(cached) : Optional.empty();
        }
        Optional<AuthenticatedAgent> found = read(tx -> {
            Optional<String> agentId = tx.credentials().findActive(hash);
            if (agentId.isEmpty()) {
                return Optional.<AuthenticatedAgent>empty();
            }
            Optional<AgentRecord> agent = tx.agents().find(agentId.get());
            if (agent.isEmpty()
                    || !AgentRecord.ACTIVE.equals(agent.get().status())
                    || agent.get().currentSerial() == null) {
                return Optional.<AuthenticatedAgent>empty();
            }
            Optional<CertificateRecord> cert =
                    tx.certificates().find(agent.get().currentSerial());
            if (cert.isEmpty() || cert.get().revoked() || !cert.get().notAfter().isAfter(now)) {
                return Optional.<AuthenticatedAgent>empty();
            }
            return Optional.of(authenticated(agent.get(), cert.get()));
        });
        found.ifPresent(a -> authCache.put(hash, a));
        return found;
    }

    private AuthenticatedAgent authenticated(AgentRecord agent, CertificateRecord cert) throws CaException {
        try {
            X509Certificate x = Pem.x509(cert.der());
            X509Certificate issuer =
                    Pem.x509(CertificateProfiles.der(domain.ca(CaName.AGENTS).certificate()));
            return new AuthenticatedAgent(
                    agent.id(),
                    agent.tenant(),
                    agent.name(),
                    agent.parentId(),
                    AgentProfile.spiffeId(domain.name(), agent.tenant(), agent.id()),
                    parseStoredScope(agent.scopeJson()),
                    agent.modelJson(),
                    new KeyHandle(agent.keyId(), KeySpec.valueOf(agent.keySpec())),
                    x,
                    List.of(x, issuer));
        } catch (CertificateException e) {
            throw CaException.internal("stored certificate does not parse", e);
        }
    }

    /** The agent with its current certificate record (if any). */
    public record AgentState(AgentRecord agent, CertificateRecord certificate, String spiffeId) {}

    public AgentState get(String agentId) throws CaException {
        return read(tx -> {
            AgentRecord a = tx.agents()
                    .find(agentId)
                    .orElseThrow(() -> CaException.notFound("agent.not_found", "unknown agent"));
            CertificateRecord c = a.currentSerial() == null
                    ? null
                    : tx.certificates().find(a.currentSerial()).orElse(null);
            return new AgentState(a, c, AgentProfile.spiffeId(domain.name(), a.tenant(), a.id()));
        });
    }

    public List<AgentRecord> list(String tenant) throws CaException {
        return read(tx -> tx.agents().list(tenant));
    }

    public List<CertificateRecord> certificates(String agentId, int limit) throws CaException {
        return read(tx -> tx.certificates().list(agentId, limit));
    }

    public CertificateRecord certificate(String serialHex) throws CaException {
        String serial = normaliseSerial(serialHex);
        return read(tx -> tx.certificates().find(serial))
                .orElseThrow(() -> CaException.notFound("certificate.not_found", "unknown certificate"));
    }

    /** Creates a tenant; false when it existed. */
    public boolean createTenant(String name) throws CaException {
        IssuanceValidators.Draft d =
                new IssuanceValidators.Draft(JSON.createObjectNode().put("tenant", name), now());
        IssuanceValidators.tenantSyntax().apply(d);
        return read(tx -> tx.tenants().create(name, d.now));
    }

    private static String normaliseSerial(String hex) throws CaException {
        // Serials are lowercase hex without leading zeros; anything else is not a serial.
        if (hex == null || !hex.matches("[0-9a-fA-F]{1,40}")) {
            throw CaException.invalid("certificate.serial_invalid", "serial must be hexadecimal");
        }
        return new BigInteger(hex, 16).toString(16);
    }

    private record Issued(X509CertificateHolder holder, String serial, String spiffeId, String issuerPem) {
        CertificateRecord record(String agentId, CertificateRecord parent) {
            return new CertificateRecord(
                    serial,
                    CaName.AGENTS.id(),
                    "agent",
                    agentId,
                    parent == null ? null : parent.serial(),
                    holder.getSubject().toString(),
                    holder.getNotBefore().toInstant(),
                    holder.getNotAfter().toInstant(),
                    CertificateProfiles.der(holder),
                    CertificateRecord.GOOD,
                    null,
                    null,
                    holder.getNotBefore().toInstant().plus(BACKDATE));
        }

        IssuedAgent result(AgentRecord agent, String credential) {
            String pem = Pem.certificate(holder);
            return new IssuedAgent(
                    agent.id(),
                    agent.tenant(),
                    agent.name(),
                    spiffeId,
                    serial,
                    holder.getNotBefore().toInstant(),
                    holder.getNotAfter().toInstant(),
                    pem,
                    pem + issuerPem,
                    credential);
        }
    }

    private Issued sign(IssuanceValidators.Draft d, String agentId, KeyHandle key) throws CaException {
        IssuingCa ca = domain.ca(CaName.AGENTS);
        BigInteger serial = CertificateProfiles.randomSerial(random);
        dev.writ.core.cert.SpiffeId id = new dev.writ.core.cert.SpiffeId(domain.name(), d.tenant, agentId);
        String spiffe = id.toString();
        try {
            X509CertificateHolder holder = AgentProfile.issue(
                    ca,
                    serial,
                    d.name,
                    id,
                    d.now.minus(BACKDATE),
                    d.notAfter,
                    custody.publicKey(key),
                    d.scope,
                    ModelExtension.model(d.modelJson),
                    urls,
                    new CustodySigner(custody, ca.key()));
            return new Issued(holder, serial.toString(16), spiffe, Pem.certificate(ca.certificate()));
        } catch (CustodyException | CertIOException | RuntimeOperatorException e) {
            throw CaException.internal("cannot issue the certificate", e);
        }
    }

    private KeyHandle generateKey(String agentId) throws CaException {
        try {
            return custody.generate(custody.defaultSpec(), "agent " + agentId);
        } catch (CustodyException e) {
            throw CaException.internal("custody cannot generate the agent key", e);
        }
    }

    private void destroyQuietly(KeyHandle key) {
        try {
            custody.destroy(key);
        } catch (CustodyException ignored) {
            // already gone or custody unavailable; nothing references it
        }
    }

    private void event(String type, Issued issued, AgentRecord agent, String parentId, String replaces)
            throws CaException {
        ObjectNode body = JSON.createObjectNode();
        if (replaces != null) {
            // A rotation: the certificate this one supersedes.
            body.put("replaces", replaces);
        }
        body.put("serial", issued.serial());
        body.put("ca", CaName.AGENTS.id());
        body.put("agent", agent.id());
        body.put("tenant", agent.tenant());
        body.put("subject", issued.holder().getSubject().toString());
        body.put("spiffe_id", issued.spiffeId());
        body.put("not_before", issued.holder().getNotBefore().toInstant().toString());
        body.put("not_after", issued.holder().getNotAfter().toInstant().toString());
        if (parentId != null) {
            body.put("parent", parentId);
        }
        record(type, body);
    }

    private void revokedEvent(String serial, String agentId, String reason, String cascadeOf) throws CaException {
        ObjectNode body = JSON.createObjectNode();
        body.put("serial", serial);
        body.put("ca", CaName.AGENTS.id());
        body.put("agent", agentId);
        body.put("reason", reason);
        if (cascadeOf != null) {
            body.put("cascade_of", cascadeOf);
        }
        record("cert.revoked", body);
    }

    private void record(String type, ObjectNode body) throws CaException {
        try {
            events.record(type, body);
        } catch (EventSink.EventException e) {
            // Nothing unlogged: if the event cannot be recorded the operation fails and rolls back.
            throw CaException.internal("cannot record event " + type, e);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    private <T> T read(Store.Work<T, CaException> work) throws CaException {
        try {
            return store.inTransaction(work);
        } catch (StoreException e) {
            throw CaException.internal("storage failure", e);
        }
    }
}
