package dev.writ.server.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.evidence.DenialVerifier;
import dev.writ.core.evidence.EvidenceBundleVerifier;
import dev.writ.core.evidence.EvidenceException;
import dev.writ.core.evidence.EvidenceReport;
import dev.writ.core.evidence.VerifiedDenial;
import dev.writ.core.json.CanonicalJson;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.nonce.InMemoryNonceStore;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.Envelopes;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.sdk.ApprovalPendingException;
import dev.writ.sdk.AuthorizeOptions;
import dev.writ.sdk.AuthorizeResult;
import dev.writ.sdk.Envelope;
import dev.writ.sdk.ToolGuard;
import dev.writ.sdk.WritClient;
import dev.writ.sdk.WritClientException;
import dev.writ.server.api.TrustRuntime;
import dev.writ.server.api.WritServer;
import dev.writ.server.authz.AuthzRuntime;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.ca.Tokens;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.cli.ServerWiring;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.gateway.Gateway;
import dev.writ.server.gateway.RevocationStreamClient;
import dev.writ.server.store.SqliteStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * The {@code writ demo} scenario, everything real and in one process over loopback sockets: a new trust domain with
 * the procurement policy bundle, the Writ server (trust API, authorize path, approvals, audit log, revocation stream),
 * a small ERP behind the enforcing gateway, and agents calling through {@link WritClient} and {@link ToolGuard}. A
 * multi-agent purchase-order workflow with a human approval runs first, then four attacks that must fail, then the
 * evidence is verified offline. Every step is recorded in a {@link DemoReport} with the outcome it expects.
 *
 * <p>The root passphrase is random, used once for the ceremony and never printed or stored. Credentials and tokens
 * stay in memory and never reach the report.
 */
public final class DemoScenario {
    static final String TRUST_DOMAIN = "demo.writ";
    static final String TENANT = "acme";
    static final List<String> SUPPLIERS = List.of("acme-supplies", "globex", "initech", "umbrella-office");
    static final String APPROVER = "Dana Ruiz, finance";
    static final String AUDITOR = "Sam Okafor, internal audit";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NF = JsonNodeFactory.instance;

    /** A step whose outcome makes the rest of the scenario meaningless. */
    private static final class Abort extends Exception {
        Abort(String message) {
            super(message);
        }
    }

    /** An envelope obtained in the demo, with the request it is bound to (null for actions without one). */
    private record Issued(String label, Envelope envelope, HttpBinding binding) {}

    private final Path data;
    private final DemoReport report;
    private final InstantSource clock = InstantSource.system();
    private final SecureRandom random = new SecureRandom();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Deque<AutoCloseable> open = new ArrayDeque<>();
    private final List<Issued> envelopes = new ArrayList<>();
    private final Map<String, JsonNode> agents = new LinkedHashMap<>();

    private String serverUrl;
    private String adminToken;
    private String approverToken;
    private String auditorToken;
    private String session;
    private List<X509Certificate> anchors;
    private NoteVerifier logKey;
    private DemoErp erp;
    private Gateway gateway;
    private RevocationStreamClient revocations;

    private DemoScenario(Path data, DemoReport report) {
        this.data = data;
        this.report = report;
    }

    /**
     * Runs the scenario in {@code data} (an empty or missing directory) and returns the report; an unexpected failure
     * ends the scenario with a failed {@code demo.aborted} step. Everything started is stopped before it returns.
     */
    public static DemoReport run(Path data, DemoReport report) {
        new DemoScenario(data, report).run();
        return report;
    }

    private void run() {
        try {
            setUp();
            registerAgents();
            workflow();
            attacks();
            evidence();
        } catch (Abort e) {
            report.step("demo.aborted", "Scenario stopped: " + e.getMessage(), "completed", false, null);
        } catch (Exception e) {
            report.step(
                    "demo.aborted",
                    "Scenario stopped by an unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage(),
                    "completed",
                    false,
                    null);
        } finally {
            while (!open.isEmpty()) {
                try {
                    open.pop().close();
                } catch (Exception ignored) {
                    // best effort: the rest must still be stopped
                }
            }
        }
    }

    // ---- 1. trust domain, policy, services -----------------------------------------------------------------------

