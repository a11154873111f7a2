package dev.writ.server.authz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.log.NoteVerifier;
import dev.writ.server.api.TestDomain;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.Tokens;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicySigningIdentity;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real trust domain served over a real socket, with the procurement policy bundle pushed and activated and the
 * authorize path mounted: what {@code writ serve} runs.
 */
final class AuthzFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCOPE = "{\"actions\":[\"erp.*\",\"budget.lookup\"],\"limits\":{\"EUR\":100000000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":2}";

    /** The system clock shifted by an adjustable offset (to expire approvals without waiting). */
    static final class ShiftedClock implements InstantSource {
        final AtomicLong offsetMillis = new AtomicLong();

        @Override
        public Instant instant() {
            return Instant.now().plusMillis(offsetMillis.get());
        }
    }

    final TestDomain d;
    final AuthzRuntime authz;
    final ShiftedClock clock = new ShiftedClock();

    AuthzFixture(Path dir) throws Exception {
        d = TestDomain.start(dir);
        try {
            activateProcurement(d);
            authz = AuthzRuntime.open(d.runtime, AuthzRuntime.Options.defaults().withClock(clock));
            authz.mountOn(d.server);
        } catch (Exception e) {
            d.close();
            throw e;
        }
    }

    static void activateProcurement(TestDomain d) throws Exception {
        TrustDomain domain = d.runtime.domain();
        X509Certificate policyCa =
                Pem.x509(domain.ca(CaName.POLICY).certificate().getEncoded());
        X509Certificate signing = Pem.x509(domain.policySigning().certificate().getEncoded());
        PolicyService service = new PolicyService(
                new JdbcPolicyStore(PolicyDatabase.openSqlite(d.dir)),
                new BundleVerifier(policyCa, InstantSource.system()),
                PolicySigningIdentity.of(
                        d.runtime.custody(), domain.policySigning().key(), List.of(signing, policyCa)),
                // Not the store's outbox: the policy store holds a write transaction on the same SQLite file while it
                // records, so an outbox write from another connection would wait for it forever (SQLITE_BUSY).
                (type, body) -> {},
                InstantSource.system());
        Map<String, byte[]> files = new HashMap<>();
        for (String f : List.of(
                "manifest.json",
                "schema.cedarschema",
                "procurement.cedar",
                "guardrails.cedar",
                "tests/procurement.json")) {
            try (InputStream in = AuthzFixture.class.getResourceAsStream("/bundles/procurement/" + f)) {
                files.put(f, in.readAllBytes());
            }
        }
        long version = service.push(BundleFiles.of(files)).version();
        service.activate(version);
    }

    /** A registered agent: id, credential, serial. */
    record Agent(String id, String credential, String serial, String spiffeId) {}

    Agent agent(String name) throws Exception {
        TestDomain.Resp r = d.call(
                "POST",
                "/api/v1/agents",
                d.adminToken,
                "{\"tenant\":\"acme\",\"name\":\"" + name + "\",\"scope\":" + SCOPE + "}");
        if (r.status() != 201) {
            throw new IllegalStateException("agent registration failed: " + r.body());
        }
        JsonNode b = r.body();
        return new Agent(
                b.path("agent_id").asText(),
                b.path("credential").asText(),
                b.path("serial").asText(),
                b.path("spiffe_id").asText());
    }

    String operatorToken(String role) throws Exception {
        String token = Tokens.newOperatorToken(new SecureRandom());
        d.runtime.store().inTransaction(tx -> {
            tx.operatorTokens()
                    .insert(Tokens.newId(new SecureRandom()), Tokens.hash(token), role, role + "-test", Instant.now());
            return null;
        });
        return token;
    }

    /** A purchase order request body. */
    static String purchaseOrder(long amount, String counterparty, String extra) {
        return "{\"action\":{\"name\":\"erp.purchase_order.create\",\"params\":{\"amount\":" + amount
                + ",\"currency\":\"EUR\",\"counterparty\":\"" + counterparty + "\"},\"classification\":\"internal\","
                + "\"http\":{\"method\":\"POST\",\"url\":\"https://erp.example/orders\",\"body\":\"sha256:"
                + "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\"}},\"target\":\"https://erp.example\","
                + "\"context\":{\"session\":\"s-1\",\"parent_chain\":[],\"risk\":0}" + extra + "}";
    }

    TestDomain.Resp authorize(String credential, String body) throws Exception {
        return d.call("POST", "/v1/authorize", credential, body);
    }

    NoteVerifier logKey() throws Exception {
        return NoteVerifier.parse(new String(d.getBytes("/log/key"), StandardCharsets.UTF_8).trim());
    }

    X509Certificate root() throws Exception {
        return Pem.x509(d.runtime.domain().root().getEncoded());
    }

    static JsonNode payload(String compact) throws Exception {
        String[] parts = compact.split("\\.");
        return JSON.readTree(java.util.Base64.getUrlDecoder().decode(parts[1]));
    }

    void shift(Duration d) {
        clock.offsetMillis.set(d.toMillis());
    }

    @Override
    public void close() throws Exception {
        try {
            authz.close();
        } finally {
            d.close();
        }
    }
}