    private void setUp() throws Exception {
        report.section("Trust domain, policy and services");
        int serverPort = freePort();
        serverUrl = "http://127.0.0.1:" + serverPort;
        char[] passphrase = randomPassphrase();
        ObjectNode custodyConfig = CustodyConfig.software();
        try (KeyCustody keys = CustodyConfig.create(data, custodyConfig, System.getenv(), random);
                SqliteStore store = SqliteStore.open(data.resolve("writ.db"))) {
            DomainCeremony.InitResult r = DomainCeremony.init(
                    data, TRUST_DOMAIN, serverUrl, keys, custodyConfig, store, passphrase, TENANT, clock, random);
            adminToken = r.bootstrapToken();
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        TrustDomain domain = TrustDomain.load(data);
        report.step(
                "domain.created",
                "Trust domain " + TRUST_DOMAIN + " created (root, agents, policy, audit CAs; tenant " + TENANT + ")",
                "created",
                true,
                f -> f.put("trust_domain", domain.name())
                        .put("tenant", TENANT)
                        .put("root_passphrase", "random, used once, never printed or stored"));

        ProcurementPolicy.Published policy = ProcurementPolicy.pushAndActivate(data, clock, random);
        report.step(
                "policy.active",
                "Procurement policy bundle signed, pushed and activated (events in the audit log)",
                "active",
                policy.version() >= 1,
                f -> f.put("version", policy.version()).put("hash", shortHash(policy.hash())));

        TrustRuntime rt = TrustRuntime.open(data, TrustRuntime.Options.defaults());
        open.push(rt);
        ServerWiring wiring = ServerWiring.open(rt, AuthzRuntime.Options.defaults());
        open.push(wiring);
        WritServer server = wiring.mountOn(rt.mountOn(new WritServer("127.0.0.1", serverPort)));
        server.start();
        open.push(server::stop);

        // An approver, created the way `writ token create --role approver` does: stored only hashed.
        approverToken = Tokens.newOperatorToken(random);
        String approverId = Tokens.newId(random);
        rt.store().inTransaction(tx -> {
            tx.operatorTokens().insert(approverId, Tokens.hash(approverToken), "approver", APPROVER, clock.instant());
            return null;
        });
        // An auditor, who reads the chain of custody and exports evidence (step 5).
        auditorToken = Tokens.newOperatorToken(random);
        String auditorId = Tokens.newId(random);
        rt.store().inTransaction(tx -> {
            tx.operatorTokens().insert(auditorId, Tokens.hash(auditorToken), "auditor", AUDITOR, clock.instant());
            return null;
        });

        erp = DemoErp.start();
        open.push(erp);
        anchors = certificates(getText("/trust-bundle.pem"));
        logKey = NoteVerifier.parse(getText("/log/key").strip());
        revocations = RevocationStreamClient.builder()
                .server(URI.create(serverUrl))
                .clock(clock)
                .build()
                .start();
        open.push(revocations);
        boolean synced = revocations.awaitSynced(Duration.ofSeconds(5));
        int gatewayPort = freePort();
        gateway = Gateway.builder()
                .upstream(erp.uri())
                .publicBaseUrl(URI.create("http://127.0.0.1:" + gatewayPort))
                .listen(new InetSocketAddress("127.0.0.1", gatewayPort))
                .trustAnchors(anchors)
                .nonceStore(new InMemoryNonceStore(clock))
                .revocationSource(revocations)
                .clock(clock)
                .build()
                .start();
        open.push(gateway);
        report.step(
                "services.started",
                "Writ server, ERP and enforcing gateway listening on loopback; gateway subscribed to revocations",
                "running",
                synced,
                f -> f.put("server", serverUrl)
                        .put("erp", erp.uri().toString())
                        .put("gateway", gateway.boundUrl(""))
                        .put("approver", APPROVER)
                        .put("trust_anchors", anchors.size()));
        if (!synced) {
            throw new Abort("the gateway could not subscribe to the revocation stream");
        }
    }

    // ---- 2. agents -----------------------------------------------------------------------------------------------

    private void registerAgents() throws Exception {
        report.section("Agents: an orchestrator and four narrower sub-agents");
        ObjectNode orchestratorScope = scope(
                List.of("procurement.request.analyse", "budget.lookup", "approval.route", "erp.purchase_order.create"),
                Map.of("EUR", 5_000_000L),
                List.of("*"),
                "confidential",
                2);
        ObjectNode req = NF.objectNode();
        req.put("tenant", TENANT);
        req.put("name", "procurement-orchestrator");
        req.set("scope", orchestratorScope);
        JsonNode orchestrator = issue("/api/v1/agents", adminToken, req);
        agents.put("orchestrator", orchestrator);
        report.step(
                "agent.orchestrator",
                "Orchestrator registered by the operator (tenant " + TENANT + ")",
                "registered",
                true,
                f -> agentFacts(f, orchestrator).set("actions", orchestratorScope.get("actions")));

        String orchestratorCredential = orchestrator.path("credential").asText();
        String path = "/api/v1/agents/" + orchestrator.path("agent_id").asText() + "/subagents";
        record Sub(String key, String name, String title, ObjectNode scope) {}
        List<Sub> subs = List.of(
                new Sub(
                        "analyzer",
                        "request-analyzer",
                        "Request analyzer",
                        scope(List.of("procurement.request.analyse"), Map.of(), List.of("*"), "internal", 0)),
                new Sub(
                        "budget",
                        "budget-checker",
                        "Budget checker",
                        scope(List.of("budget.lookup"), Map.of("EUR", 5_000_000L), List.of("*"), "confidential", 0)),
                new Sub(
                        "router",
                        "approval-router",
                        "Approval router",
                        scope(List.of("approval.route"), Map.of("EUR", 5_000_000L), List.of("*"), "internal", 0)),
                new Sub(
                        "po",
                        "po-generator",
                        "Purchase-order generator",
                        scope(
                                List.of("erp.purchase_order.create"),
                                Map.of("EUR", 5_000_000L),
                                SUPPLIERS,
                                "confidential",
                                1)));
        for (Sub s : subs) {
            ObjectNode body = NF.objectNode();
            body.put("name", s.name());
            body.set("scope", s.scope());
            JsonNode issued = issue(path, orchestratorCredential, body);
            agents.put(s.key(), issued);
            JsonNode actual = agentScope(issued.path("agent_id").asText());
            report.step(
                    "agent." + s.key(),
                    s.title() + " delegated by the orchestrator",
                    "delegated, narrower than its parent",
                    actual.path("actions").equals(s.scope().get("actions")),
                    f -> {
                        agentFacts(f, issued).set("actions", actual.path("actions"));
                        if (!actual.path("limits").isEmpty()) {
                            f.set("limits", actual.path("limits"));
                        }
                        if (!"*".equals(actual.path("counterparties").path(0).asText())) {
                            f.set("counterparties", actual.path("counterparties"));
                        }
                        f.put("parent", shortId(orchestrator.path("agent_id").asText()));
                    });
        }
    }

    // ---- 3. workflow ---------------------------------------------------------------------------------------------

    private static final long QUANTITY = 500;
    private static final long UNIT_PRICE = 2_400;
    private static final long AMOUNT = QUANTITY * UNIT_PRICE;

    private void workflow() throws Exception {
        report.section("Workflow: order 500 units of part X from vendor globex (500 x 24.00 EUR)");
        session = "demo-" + Long.toHexString(random.nextLong());
        AuthorizeOptions base = AuthorizeOptions.defaults().withSession(session);

        ObjectNode analyseParams = NF.objectNode().put("part", "X").put("quantity", QUANTITY);
        Envelope sae1 = guard("analyzer")
                .call(
                        new ActionRequest(
                                "procurement.request.analyse",
                                "procurement",
                                analyseParams,
                                Classification.INTERNAL,
                                null),
                        base,
                        env -> env);
        envelopes.add(new Issued("SAE1", sae1, null));
        stepAllow("sae1", "Request analyzer: procurement.request.analyse", sae1, "analyzer");

        ObjectNode budgetParams = NF.objectNode()
                .put("cost_center", "ops-emea")
                .put("amount", AMOUNT)
                .put("currency", "EUR");
        Envelope sae2 = guard("budget")
                .call(
                        new ActionRequest("budget.lookup", "finance", budgetParams, Classification.CONFIDENTIAL, null),
                        base.withParentChain(List.of(Envelopes.hash(sae1.compact()))),
                        env -> env);
        envelopes.add(new Issued("SAE2", sae2, null));
        stepAllow("sae2", "Budget checker: budget.lookup, parent_chain = [hash(SAE1)]", sae2, "budget");

        ObjectNode routeParams =
                NF.objectNode().put("amount", AMOUNT).put("currency", "EUR").put("route", "finance");
        Envelope sae3 = guard("router")
                .call(
                        new ActionRequest("approval.route", "approvals", routeParams, Classification.INTERNAL, null),
                        base.withParentChain(List.of(Envelopes.hash(sae2.compact()))),
                        env -> env);
        envelopes.add(new Issued("SAE3", sae3, null));
        stepAllow("sae3", "Approval router: approval.route, parent_chain = [hash(SAE2)]", sae3, "router");

        byte[] poBody = CanonicalJson.encode(NF.objectNode()
                .put("amount", AMOUNT)
                .put("currency", "EUR")
                .put("part", "X")
                .put("quantity", QUANTITY)
                .put("supplier", "globex")
                .put("unit_price", UNIT_PRICE));
        ActionRequest po = purchaseOrder("globex", AMOUNT, poBody);
        AuthorizeOptions poOptions = base.withParentChain(List.of(Envelopes.hash(sae3.compact())));
        ToolGuard poGuard = guard("po");
        String approvalId = null;
        try {
            poGuard.call(po, poOptions, env -> env);
        } catch (ApprovalPendingException pending) {
            approvalId = pending.approvalId();
        }
        String pendingId = approvalId;
        report.step(
                "po.pending",
                "PO generator: erp.purchase_order.create 1,200,000 minor units > 10,000.00 EUR: a human must approve",
                "pending",
                pendingId != null,
                f -> f.put("decision", pendingId != null ? "pending" : "not pending")
                        .put("approval_id", pendingId)
                        .put("policy", "po-above-10000-needs-human"));
        if (pendingId == null) {
            throw new Abort("the purchase order did not wait for a human");
        }

        JsonNode listed = call("GET", "/api/v1/approvals?status=pending", approverToken, null);
        boolean visible = false;
        for (JsonNode a : listed.path("approvals")) {
            visible |= pendingId.equals(a.path("id").asText());
        }
        ObjectNode comment = NF.objectNode().put("comment", "Budget confirmed for part X; approved.");
        HttpResponse<String> decided =
                send("POST", "/api/v1/approvals/" + pendingId + "/approve", approverToken, comment);
        JsonNode decision = parse(decided.body());
        boolean approved = decided.statusCode() == 200
                && "approved".equals(decision.path("status").asText());
        boolean listedToApprover = visible;
        report.step(
                "po.approved",
                APPROVER + " (role approver) approves through POST /api/v1/approvals/{id}/approve",
                "approved",
                approved && listedToApprover,
                f -> f.put("status", decision.path("status").asText("http " + decided.statusCode()))
                        .put("approver", APPROVER)
                        .put("listed_as_pending", listedToApprover));

        HttpBinding binding = po.http();
        Envelope[] sae4 = new Envelope[1];
        HttpResponse<String> created = poGuard.call(po, poOptions.withApproval(pendingId), env -> {
            sae4[0] = env;
            return sendToGateway(env, poBody);
        });
        envelopes.add(new Issued("SAE4", sae4[0], binding));
        JsonNode ctx = claims(sae4[0].compact()).path("ctx");
        report.step(
                "sae4",
                "PO generator authorizes again with the approval id: SAE4 carries ctx.approval",
                "allow",
                ctx.hasNonNull("approval"),
                f -> envelopeFacts(f, sae4[0], "po").set("approval", ctx.path("approval")));
        JsonNode createdBody = parse(created.body());
        int executed = erp.executed();
        boolean forwarded = executed == 1 && erp.orders().get(0).carriedEnvelope();
        report.step(
                "erp.executed",
                "Purchase order created at the ERP through the gateway (SAE bound to method, URL and body)",
                "executed once",
                created.statusCode() == 201 && executed == 1,
                f -> f.put("http_status", created.statusCode())
                        .put(
                                "purchase_order",
                                createdBody.path("purchase_order").asText(null))
                        .put("erp_executed", executed)
                        .put("envelope_forwarded", forwarded)
                        .put("url", binding.url()));
        if (executed != 1) {
            throw new Abort("the ERP did not execute the approved purchase order");
        }
    }

    // ---- 4. attacks ----------------------------------------------------------------------------------------------

    private void attacks() throws Exception {
        report.section("Attacks that must fail");

        // A prompt-injected PO agent tries to pay someone else.
        byte[] evilBody = CanonicalJson.encode(NF.objectNode()
                .put("amount", 990_000)
                .put("currency", "EUR")
                .put("supplier", "northwind-offshore-ltd"));
        ActionRequest evil = purchaseOrder("northwind-offshore-ltd", 990_000, evilBody);
        // In the workflow's session: its denial is part of that session's evidence (step 5).
        AuthorizeResult injected =
                client("po").authorize(evil, AuthorizeOptions.defaults().withSession(session));
        boolean denied = injected instanceof AuthorizeResult.Denied;
        String code = denied ? ((AuthorizeResult.Denied) injected).code() : kind(injected);
        String denialTyp = denied
                ? header(((AuthorizeResult.Denied) injected).denial())
                        .path("typ")
                        .asText(null)
                : null;
        int afterInjection = erp.executed();
        // The agent can check its denial is genuine (DenialVerifier), and learns only the coarse code from it: the
        // detail is behind a salted commitment.
        VerifiedDenial verifiedDenial = null;
        String denialFailure = null;
        if (denied) {
            try {
                verifiedDenial = DenialVerifier.trusting(anchors).verify(((AuthorizeResult.Denied) injected).denial());
            } catch (EvidenceException e) {
                denialFailure = e.code();
            }
        }
        VerifiedDenial vd = verifiedDenial;
        String df = denialFailure;
        boolean coarseOnly = vd != null
                && vd.reasons().equals(List.of(code))
                && vd.detailCommitment().isPresent();
        report.step(
                "attack.unlisted_counterparty",
                "Prompt-injected PO agent pays unlisted counterparty northwind-offshore-ltd: signed denial",
                "deny",
                denied
                        && code.startsWith("denied")
                        && "sae-denial+jwt".equals(denialTyp)
                        && coarseOnly
                        && afterInjection == 1,
                f -> {
                    f.put("decision", denied ? "deny" : code)
                            .put("code", code)
                            .put("signed_denial", denialTyp)
                            .put("denial_verified", vd != null)
                            .put(
                                    "detail_committed",
                                    vd != null && vd.detailCommitment().isPresent())
                            .put("erp_executed", afterInjection);
                    if (df != null) {
                        f.put("denial_failure", df);
                    }
                });

        // SAE4 replayed at the gateway.
        Issued sae4 = envelopes.stream()
                .filter(i -> i.label().equals("SAE4"))
                .findFirst()
                .orElseThrow();
        HttpResponse<String> replay = sendToGateway(
                sae4.envelope(),
                CanonicalJson.encode(NF.objectNode()
                        .put("amount", AMOUNT)
                        .put("currency", "EUR")
                        .put("part", "X")
                        .put("quantity", QUANTITY)
                        .put("supplier", "globex")
                        .put("unit_price", UNIT_PRICE)));
        String replayCode = errorCode(replay.body());
        int afterReplay = erp.executed();
        report.step(
                "attack.replay",
                "SAE4 replayed at the gateway: refused, ERP count unchanged",
                "refused (sae.replay)",
                replay.statusCode() >= 400 && "sae.replay".equals(replayCode) && afterReplay == 1,
                f -> f.put("http_status", replay.statusCode())
                        .put("code", replayCode)
                        .put("erp_executed", afterReplay));

        // A sub-agent asks for more than its parent holds.
        ObjectNode requested = scope(
                List.of("erp.*", "payments.transfer"),
                Map.of("EUR", 100_000_000L, "USD", 100_000_000L),
                List.of("*"),
                "restricted",
                5);
        ObjectNode body = NF.objectNode();
        body.put("name", "po-helper");
        body.set("scope", requested);
        JsonNode helper = issue(
                "/api/v1/agents/" + agents.get("po").path("agent_id").asText() + "/subagents",
                agents.get("po").path("credential").asText(),
                body);
        agents.put("helper", helper);
        JsonNode issuedScope = agentScope(helper.path("agent_id").asText());
        JsonNode parentScope = agentScope(agents.get("po").path("agent_id").asText());
        boolean capped = issuedScope.path("actions").equals(parentScope.path("actions"))
                && issuedScope.path("limits").equals(parentScope.path("limits"))
                && issuedScope.path("counterparties").equals(parentScope.path("counterparties"))
                && !issuedScope.path("classification").asText().equals("restricted")
                && issuedScope.path("delegation").asInt(99)
                        < requested.path("delegation").asInt();
        report.step(
                "attack.scope_escalation",
                "PO agent delegates a helper asking for more than it holds: scope capped to the parent's",
                "capped",
                capped,
                f -> {
                    f.put("agent", shortId(helper.path("agent_id").asText()));
                    f.set("requested", summary(requested));
                    f.set("issued", summary(issuedScope));
                });

        // Revocation: an envelope obtained before it, and the agent's next call after it.
        byte[] laterBody = CanonicalJson.encode(NF.objectNode()
                .put("amount", 480_000)
                .put("currency", "EUR")
                .put("part", "Y")
                .put("quantity", 200)
                .put("supplier", "initech")
                .put("unit_price", 2_400));
        ActionRequest later = purchaseOrder("initech", 480_000, laterBody);
        Envelope sae5 = guard("po").call(later, AuthorizeOptions.defaults(), env -> env);
        envelopes.add(new Issued("SAE5", sae5, later.http()));

        JsonNode po = agents.get("po");
        X509Certificate poCert = certificates(po.path("certificate").asText()).get(0);
        X500Principal issuer = poCert.getIssuerX500Principal();
        BigInteger serial = poCert.getSerialNumber();
        long t0 = System.nanoTime();
        JsonNode revoked = call(
                "DELETE",
                "/api/v1/certificates/" + po.path("serial").asText() + "?reason=keyCompromise",
                adminToken,
                null);
        long propagatedNanos = -1;
        long deadline = t0 + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < deadline) {
            if (knownRevoked(issuer, serial)) {
                propagatedNanos = System.nanoTime() - t0;
                break;
            }
            Thread.sleep(2);
        }
        long propagatedMs = propagatedNanos < 0 ? -1 : Math.max(0, propagatedNanos / 1_000_000);

        int serverStatus;
        String serverCode;
        try {
            AuthorizeResult r = client("po").authorize(later, AuthorizeOptions.defaults());
            serverStatus = 200;
            serverCode = kind(r);
        } catch (WritClientException e) {
            serverStatus = e.status();
            serverCode = e.code();
        }
        HttpResponse<String> stale = sendToGateway(sae5, laterBody);
        String staleCode = errorCode(stale.body());
        int afterRevocation = erp.executed();
        int status = serverStatus;
        String sCode = serverCode;
        long ms = propagatedMs;
        report.step(
                "attack.revoked",
                "PO agent revoked (DELETE /api/v1/certificates/{serial}): next call refused, and an envelope issued"
                        + " before the revocation is refused at the gateway",
                "refused (401; sae.revoked within 1 s)",
                "revoked".equals(revoked.path("status").asText())
                        && status == 401
                        && ms >= 0
                        && stale.statusCode() >= 400
                        && "sae.revoked".equals(staleCode)
                        && afterRevocation == 1,
                f -> {
                    f.put("serial", shortId(po.path("serial").asText()));
                    ArrayNode cascaded = f.putArray("cascaded");
                    revoked.path("cascaded").forEach(c -> cascaded.add(shortId(c.asText())));
                    f.put("server_status", status).put("server_code", sCode);
                    f.put("gateway_status", stale.statusCode()).put("gateway_code", staleCode);
                    f.put("gateway_knew_after_ms", ms);
                    f.put("erp_executed", afterRevocation);
                });
    }

    // ---- 5. evidence ---------------------------------------------------------------------------------------------

    private void evidence() throws Exception {
        report.section("Evidence, verified offline");
        SaeVerifier offline = SaeVerifier.builder()
                .trustAnchors(anchors)
                .clock(clock)
                // Offline: the envelope's own OCSP staple says the certificate was good when it was signed.
                .revocationSource(new InMemoryRevocationSource())
                .withoutReplayCheck()
                .build();
        ArrayNode verified = NF.arrayNode();
        List<String> failed = new ArrayList<>();
        for (Issued i : envelopes) {
            try {
                if (i.binding() == null) {
                    offline.verify(i.envelope().compact());
                } else {
                    offline.verify(i.envelope().compact(), i.binding());
                }
                verified.add(i.label());
            } catch (Exception e) {
                failed.add(i.label() + ": " + e.getMessage());
            }
        }
        report.step(
                "evidence.envelopes",
                "Every SAE verifies with SaeVerifier against the trust bundle (no replay check)",
                "all verified",
                failed.isEmpty() && verified.size() == envelopes.size(),
                f -> {
                    f.put("verified", verified.size()).put("total", envelopes.size());
                    f.set("envelopes", verified);
                    if (!failed.isEmpty()) {
                        f.put("failures", String.join("; ", failed));
                    }
                });

        ArrayNode indices = NF.arrayNode();
        List<String> bad = new ArrayList<>();
        for (Issued i : envelopes) {
            LogReceipt receipt = i.envelope().receipt();
            if (receipt == null) {
                bad.add(i.label() + ": no receipt");
                continue;
            }
            try {
                receipt.verify(WritClient.defaultLogEntry(i.envelope().compact()), logKey);
                indices.add(receipt.index());
            } catch (Exception e) {
                bad.add(i.label() + ": " + e.getMessage());
            }
        }
        report.step(
                "evidence.receipts",
                "Every log receipt verifies with LogReceipt.verify against the log key (/log/key)",
                "all verified",
                bad.isEmpty() && indices.size() == envelopes.size(),
                f -> {
                    f.put("verified", indices.size()).put("total", envelopes.size());
                    f.set("log_indices", indices);
                    f.put("log_key", logKey.name());
                    if (!bad.isEmpty()) {
                        f.put("failures", String.join("; ", bad));
                    }
                });

        // The first envelope's receipt carries an earlier checkpoint; the log now serves a later one.
        Checkpoint earlier = Checkpoint.verify(
                        envelopes.get(0).envelope().receipt().checkpoint(), logKey)
                .checkpoint();
        Checkpoint latest = Checkpoint.verify(getText("/log/checkpoint").getBytes(StandardCharsets.UTF_8), logKey)
                .checkpoint();
        JsonNode proof =
                call("GET", "/v1/log/proof/consistency?from=" + earlier.size() + "&to=" + latest.size(), null, null);
        List<byte[]> hashes = new ArrayList<>();
        for (JsonNode h : proof.path("proof")) {
            hashes.add(Base64.getDecoder().decode(h.asText()));
        }
        String failure = null;
        try {
            Merkle.verifyConsistency(earlier.size(), latest.size(), hashes, earlier.rootHash(), latest.rootHash());
        } catch (Exception e) {
            failure = e.getMessage();
        }
        String why = failure;
        report.step(
                "evidence.consistency",
                "The latest checkpoint is consistent with an earlier one (consistency proof)",
                "consistent",
                failure == null && latest.size() > earlier.size(),
                f -> {
                    f.put("from_size", earlier.size())
                            .put("to_size", latest.size())
                            .put("proof_hashes", hashes.size());
                    if (why != null) {
                        f.put("failure", why);
                    }
                });

        forensics();
    }

    /** Chain of custody of SAE4 from the log, then its evidence bundle verified offline with the root alone. */
    private void forensics() throws Exception {
        Issued sae4 = envelopes.stream()
                .filter(i -> i.label().equals("SAE4"))
                .findFirst()
                .orElseThrow();
        String jti = claims(sae4.envelope().compact()).path("jti").asText();
        long t0 = System.nanoTime();
        JsonNode custody = call("GET", "/api/v1/forensics/" + jti, auditorToken, null);
        long forensicsMs = (System.nanoTime() - t0) / 1_000_000;
        List<String> chain = new ArrayList<>();
        JsonNode t = custody.path("tree");
        while (t.isObject()) {
            chain.add(t.path("jti").asText());
            t = t.path("parents").path(0);
        }
        List<String> expected = new ArrayList<>();
        for (String label : List.of("SAE4", "SAE3", "SAE2", "SAE1")) {
            envelopes.stream()
                    .filter(i -> i.label().equals(label))
                    .findFirst()
                    .ifPresent(i -> expected.add(
                            claims(i.envelope().compact()).path("jti").asText()));
        }
        JsonNode subject = custody.path("nodes").path(0);
        boolean approvalBound = subject.path("approval").isTextual()
                && checkStatus(subject, "binding").equals("ok");
        boolean everyCheck = custody.path("ok").asBoolean();
        String policy = subject.path("policy").path("name").asText("?") + " "
                + subject.path("policy").path("label").asText("?");
        int denials = custody.path("related_denials").size();
        HttpResponse<String> agentTry = send(
                "GET",
                "/api/v1/forensics/" + jti,
                agents.get("analyzer").path("credential").asText(),
                null);
        report.step(
                "evidence.forensics",
                "Chain of custody of SAE4 rebuilt from the log (GET /api/v1/forensics/{jti}, auditor): SAE4 <- SAE3 <-"
                        + " SAE2 <- SAE1, every link verified",
                "SAE4 -> SAE1, every check passed",
                chain.equals(expected) && approvalBound && everyCheck && denials >= 1,
                f -> {
                    ArrayNode c = f.putArray("chain");
                    chain.forEach(c::add);
                    f.put("nodes", custody.path("nodes").size());
                    f.put("approval_bound", approvalBound);
                    f.put("policy", policy);
                    f.put("checks", "signature, chain, ocsp, scope, binding, parents, inclusion, policy");
                    f.put("all_checks_passed", everyCheck);
                    f.put("related_denials", denials);
                    f.put(
                            "checkpoint_size",
                            custody.path("checkpoint").path("size").asLong());
                    f.put("elapsed_ms", forensicsMs);
                    if (!everyCheck) {
                        f.put("failure", firstFailure(custody));
                    }
                });

        long t1 = System.nanoTime();
        HttpResponse<byte[]> zip = http.send(
                HttpRequest.newBuilder(URI.create(serverUrl + "/api/v1/forensics/" + jti + "/bundle"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + auditorToken)
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        // Offline: nothing but the root certificate of the trust bundle; no server, no network.
        EvidenceBundleVerifier offline = EvidenceBundleVerifier.trusting(anchors);
        String failure = null;
        EvidenceReport verified = null;
        try {
            verified = offline.verify(zip.body()).report();
        } catch (EvidenceException e) {
            failure = e.code() + ": " + e.getMessage();
        }
        long bundleMs = (System.nanoTime() - t1) / 1_000_000;
        // The injected payment's denial: its detail opens the commitment the public log carries.
        List<String> detailed = new ArrayList<>();
        if (verified != null) {
            verified.nodes().stream().filter(n -> n.kind().equals("denial")).forEach(n -> detailed.addAll(n.reasons()));
        }
        // One altered byte anywhere in the bundle is caught, naming the file.
        String tamperCode = null;
        String tamperFile = null;
        try {
            offline.verify(alterOneByte(zip.body(), "envelopes/" + jti + ".jws"));
        } catch (EvidenceException e) {
            tamperCode = e.code();
            tamperFile = e.file().orElse(null);
        }
        EvidenceReport r = verified;
        String why = failure;
        String tc = tamperCode;
        String tf = tamperFile;
        report.step(
                "evidence.bundle",
                "Evidence bundle exported (GET /api/v1/forensics/{jti}/bundle) and verified offline with only the root"
                        + " certificate; one altered byte is caught",
                "verified offline; tampering detected",
                zip.statusCode() == 200
                        && r != null
                        && r.nodes().stream()
                                        .filter(n -> n.kind().equals("sae"))
                                        .count()
                                == 4
                        && !detailed.isEmpty()
                        && "evidence.file_hash".equals(tc),
                f -> {
                    f.put("http_status", zip.statusCode()).put("bytes", zip.body().length);
                    f.put("export_and_verify_ms", bundleMs);
                    if (r != null) {
                        f.put(
                                "envelopes",
                                r.nodes().stream()
                                        .filter(n -> n.kind().equals("sae"))
                                        .count());
                        f.put(
                                "denials",
                                r.nodes().stream()
                                        .filter(n -> n.kind().equals("denial"))
                                        .count());
                        f.put("checkpoint_size", r.checkpoint().size());
                    }
                    ArrayNode d = f.putArray("denial_detail");
                    detailed.forEach(d::add);
                    f.put("tampered_code", tc).put("tampered_file", tf);
                    if (why != null) {
                        f.put("failure", why);
                    }
                });
        boolean agentRefused = agentTry.statusCode() == 403;
        report.step(
                "evidence.forensics_denied_to_agents",
                "An agent credential cannot read forensics (denial details stay with operators and auditors)",
                "refused",
                agentRefused,
                f -> f.put("http_status", agentTry.statusCode()).put("code", errorCode(agentTry.body())));
    }

    private static String firstFailure(JsonNode report) {
        for (JsonNode n : report.path("nodes")) {
            for (JsonNode c : n.path("checks")) {
                if ("failed".equals(c.path("status").asText())) {
                    return n.path("jti").asText() + " " + c.path("check").asText() + ": "
                            + c.path("code").asText() + " " + c.path("message").asText();
                }
            }
        }
        return "none";
    }

    private static String checkStatus(JsonNode node, String check) {
        for (JsonNode c : node.path("checks")) {
            if (check.equals(c.path("check").asText())) {
                return c.path("status").asText();
            }
        }
        return "absent";
    }

    /** The bundle with one byte of one file flipped (the archive rewritten, so only the content differs). */
    static byte[] alterOneByte(byte[] zip, String name) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (var in = new java.util.zip.ZipInputStream(new ByteArrayInputStream(zip));
                var z = new java.util.zip.ZipOutputStream(out)) {
            java.util.zip.ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                byte[] b = in.readAllBytes();
                if (e.getName().equals(name) && b.length > 0) {
                    b[b.length / 2] ^= 0x01;
                }
                z.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                z.write(b);
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private boolean knownRevoked(X500Principal issuer, BigInteger serial) {
        try {
            return revocations.isRevoked(issuer, serial);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private ActionRequest purchaseOrder(String counterparty, long amount, byte[] body) {
        ObjectNode params =
                NF.objectNode().put("amount", amount).put("currency", "EUR").put("counterparty", counterparty);
        return new ActionRequest(
                "erp.purchase_order.create",
                "erp",
                params,
                Classification.CONFIDENTIAL,
                new HttpBinding("POST", gateway.boundUrl("/purchase-orders"), HttpBinding.digestBody(body)));
    }

    private HttpResponse<String> sendToGateway(Envelope envelope, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.boundUrl("/purchase-orders")))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return http.send(envelope.attach(b).build(), HttpResponse.BodyHandlers.ofString());
    }

    private WritClient client(String agent) {
        return WritClient.builder()
                .server(URI.create(serverUrl))
                .credential(agents.get(agent).path("credential").asText())
                .logKey(logKey)
                .clock(clock)
                .build();
    }

    private ToolGuard guard(String agent) {
        return ToolGuard.builder(client(agent)).build();
    }

    private void stepAllow(String id, String title, Envelope env, String agent) throws Exception {
        report.step(id, title, "allow", env.receipt() != null, f -> envelopeFacts(f, env, agent));
    }

    private ObjectNode envelopeFacts(ObjectNode f, Envelope env, String agent) {
        JsonNode claims = claims(env.compact());
        f.put("decision", "allow");
        f.put("agent", shortId(agents.get(agent).path("agent_id").asText()));
        f.put("jti", env.jti());
        f.put("hash", shortHash(Envelopes.hash(env.compact())));
        f.set("parent_chain", shortHashes(claims.path("ctx").path("parent_chain")));
        if (env.receipt() != null) {
            f.put("log_index", env.receipt().index());
        }
        return f;
    }

    /**
     * The bytes of an envelope's audit-log entry as the authorize path writes them: RFC 8785 canonical JSON
     * {@code {"jti","jws","type":"sae"}}. (The SDK's default encoder expects {@code {"sae","type"}}; until the two
     * agree, the demo gives the client the server's form.)
     */
    private static ObjectNode agentFacts(ObjectNode f, JsonNode issued) {
        return f.put("agent", shortId(issued.path("agent_id").asText()))
                .put("name", issued.path("name").asText())
                .put("serial", shortId(issued.path("serial").asText()));
    }

    private static ObjectNode summary(JsonNode scope) {
        ObjectNode o = NF.objectNode();
        o.set("actions", scope.path("actions"));
        o.set("limits", scope.path("limits"));
        o.set("counterparties", scope.path("counterparties"));
        o.set("classification", scope.path("classification"));
        o.set("delegation", scope.path("delegation"));
        return o;
    }

    private static ObjectNode scope(
            List<String> actions,
            Map<String, Long> limits,
            List<String> counterparties,
            String classification,
            int delegation) {
        ObjectNode s = NF.objectNode();
        ArrayNode a = s.putArray("actions");
        actions.forEach(a::add);
        ObjectNode l = s.putObject("limits");
        limits.forEach(l::put);
        ArrayNode c = s.putArray("counterparties");
        counterparties.forEach(c::add);
        s.putArray("regions").add("*");
        s.put("hours", "*");
        s.put("classification", classification);
        s.put("delegation", delegation);
        return s;
    }

    private JsonNode issue(String path, String bearer, ObjectNode body) throws Exception {
        HttpResponse<String> r = send("POST", path, bearer, body);
        if (r.statusCode() != 201) {
            throw new Abort("issuance at " + path.replaceAll("[0-9a-f-]{36}", "{id}") + " answered " + r.statusCode()
                    + " " + errorCode(r.body()));
        }
        return parse(r.body());
    }

    private JsonNode agentScope(String agentId) throws Exception {
        return call("GET", "/api/v1/agents/" + agentId, adminToken, null).path("scope");
    }

    private JsonNode call(String method, String path, String bearer, JsonNode body) throws Exception {
        HttpResponse<String> r = send(method, path, bearer, body);
        if (r.statusCode() / 100 != 2) {
            throw new Abort(method + " " + path.replaceAll("[0-9a-f-]{36}", "{id}") + " answered " + r.statusCode()
                    + " " + errorCode(r.body()));
        }
        return parse(r.body());
    }

    private HttpResponse<String> send(String method, String path, String bearer, JsonNode body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(serverUrl + path)).timeout(Duration.ofSeconds(10));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String getText(String path) throws Exception {
        HttpResponse<String> r = send("GET", path, null, null);
        if (r.statusCode() != 200) {
            throw new Abort("GET " + path + " answered " + r.statusCode());
        }
        return r.body();
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n == null ? NF.objectNode() : n;
        } catch (IOException e) {
            return NF.objectNode();
        }
    }

    private static String errorCode(String body) {
        return parse(body).path("error").path("code").asText(null);
    }

    private static String kind(AuthorizeResult r) {
        return switch (r) {
            case AuthorizeResult.Allowed a -> "allow";
            case AuthorizeResult.Denied d -> "deny";
            case AuthorizeResult.Pending p -> "pending";
        };
    }

    private static JsonNode claims(String compact) {
        return part(compact, 1);
    }

    private static JsonNode header(String compact) {
        return compact == null ? NF.objectNode() : part(compact, 0);
    }

    private static JsonNode part(String compact, int index) {
        String[] parts = compact.split("\\.", -1);
        if (parts.length != 3) {
            return NF.objectNode();
        }
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(parts[index]));
        } catch (IOException | IllegalArgumentException e) {
            return NF.objectNode();
        }
    }

    private static ArrayNode shortHashes(JsonNode hashes) {
        ArrayNode a = NF.arrayNode();
        for (JsonNode h : hashes) {
            a.add(shortHash(h.asText()));
        }
        return a;
    }

    /** {@code sha256:} and the first 12 hex digits: enough to tell hashes apart on screen. */
    static String shortHash(String hash) {
        if (hash == null) {
            return null;
        }
        int colon = hash.indexOf(':');
        String hex = colon < 0 ? hash : hash.substring(colon + 1);
        return (colon < 0 ? "" : hash.substring(0, colon + 1)) + hex.substring(0, Math.min(12, hex.length()));
    }

    /** The first 8 characters of an id or serial. */
    static String shortId(String id) {
        return id == null ? null : id.substring(0, Math.min(8, id.length()));
    }

    private static List<X509Certificate> certificates(String pem) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c :
                    cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException("unreadable certificates", e);
        }
    }

    private char[] randomPassphrase() {
        byte[] b = new byte[24];
        random.nextBytes(b);
        char[] p = Base64.getUrlEncoder().withoutPadding().encodeToString(b).toCharArray();
        Arrays.fill(b, (byte) 0);
        return p;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
